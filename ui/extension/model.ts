// The model of the Sync plan view: pure functions from what Argo CD gives
// the extension (the Application, its resource tree, its managed resources)
// to the rows the view prints. Nothing here touches the DOM or the network,
// so the same functions run in any JavaScript engine.

export type Phase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';

// Step is one task of the plan, as `syncwave plan -o json` prints it.
export interface Step {
  phase: Phase;
  wave: number;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  hook: boolean;
  hookDeletePolicy?: string;
  syncOptions?: string[];
  source?: string;
  group?: string;
  reason: string;
}

export interface GateMember {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  hook: boolean;
  health: string; // built-in, lua, argocd-cm, none
  detail: string;
}

export interface Gate {
  phase: Phase;
  wave: number;
  nextPhase: Phase;
  nextWave: number;
  members: GateMember[];
}

export interface Plan {
  steps: Step[];
  excluded: {apiVersion: string; kind: string; namespace: string; name: string; reason: string}[];
  waits?: {argocd: string; userChecks: number; gates: Gate[]};
}

// Where the plan came from: the record syncwave wrote, or the annotations
// of the managed resources as Argo CD reads them.
export type Origin = 'record' | 'annotations';

export interface Health {
  status: string;
  message?: string;
}

// Managed is one item of /api/v1/applications/{name}/managed-resources.
export interface Managed {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  targetState?: string;
  liveState?: string;
}

export const recordLabel = 'syncwave.io/plan-record';
export const recordKey = 'plan.json';

// kinds is gitops-engine's kind order, the same table as argocd.kinds in Go
// (ui/bundle_test.go fails when they differ).
export const kinds = [
  'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy',
  'PodDisruptionBudget', 'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap',
  'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'CustomResourceDefinition',
  'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList',
  'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod',
  'ReplicationController', 'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler',
  'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
];

export function kindOrder(kind: string): number {
  const i = kinds.indexOf(kind);
  return i < 0 ? 0 : i - kinds.length;
}

const phaseOrder: {[p: string]: number} = {PreSync: 0, Sync: 1, PostSync: 2, SyncFail: 3};

export function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function key(group: string, kind: string, namespace: string, name: string): string {
  return `${group}/${kind}/${namespace || ''}/${name}`;
}

function parse(s?: string): any {
  if (!s) {
    return null;
  }
  try {
    return JSON.parse(s);
  } catch (e) {
    return null;
  }
}

// findRecord returns the plan in the record among the managed resources
// (its target state: the plan of the revision Argo CD compares with), or
// null with the reason when there is none or it cannot be read.
export function findRecord(items: Managed[]): {plan: Plan | null; note: string} {
  for (const it of items) {
    if (it.kind !== 'ConfigMap' || (it.group || '') !== '') {
      continue;
    }
    const obj = parse(it.targetState) || parse(it.liveState);
    const labels = (obj && obj.metadata && obj.metadata.labels) || {};
    if (labels[recordLabel] !== 'true') {
      continue;
    }
    const data = obj.data || {};
    if (!data[recordKey]) {
      return {plan: null, note: data.note || `the record ${it.name} holds no ${recordKey}`};
    }
    const plan = parse(data[recordKey]);
    if (!plan || !Array.isArray(plan.steps)) {
      return {plan: null, note: `the record ${it.name} holds no readable plan`};
    }
    return {plan, note: ''};
  }
  return {plan: null, note: ''};
}

// hookOf is the phase set Argo CD reads from a resource's annotations:
// argocd.argoproj.io/hook, else helm.sh/hook mapped (pre-install and
// pre-upgrade: PreSync; post-install and post-upgrade: PostSync). null
// for a resource that is not a hook; [] for one never applied in a sync.
export function hookOf(ann: {[k: string]: string}): Phase[] | null {
  const argo = ann['argocd.argoproj.io/hook'];
  if (argo !== undefined) {
    const out: Phase[] = [];
    for (const h of argo.split(',').map(s => s.trim())) {
      if (h === 'PreSync' || h === 'Sync' || h === 'PostSync' || h === 'SyncFail') {
        out.push(h);
      }
    }
    return out;
  }
  const helm = ann['helm.sh/hook'];
  if (helm === undefined) {
    return null;
  }
  const out: Phase[] = [];
  for (const h of helm.split(',').map(s => s.trim())) {
    const p = h === 'pre-install' || h === 'pre-upgrade' ? 'PreSync' : h === 'post-install' || h === 'post-upgrade' ? 'PostSync' : null;
    if (p && out.indexOf(p) < 0) {
      out.push(p);
    }
  }
  return out;
}

// waveOf is the wave Argo CD uses: sync-wave when it is an integer, else
// helm.sh/hook-weight, else 0.
export function waveOf(ann: {[k: string]: string}): {wave: number; why: string} {
  for (const k of ['argocd.argoproj.io/sync-wave', 'helm.sh/hook-weight']) {
    const v = ann[k];
    if (v !== undefined && /^[+-]?\d+$/.test(v.trim())) {
      return {wave: parseInt(v.trim(), 10), why: `${k}: "${v}"`};
    }
  }
  return {wave: 0, why: 'no wave annotation (wave 0)'};
}

// planFromAnnotations orders the managed resources' target states as the
// engine does (phase, wave, kind order, name), for an Application that
// syncwave did not render. Resources only live (to be pruned) are left out.
export function planFromAnnotations(items: Managed[], destNamespace: string): Plan {
  const steps: Step[] = [];
  const excluded: Plan['excluded'] = [];
  for (const it of items) {
    const obj = parse(it.targetState);
    if (!obj) {
      continue;
    }
    const md = obj.metadata || {};
    const ann: {[k: string]: string} = md.annotations || {};
    const base = {
      apiVersion: obj.apiVersion || '',
      kind: obj.kind || it.kind,
      namespace: md.namespace || it.namespace || '',
      name: md.name || it.name,
    };
    const hooks = hookOf(ann);
    const w = waveOf(ann);
    if (hooks !== null && hooks.length === 0) {
      excluded.push({...base, reason: `hook ${ann['argocd.argoproj.io/hook'] || ann['helm.sh/hook']}: never applied in a sync`});
      continue;
    }
    for (const phase of hooks || ['Sync' as Phase]) {
      const hookWhy = hooks ? (ann['argocd.argoproj.io/hook'] !== undefined ? `argocd.argoproj.io/hook: ${phase}` : `helm.sh/hook: ${ann['helm.sh/hook']}`) : '';
      steps.push({...base, phase, wave: w.wave, hook: hooks !== null, reason: hookWhy ? `${hookWhy}, ${w.why}` : w.why});
    }
  }
  steps.sort((a, b) => {
    return phaseOrder[a.phase] - phaseOrder[b.phase] || a.wave - b.wave || kindOrder(a.kind) - kindOrder(b.kind) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0);
  });
  void destNamespace;
  return {steps, excluded};
}

// Live is what the Application and its tree say about one step.
export interface StepState {
  step: Step;
  health: Health | null; // null: Argo CD has no health check for it
  sync: string; // Synced, OutOfSync, ... ('' unknown)
  result: string; // the operation's result for it: Synced, SyncFailed, Running, Succeeded, ... ('' not yet)
  message: string;
  done: boolean;
}

export interface WaveView {
  phase: Phase;
  wave: number;
  steps: StepState[];
  state: 'done' | 'running' | 'pending' | 'idle';
  // holding: the steps of a running wave that the engine waits for.
  holding: StepState[];
  gate: Gate | null; // what this wave waits for before the next one (record)
}

export interface View {
  origin: Origin;
  note: string;
  operation: {phase: string; message: string; startedAt: string; finishedAt: string; revision: string} | null;
  running: {phase: Phase; wave: number} | null;
  waves: WaveView[];
  excluded: Plan['excluded'];
  children: StepState[]; // child Applications (app of apps)
}

function hookResult(r: any): string {
  return r.hookPhase || r.status || '';
}

// buildView joins the plan with the Application's status and tree.
export function buildView(plan: Plan, origin: Origin, note: string, app: any, tree: any): View {
  const status = (app && app.status) || {};
  const dest = (app && app.spec && app.spec.destination && app.spec.destination.namespace) || '';
  const health: {[k: string]: Health} = {};
  const sync: {[k: string]: string} = {};
  for (const n of (tree && tree.nodes) || []) {
    if (n.health) {
      health[key(n.group || '', n.kind, n.namespace || '', n.name)] = n.health;
    }
  }
  for (const r of status.resources || []) {
    const k = key(r.group || '', r.kind, r.namespace || '', r.name);
    if (r.health && !health[k]) {
      health[k] = r.health;
    }
    sync[k] = r.status || '';
  }
  const op = status.operationState || null;
  const results: {[k: string]: any} = {};
  const opRunning = !!op && op.phase === 'Running';
  for (const r of (op && op.syncResult && op.syncResult.resources) || []) {
    const k = key(r.group || '', r.kind, r.namespace || '', r.name);
    // a hook with several phases: the result of its latest phase
    results[k] = r;
    if (r.syncPhase) {
      results[k + '#' + r.syncPhase] = r;
    }
  }
  const waves: WaveView[] = [];
  for (const s of plan.steps) {
    let w = waves.length ? waves[waves.length - 1] : null;
    if (!w || w.phase !== s.phase || w.wave !== s.wave) {
      w = {phase: s.phase, wave: s.wave, steps: [], state: 'idle', holding: [], gate: null};
      waves.push(w);
    }
    const ns = s.namespace || (isClusterScoped(s.kind) ? '' : dest);
    const k = key(groupOf(s.apiVersion), s.kind, ns, s.name);
    const r = results[k + '#' + s.phase] || (s.hook ? null : results[k]);
    const h = health[k] || null;
    const result = r ? (s.hook ? hookResult(r) : r.status || '') : '';
    const msg = r && r.message ? r.message : '';
    const done = s.hook ? result === 'Succeeded' : !!r && (r.status === 'Synced' || r.status === 'Pruned') && (!h || h.status === 'Healthy');
    w.steps.push({step: s, health: h, sync: sync[k] || '', result, message: msg, done});
  }
  for (const g of (plan.waits && plan.waits.gates) || []) {
    for (const w of waves) {
      if (w.phase === g.phase && w.wave === g.wave) {
        w.gate = g;
      }
    }
  }
  // The running wave: the last one the operation has started.
  let running: {phase: Phase; wave: number} | null = null;
  if (op) {
    let last = -1;
    waves.forEach((w, i) => {
      if (w.steps.some(st => st.result !== '')) {
        last = i;
      }
    });
    waves.forEach((w, i) => {
      if (!opRunning) {
        w.state = last >= 0 && i <= last ? 'done' : 'idle';
        return;
      }
      w.state = i < last ? 'done' : i === last ? 'running' : 'pending';
    });
    if (opRunning && last >= 0) {
      const w = waves[last];
      running = {phase: w.phase, wave: w.wave};
      w.holding = w.steps.filter(st => (st.step.hook ? st.result !== 'Succeeded' : !!st.health && st.health.status !== 'Healthy'));
    }
  }
  const children: StepState[] = [];
  for (const w of waves) {
    for (const st of w.steps) {
      if (st.step.kind === 'Application' && groupOf(st.step.apiVersion) === 'argoproj.io') {
        children.push(st);
      }
    }
  }
  return {
    origin,
    note,
    operation: op
      ? {
          phase: op.phase || '',
          message: op.message || '',
          startedAt: op.startedAt || '',
          finishedAt: op.finishedAt || '',
          revision: (op.syncResult && op.syncResult.revision) || '',
        }
      : null,
    running,
    waves,
    excluded: plan.excluded || [],
    children,
  };
}

const clusterKinds = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'IngressClass', 'APIService',
  'PriorityClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Node'];

function isClusterScoped(kind: string): boolean {
  return clusterKinds.indexOf(kind) >= 0;
}

// gateFromLive is what a wave waits for when no record says it: the steps
// for which Argo CD reports a health status (it has a check for them) and
// the hooks.
export function waitedFor(w: WaveView): StepState[] {
  if (w.gate) {
    return w.steps.filter(st => w.gate!.members.some(m => m.health !== 'none' && m.kind === st.step.kind && m.name === st.step.name && m.namespace === st.step.namespace));
  }
  return w.steps.filter(st => st.step.hook || !!st.health);
}

// waited formats how long a wave has been waiting: from the first time the
// view saw it running (the API gives no start time per wave) or the
// operation's start, whichever is later.
export function waited(nowMs: number, sinceMs: number): string {
  const s = Math.max(0, Math.round((nowMs - sinceMs) / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

// shouldDisplay decides whether Argo CD 3.3+ shows the view's button for an
// Application (the 4th argument of registerAppViewExtension; 2.14 ignores
// it and always shows it). It sees only the Application, so it reads its
// status: the plan record among the resources, a resource or hook in a
// wave other than 0, a hook, or a child Application. An Application with
// none of these syncs in one wave with nothing to wait for between waves:
// the view would add nothing to Argo CD's own tree. Before the first
// comparison (no status.resources yet) the view is shown: it can tell.
export function shouldDisplay(app: any): boolean {
  const status = (app && app.status) || {};
  const resources: any[] = status.resources;
  if (!Array.isArray(resources)) {
    return true;
  }
  const name = (app.metadata && app.metadata.name) || '';
  for (const r of resources) {
    if ((r.group || '') === '' && r.kind === 'ConfigMap' && r.name === `${name}-syncwave-plan`) {
      return true;
    }
    if (r.hook || (r.syncWave !== undefined && r.syncWave !== 0) || (r.group === 'argoproj.io' && r.kind === 'Application')) {
      return true;
    }
  }
  const op = status.operationState;
  for (const r of (op && op.syncResult && op.syncResult.resources) || []) {
    if (r.hookType || r.hookPhase) {
      return true;
    }
  }
  return false;
}

// ChildOwn is what a child Application says about itself (its own status,
// read through Argo CD's API with the user's session): its health, sync
// status and operation, and its resources that are not Healthy.
export interface ChildOwn {
  health: Health | null;
  sync: string;
  operation: string;
  unhealthy: {kind: string; namespace: string; name: string; health: Health}[];
}

// childOwn reads a child Application and its resource tree. The health of
// its resources is in status.resources on Argo CD 2.x (persisted inline) and
// only in the resource tree on 3.x (controller.resource.health.persist
// false by default): the tree's wins, for the managed resources only.
export function childOwn(app: any, tree: any): ChildOwn {
  const status = (app && app.status) || {};
  const fromTree: {[k: string]: Health} = {};
  for (const n of (tree && tree.nodes) || []) {
    if (n.health && n.health.status) {
      fromTree[key(n.group || '', n.kind, n.namespace || '', n.name)] = n.health;
    }
  }
  const unhealthy: ChildOwn['unhealthy'] = [];
  for (const r of status.resources || []) {
    const h = fromTree[key(r.group || '', r.kind, r.namespace || '', r.name)] || r.health;
    if (h && h.status && h.status !== 'Healthy') {
      unhealthy.push({kind: r.kind, namespace: r.namespace || '', name: r.name, health: {status: h.status, message: h.message || ''}});
    }
  }
  return {
    health: status.health && status.health.status ? {status: status.health.status, message: status.health.message || ''} : null,
    sync: (status.sync && status.sync.status) || '',
    operation: (status.operationState && status.operationState.phase) || '',
    unhealthy,
  };
}
