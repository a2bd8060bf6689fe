// The Sync plan view: React components over model.ts. React is the page's
// global (Argo CD's own): this file never imports it, esbuild turns the
// JSX into React.createElement calls.
import {buildView, ChildOwn, childOwn, findRecord, Managed, Origin, Plan, planFromAnnotations, StepState, View, waited, waitedFor, WaveView} from './model';

declare const React: any;

const css = {
  table: {borderCollapse: 'collapse', width: '100%', fontSize: '13px'},
  th: {textAlign: 'left', padding: '4px 8px', borderBottom: '1px solid #ccd6dd', color: '#6d7f8b'},
  td: {padding: '3px 8px', borderBottom: '1px solid #eef2f4', verticalAlign: 'top'},
  wave: {padding: '6px 8px', background: '#f4f7f9', fontWeight: 600},
  gate: {padding: '3px 8px 8px 24px', color: '#495763', fontSize: '12px'},
  now: {border: '1px solid #f4c030', background: '#fffaeb', padding: '8px 12px', margin: '8px 0', borderRadius: '4px'},
  note: {color: '#6d7f8b', fontSize: '12px', margin: '4px 0'},
};

const healthColor: {[s: string]: string} = {
  Healthy: '#18be94', Progressing: '#0dadea', Degraded: '#e96d76', Suspended: '#766f94', Missing: '#f4c030', Unknown: '#ccd6dd',
};

function HealthCell(props: {st: StepState}) {
  const h = props.st.health;
  if (!h) {
    const live = props.st.result !== '' || props.st.sync !== '';
    return <span style={{color: '#6d7f8b'}}>{live ? 'no health check' : 'not live yet'}</span>;
  }
  return (
    <span data-health={h.status}>
      <span style={{color: healthColor[h.status] || '#495763', fontWeight: 600}}>{h.status}</span>
      {h.message ? <span style={{color: '#495763'}}>{': ' + h.message}</span> : null}
    </span>
  );
}

function name(ns: string, n: string): string {
  return ns ? `${ns}/${n}` : n;
}

function waveTitle(w: {phase: string; wave: number}): string {
  return `${w.phase} wave ${w.wave}`;
}

function Now(props: {view: View; since: number; now: number}) {
  const v = props.view;
  if (!v.running) {
    return null;
  }
  const w = v.waves.find(x => x.phase === v.running!.phase && x.wave === v.running!.wave)!;
  const start = v.operation && v.operation.startedAt ? Date.parse(v.operation.startedAt) : props.since;
  // The API gives no start time per wave: the first wave the operation
  // applied started with it; a later one at the latest when this view
  // first saw it running.
  const first = v.waves.findIndex(x => x.steps.some(st => st.result !== ''));
  const since = v.waves[first] === w ? start : Math.max(start, props.since);
  const allHealthy = w.holding.length === 0;
  const waits = waitedFor(w);
  return (
    <div style={css.now} data-testid='now'>
      <div>
        <b>Running: {waveTitle(w)}</b>, waiting {waited(props.now, since)}
        {since > start ? ` (since this view saw it running; the sync started ${waited(props.now, start)} ago)` : ' (since the sync started)'}
      </div>
      {allHealthy ? (
        <div data-testid='no-holder'>
          Every resource of this wave that Argo CD judges reports Healthy, yet the sync is still on this wave: the controller has not
          re-evaluated the wave since (it does on a change of a resource it watches, or on the next resync).
          {waits.length > 0 ? (
            <ul style={{margin: '4px 0', paddingLeft: '1.5em', listStyle: 'disc'}}>
              {waits.map(st => (
                <li key={st.step.kind + name(st.step.namespace, st.step.name)} data-testid='waits-on'>
                  waits on {st.step.kind} {name(st.step.namespace, st.step.name)}:{' '}
                  {st.step.hook ? <span>hook {st.result || 'not started'}</span> : <HealthCell st={st} />}
                </li>
              ))}
            </ul>
          ) : (
            <span> No resource of this wave has a health check.</span>
          )}
        </div>
      ) : (
        <div>
          Held by:
          <ul style={{margin: '4px 0', paddingLeft: '1.5em', listStyle: 'disc'}}>
            {w.holding.map(st => (
              <li key={st.step.kind + name(st.step.namespace, st.step.name)} data-testid='holder'>
                {st.step.kind} {name(st.step.namespace, st.step.name)}:{' '}
                {st.step.hook ? <span>hook {st.result || 'not started'}{st.message ? ': ' + st.message : ''}</span> : <HealthCell st={st} />}
              </li>
            ))}
          </ul>
        </div>
      )}
      {v.operation && v.operation.message ? <div style={css.note}>Argo CD: {v.operation.message}</div> : null}
    </div>
  );
}

function Gate(props: {w: WaveView; next: WaveView | null}) {
  if (!props.next) {
    return null;
  }
  const waits = waitedFor(props.w);
  const by = props.w.gate ? ' (how Argo CD judges each)' : ' (resources Argo CD reports a health for, and hooks)';
  return (
    <tr>
      <td colSpan={6} style={css.gate} data-testid='gate'>
        before {waveTitle(props.next)}:{' '}
        {waits.length === 0
          ? 'waits for nothing: no resource of this wave has a health check'
          : `waits for ${waits.length} of ${props.w.steps.length}${by}: ` +
            waits
              .map(st => {
                const m = props.w.gate && props.w.gate.members.find(g => g.kind === st.step.kind && g.name === st.step.name && g.namespace === st.step.namespace);
                return `${st.step.kind} ${name(st.step.namespace, st.step.name)}${m ? ' [' + m.detail + ']' : ''}`;
              })
              .join(', ')}
      </td>
    </tr>
  );
}

function Waves(props: {view: View}) {
  const rows: any[] = [];
  props.view.waves.forEach((w, i) => {
    rows.push(
      <tr key={'w' + i} data-testid='wave' data-state={w.state}>
        <td colSpan={6} style={css.wave}>
          {waveTitle(w)} <span style={{fontWeight: 400, color: '#6d7f8b'}}>{w.state === 'idle' ? '' : '· ' + w.state}</span>
        </td>
      </tr>,
    );
    w.steps.forEach((st, j) => {
      const s = st.step;
      rows.push(
        <tr key={`s${i}.${j}`} data-testid='step' data-kind={s.kind} data-name={s.name}>
          <td style={css.td}>{st.done ? '✓' : w.state === 'running' && w.holding.indexOf(st) >= 0 ? '…' : ''}</td>
          <td style={css.td}>
            {s.kind}
            {s.hook ? ' (hook)' : ''}
          </td>
          <td style={css.td}>{name(s.namespace, s.name)}</td>
          <td style={css.td}>{s.group || ''}</td>
          <td style={css.td} data-testid='reason'>
            {s.reason}
          </td>
          <td style={css.td}>
            <HealthCell st={st} />
            {st.result ? <span style={{color: '#6d7f8b'}}> · {st.result}</span> : null}
          </td>
        </tr>,
      );
    });
    rows.push(<Gate key={'g' + i} w={w} next={props.view.waves[i + 1] || null} />);
  });
  return (
    <table style={css.table}>
      <thead>
        <tr>
          <th style={css.th} />
          <th style={css.th}>Kind</th>
          <th style={css.th}>Namespace/Name</th>
          <th style={css.th}>Group</th>
          <th style={css.th}>Reason</th>
          <th style={css.th}>Health · result</th>
        </tr>
      </thead>
      <tbody>{rows}</tbody>
    </table>
  );
}

// ownOf fetches a child Application (its own status) and its resource tree
// through Argo CD's API with the user's session; a child the user may not
// get is reported so.
async function ownOf(ns: string, n: string): Promise<ChildOwn | string> {
  const q = ns ? `?appNamespace=${encodeURIComponent(ns)}` : '';
  const res = await fetch(`/api/v1/applications/${encodeURIComponent(n)}${q}`, {credentials: 'same-origin'});
  if (!res.ok) {
    return res.status === 403 || res.status === 404 ? 'not visible to you' : `${res.status} ${res.statusText}`;
  }
  const app = await res.json();
  const tr = await fetch(`/api/v1/applications/${encodeURIComponent(n)}/resource-tree${q}`, {credentials: 'same-origin'});
  return childOwn(app, tr.ok ? await tr.json() : null);
}

// Children re-reads the children when the parent's operation phase
// changes or the controller reconciles the parent again (reconciledAt,
// which Argo CD's live updates of the parent carry).
function Children(props: {view: View; tick: string}) {
  const kids = props.view.children;
  const [own, setOwn] = React.useState({} as {[k: string]: ChildOwn | string});
  const names = kids.map(c => name(c.step.namespace, c.step.name)).join(',');
  React.useEffect(() => {
    let live = true;
    Promise.all(kids.map(c => ownOf(c.step.namespace, c.step.name).catch(e => String(e.message || e)))).then(rs => {
      if (live) {
        const m: {[k: string]: ChildOwn | string} = {};
        kids.forEach((c, i) => (m[name(c.step.namespace, c.step.name)] = rs[i]));
        setOwn(m);
      }
    });
    return () => {
      live = false;
    };
  }, [names, props.view.operation && props.view.operation.phase, props.tick]);
  const judged = kids.some(c => !!c.health);
  return (
    <div data-testid='children'>
      <h4>Child Applications</h4>
      <div style={css.note}>
        {judged
          ? 'Argo CD judges child Applications with a health check (argocd-cm): a wave holding a child waits until the child is Healthy.'
          : 'Argo CD reports no health for child Applications (no resource.customizations.health.argoproj.io_Application in argocd-cm, as since Argo CD 1.8): the parent moves past a child once it is applied, without waiting for it. Their own health follows.'}
      </div>
      <table style={css.table}>
        <thead>
          <tr>
            <th style={css.th}>Application</th>
            <th style={css.th}>Step</th>
            <th style={css.th}>{"Parent's gate"}</th>
            <th style={css.th}>Its own status</th>
          </tr>
        </thead>
        <tbody>
          {kids.map(c => {
            const k = name(c.step.namespace, c.step.name);
            const o = own[k];
            return (
              <tr key={k} data-testid='child' data-name={c.step.name} data-wave={String(c.step.wave)}>
                <td style={css.td}>{k}</td>
                <td style={css.td}>
                  {c.step.phase} wave {c.step.wave}
                </td>
                <td style={css.td} data-testid='child-gate'>
                  {c.health ? <HealthCell st={c} /> : <span style={{color: '#6d7f8b'}}>not judged (no health check)</span>}
                </td>
                <td style={css.td} data-testid='child-own'>
                  {o === undefined ? (
                    'loading…'
                  ) : typeof o === 'string' ? (
                    <span style={{color: '#6d7f8b'}}>{o}</span>
                  ) : (
                    <span>
                      {o.health ? <HealthCell st={{...c, health: o.health}} /> : 'no health yet'}
                      {o.sync ? ` · ${o.sync}` : ''}
                      {o.operation ? ` · operation ${o.operation}` : ''}
                      {o.unhealthy.slice(0, 3).map(u => (
                        <div key={u.kind + u.namespace + u.name} style={{fontSize: '12px', color: '#495763'}}>
                          {u.kind} {name(u.namespace, u.name)}: {u.health.status}
                          {u.health.message ? ': ' + u.health.message : ''}
                        </div>
                      ))}
                      {o.unhealthy.length > 3 ? <div style={css.note}>and {o.unhealthy.length - 3} more not Healthy</div> : null}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export interface Props {
  application: any;
  tree: any;
}

// managedResources fetches the Application's managed resources through
// Argo CD's API with the user's session (the cookie the UI holds).
async function managedResources(app: any): Promise<Managed[]> {
  const q = app.metadata.namespace ? `?appNamespace=${encodeURIComponent(app.metadata.namespace)}` : '';
  const res = await fetch(`/api/v1/applications/${encodeURIComponent(app.metadata.name)}/managed-resources${q}`, {credentials: 'same-origin'});
  if (!res.ok) {
    throw new Error(`managed resources: ${res.status} ${res.statusText}`);
  }
  const body = await res.json();
  return body.items || [];
}

export function SyncPlan(props: Props) {
  const [items, setItems] = React.useState(null as Managed[] | null);
  const [error, setError] = React.useState('');
  const [now, setNow] = React.useState(Date.now());
  const seen = React.useRef({key: '', at: 0});
  const app = props.application;
  const rev = app && app.status && app.status.sync ? app.status.sync.revision : '';
  React.useEffect(() => {
    let live = true;
    managedResources(app).then(
      its => live && setItems(its),
      e => live && setError(String(e.message || e)),
    );
    return () => {
      live = false;
    };
  }, [app && app.metadata.name, rev]);
  React.useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (error) {
    return <div data-testid='error'>Sync plan: {error}</div>;
  }
  if (!items) {
    return <div data-testid='loading'>Loading the sync plan…</div>;
  }
  const rec = findRecord(items);
  let plan: Plan;
  let origin: Origin;
  if (rec.plan) {
    plan = rec.plan;
    origin = 'record';
  } else {
    plan = planFromAnnotations(items, app.spec.destination && app.spec.destination.namespace);
    origin = 'annotations';
  }
  const view = buildView(plan, origin, rec.note, app, props.tree);
  const runKey = view.running ? `${view.operation && view.operation.startedAt}/${view.running.phase}/${view.running.wave}` : '';
  if (runKey !== seen.current.key) {
    seen.current = {key: runKey, at: Date.now()};
  }
  return (
    <div style={{padding: '12px 16px'}} data-testid='sync-plan' data-origin={origin}>
      <div style={css.note}>
        {origin === 'record'
          ? 'Order and reasons from syncwave (the plan record of this revision).'
          : 'Not rendered by syncwave with a plan record: the waves and hooks as Argo CD reads them from the annotations.'}
        {view.note ? ' ' + view.note : ''}
        {view.operation ? ` Last operation: ${view.operation.phase}.` : ''}
      </div>
      <Now view={view} since={seen.current.at || now} now={now} />
      <Waves view={view} />
      {view.children.length > 0 ? <Children view={view} tick={(app.status && app.status.reconciledAt) || ''} /> : null}
      {view.excluded.length > 0 ? (
        <div data-testid='excluded'>
          <h4>Never applied in a sync</h4>
          {view.excluded.map(e => (
            <div key={e.kind + e.name}>
              {e.kind} {name(e.namespace, e.name)}: {e.reason}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
