package annotate

import (
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// waves renders "Kind/name=wave" for every resource, "-" when it has no
// sync-wave.
func wavesOfResources(res []*manifest.Resource) string {
	var s []string
	for _, r := range res {
		w, ok := r.Annotation(argocd.AnnotationSyncWave)
		if !ok {
			w = "-"
		}
		s = append(s, r.Kind+"/"+r.Name+"="+w)
	}
	return strings.Join(s, " ")
}

func decodeOrder(t *testing.T, y string) *order.SyncOrder {
	t.Helper()
	if y == "" {
		return nil
	}
	o, err := order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n"+y), SyntaxNames())
	if err != nil {
		t.Fatal(err)
	}
	o.Default()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o
}

// obj builds a resource document: kind, name, namespace, then annotation
// key=value pairs.
func obj(apiVersion, kind, ns, name string, ann ...string) string {
	var b strings.Builder
	b.WriteString("---\napiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n")
	if ns != "" {
		b.WriteString("  namespace: " + ns + "\n")
	}
	if len(ann) > 0 {
		b.WriteString("  annotations:\n")
		for i := 0; i+1 < len(ann); i += 2 {
			b.WriteString("    " + ann[i] + ": '" + ann[i+1] + "'\n")
		}
	}
	return b.String()
}

func TestDependencyAnnotations(t *testing.T) {
	t.Parallel()
	dep := DependsOn
	for _, tc := range []struct {
		name   string
		order  string
		opts   Options
		docs   []string
		source string // resource file name ("" for app.yaml)
		want   string // waves, or the error text when it starts with "error: "
		warn   string // a warning that must appear
		reason string // a placement reason that must appear
	}{
		{name: "depends-on chain",
			docs: []string{
				obj("apps/v1", "Deployment", "shop", "api", dep, "/namespaces/shop/Service/db"),
				obj("v1", "Service", "shop", "db", dep, "apps/namespaces/shop/StatefulSet/db"),
				obj("apps/v1", "StatefulSet", "shop", "db"),
				obj("v1", "ConfigMap", "shop", "free"),
			},
			want:   "Deployment/api=2 Service/db=1 StatefulSet/db=0 ConfigMap/free=-",
			reason: "after Service shop/db (wave 1, config.kubernetes.io/depends-on)"},
		{name: "several entries, cluster-scoped form",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", dep, "rbac.authorization.k8s.io/ClusterRole/reader, /namespaces/shop/Secret/s"),
				obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader"),
				obj("v1", "Secret", "shop", "s", dep, "rbac.authorization.k8s.io/ClusterRole/reader"),
			},
			want: "ConfigMap/app=2 ClusterRole/reader=0 Secret/s=1"},
		{name: "namespace must match; empty namespace is the destination",
			opts: Options{Namespace: "shop"},
			docs: []string{
				obj("v1", "ConfigMap", "", "app", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "", "s"),
				obj("v1", "Secret", "other", "s"),
			},
			want: "ConfigMap/app=1 Secret/s=0 Secret/s=-"},
		{name: "missing object is a warning",
			docs: []string{obj("v1", "ConfigMap", "shop", "app", dep, "/namespaces/shop/Secret/external")},
			want: "ConfigMap/app=-",
			warn: "ConfigMap shop/app (app.yaml:2): config.kubernetes.io/depends-on: /namespaces/shop/Secret/external is not in the output"},
		{name: "malformed entry is an error",
			docs: []string{obj("v1", "ConfigMap", "shop", "app", dep, "Secret/external")},
			want: `error: ConfigMap shop/app (app.yaml:2): config.kubernetes.io/depends-on: "Secret/external" is not <group>/namespaces/<namespace>/<Kind>/<name>`},
		{name: "cycle names each edge's origin",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "a", dep, "/namespaces/shop/ConfigMap/b"),
				obj("v1", "ConfigMap", "shop", "b", dep, "/namespaces/shop/ConfigMap/a"),
			},
			want: `error: app.yaml:10: metadata.annotations["config.kubernetes.io/depends-on"]: cycle: ConfigMap shop/b -> ConfigMap shop/a (app.yaml:10 metadata.annotations["config.kubernetes.io/depends-on"]) -> ConfigMap shop/b (app.yaml:2 metadata.annotations["config.kubernetes.io/depends-on"])`},
		{name: "existing sync-wave is a pin; a dependency lands before it",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", argocd.AnnotationSyncWave, "-1", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s"),
			},
			want: "ConfigMap/app=-1 Secret/s=-2", reason: "its own wave -1, after Secret shop/s (wave -2, config.kubernetes.io/depends-on)"},
		{name: "pins that contradict a dependency",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", argocd.AnnotationSyncWave, "1", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s", argocd.AnnotationSyncWave, "3"),
			},
			want: `error: app.yaml:2: metadata.annotations["config.kubernetes.io/depends-on"]: pinned waves contradict this edge: ConfigMap shop/app (wave 1) must come after Secret shop/s (wave 3)`},
		{name: "override ignores existing waves",
			order: "defaults: {existingAnnotations: override}\n",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", argocd.AnnotationSyncWave, "1", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s", argocd.AnnotationSyncWave, "3"),
			},
			want: "ConfigMap/app=1 Secret/s=0"},
		{name: "a grouped resource's dependency moves its group",
			order: "groups:\n  - name: web\n    select: [{kind: Deployment}]\n  - name: after-web\n    select: [{kind: Job}]\n    after: [web]\n",
			docs: []string{
				obj("apps/v1", "Deployment", "shop", "web", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s", dep, "/namespaces/shop/ConfigMap/c"),
				obj("v1", "ConfigMap", "shop", "c"),
				obj("batch/v1", "Job", "shop", "j"),
			},
			want: "Deployment/web=2 Secret/s=1 ConfigMap/c=0 Job/j=3", reason: "after Secret shop/s (wave 1, config.kubernetes.io/depends-on)"},
		{name: "a resource depends on a grouped one",
			order: "groups:\n  - name: db\n    wave: 4\n    select: [{kind: StatefulSet}]\n",
			docs: []string{
				obj("apps/v1", "StatefulSet", "shop", "db"),
				obj("apps/v1", "Deployment", "shop", "api", dep, "apps/namespaces/shop/StatefulSet/db"),
			},
			want: "StatefulSet/db=4 Deployment/api=5", reason: "after db (wave 4, config.kubernetes.io/depends-on)"},
		{name: "two resources of one group depending on each other is a cycle",
			order: "groups:\n  - name: cm\n    select: [{kind: ConfigMap}]\n",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "a", dep, "/namespaces/shop/ConfigMap/b"),
				obj("v1", "ConfigMap", "shop", "b"),
			},
			want: `error: app.yaml:2: metadata.annotations["config.kubernetes.io/depends-on"]: cycle: cm -> cm (app.yaml:2 metadata.annotations["config.kubernetes.io/depends-on"])`},
		{name: "a sync resource cannot come after a PostSync hook",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", dep, "batch/namespaces/shop/Job/smoke"),
				obj("batch/v1", "Job", "shop", "smoke", "argocd.argoproj.io/hook", "PostSync"),
			},
			want: `error: app.yaml:2: metadata.annotations["config.kubernetes.io/depends-on"]: ConfigMap shop/app (phase Sync) cannot come after Job shop/smoke (phase PostSync): the PostSync phase runs after the Sync phase`},
		{name: "depends-on switched off in syncwave.yaml",
			order: "dependencies: {dependsOn: false}\n",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s"),
			},
			want: "ConfigMap/app=- Secret/s=-"},
		{name: "option wins over syncwave.yaml",
			order: "dependencies: {dependsOn: false}\n",
			opts:  Options{Dependencies: &order.Dependencies{}},
			docs: []string{
				obj("v1", "ConfigMap", "shop", "app", dep, "/namespaces/shop/Secret/s"),
				obj("v1", "Secret", "shop", "s"),
			},
			want: "ConfigMap/app=1 Secret/s=0"},
		{name: "helm resource groups",
			source: "shop/templates/all.yaml",
			docs: []string{
				obj("apps/v1", "Deployment", "shop", "app", HelmResourceGroup, "app", HelmDependsOnGroups, `["database", "cache"]`),
				obj("apps/v1", "StatefulSet", "shop", "db", HelmResourceGroup, "database"),
				obj("v1", "Service", "shop", "db", HelmResourceGroup, "database", argocd.AnnotationSyncWave, "2"),
				obj("apps/v1", "Deployment", "shop", "cache", HelmResourceGroup, "cache"),
				obj("v1", "Service", "shop", "app", HelmResourceGroup, "app"),
			},
			want:   "Deployment/app=3 StatefulSet/db=0 Service/db=2 Deployment/cache=0 Service/app=3",
			reason: `after Helm resource group "database" (wave 2, helm.sh/depends-on/resource-groups), Helm resource group "cache" (wave 0, helm.sh/depends-on/resource-groups)`},
		{name: "helm earlier draft spelling: layers",
			source: "shop/templates/all.yaml",
			docs: []string{
				obj("apps/v1", "Deployment", "shop", "app", HelmLayer, "app", HelmDependsOnLayers, `["database, cache"]`),
				obj("apps/v1", "StatefulSet", "shop", "db", HelmLayer, "database"),
				obj("apps/v1", "Deployment", "shop", "cache", HelmResourceGroup, "cache"),
				obj("v1", "Service", "shop", "web", HelmDependsOnLayers, `app`),
			},
			want:   "Deployment/app=1 StatefulSet/db=0 Deployment/cache=0 Service/web=2",
			warn:   `Deployment shop/app (shop/templates/all.yaml:2): helm.sh/layer: the spelling of an earlier HIP-0025 draft, read as helm.sh/resource-group; rename it to helm.sh/resource-group`,
			reason: `after Helm resource group "database" (wave 0, helm.sh/depends-on/layers), Helm resource group "cache" (wave 0, helm.sh/depends-on/layers)`},
		{name: "helm earlier draft spelling: depends-on/layers warns with the current name",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "a", HelmDependsOnLayers, `["b"]`),
				obj("v1", "ConfigMap", "shop", "b", HelmResourceGroup, "b"),
			},
			want: "ConfigMap/a=1 ConfigMap/b=0",
			warn: `helm.sh/depends-on/layers: the spelling of an earlier HIP-0025 draft, read as helm.sh/depends-on/resource-groups; rename it to helm.sh/depends-on/resource-groups`},
		{name: "helm both spellings disagree",
			docs: []string{obj("v1", "ConfigMap", "shop", "a", HelmLayer, "x", HelmResourceGroup, "y")},
			want: `error: ConfigMap shop/a (app.yaml:2): helm.sh/layer: the earlier HIP-0025 draft's spelling of helm.sh/resource-group, which this resource also has with another value ("y")`},
		{name: "helm both spellings agree",
			docs: []string{obj("v1", "ConfigMap", "shop", "a", HelmLayer, "x", HelmResourceGroup, "x")},
			want: "ConfigMap/a=0",
			warn: `helm.sh/layer: the earlier HIP-0025 draft's spelling of helm.sh/resource-group, which this resource also has: remove helm.sh/layer`},
		{name: "helm earlier draft malformed list",
			docs: []string{obj("v1", "ConfigMap", "shop", "a", HelmDependsOnLayers, `["b"`)},
			want: `error: ConfigMap shop/a (app.yaml:2): helm.sh/depends-on/layers: "[\"b\"" is not a JSON array`},
		{name: "helm groups are per chart; unknown group warns",
			source: "shop/charts/sub/templates/all.yaml",
			docs: []string{
				obj("v1", "ConfigMap", "shop", "a", HelmDependsOnGroups, `["nowhere"]`),
			},
			want: "ConfigMap/a=-",
			warn: `no resource of this chart is in Helm resource group "nowhere"`},
		{name: "helm malformed list",
			docs: []string{obj("v1", "ConfigMap", "shop", "a", HelmDependsOnGroups, `database`)},
			want: `error: ConfigMap shop/a (app.yaml:2): helm.sh/depends-on/resource-groups: "database" is not a JSON array`},
		{name: "helm annotations on hooks are ignored",
			docs: []string{
				obj("batch/v1", "Job", "shop", "j", "helm.sh/hook", "pre-install", HelmResourceGroup, "init"),
			},
			want: "Job/j=-", warn: "ignored on a Helm hook"},
		{name: "helm switched off",
			opts: Options{Dependencies: &order.Dependencies{Syntaxes: map[string]bool{"helm": false}}},
			docs: []string{
				obj("v1", "ConfigMap", "shop", "a", HelmResourceGroup, "a", HelmDependsOnGroups, `["b"]`),
				obj("v1", "ConfigMap", "shop", "b", HelmResourceGroup, "b"),
			},
			want: "ConfigMap/a=- ConfigMap/b=-"},
		{name: "kapp change groups and rules",
			docs: []string{
				obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "hook", KappChangeGroup, "webhooks", KappChangeRule, "upsert after upserting core"),
				obj("apps/v1", "Deployment", "sys", "ctrl", KappChangeGroup+".x", "core"),
				obj("v1", "Service", "sys", "ctrl", KappChangeGroup, "core"),
				obj("v1", "ConfigMap", "sys", "first", KappChangeRule+".a", "upsert before upserting core", KappChangeRule+".b", "delete after deleting core"),
			},
			want: "ValidatingWebhookConfiguration/hook=2 Deployment/ctrl=1 Service/ctrl=1 ConfigMap/first=0",
			warn: `kapp.k14s.io/change-rule.b: "delete after deleting core" ignored`},
		{name: "kapp placeholders",
			docs: []string{
				obj("v1", "ConfigMap", "sys", "a", KappChangeGroup, "{kind}/{name}"),
				obj("v1", "Secret", "sys", "b", KappChangeRule, "upsert after upserting ConfigMap/a"),
			},
			want: "ConfigMap/a=0 Secret/b=1"},
		{name: "kapp malformed rule",
			docs: []string{obj("v1", "ConfigMap", "sys", "a", KappChangeRule, "after core")},
			want: `error: ConfigMap sys/a (app.yaml:2): kapp.k14s.io/change-rule: "after core" is not`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tc.source
			if src == "" {
				src = "app.yaml"
			}
			res, err := manifest.Decode(src, []byte(strings.Join(tc.docs, "")), manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := ApplyWith(decodeOrder(t, tc.order), res, tc.opts)
			if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := wavesOfResources(out.Resources); got != tc.want {
				t.Errorf("waves:\n got %s\nwant %s", got, tc.want)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(out.Warnings, "\n"), tc.warn) {
				t.Errorf("warnings %q lack %q", out.Warnings, tc.warn)
			}
			if tc.reason != "" {
				var rs []string
				for _, p := range out.Placements {
					rs = append(rs, p.Reason)
				}
				if !strings.Contains(strings.Join(rs, "\n"), tc.reason) {
					t.Errorf("reasons %q lack %q", rs, tc.reason)
				}
			}
			for _, r := range out.Resources {
				for _, k := range []string{HelmDependsOnGroups, HelmDependsOnLayers} {
					if _, ok := r.Annotation(k); ok {
						t.Errorf("%s keeps %s, which Kubernetes rejects", r, k)
					}
				}
			}
		})
	}
}

func TestSubchartOrdering(t *testing.T) {
	t.Parallel()
	resources := func() []*manifest.Resource {
		var res []*manifest.Resource
		for _, f := range []struct{ src, name string }{
			{"shop/templates/own.yaml", "own"},
			{"shop/charts/queue/templates/q.yaml", "queue"},
			{"shop/charts/queue/charts/inner/templates/i.yaml", "inner"},
			{"shop/charts/worker/templates/w.yaml", "worker"},
			{"shop/charts/idle/templates/x.yaml", "idle"},
		} {
			rs, err := manifest.Decode(f.src, []byte("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: "+f.name+"}\n"), manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, rs...)
		}
		return res
	}
	charts := []ChartOrder{{
		File: "shop/Chart.yaml", Scope: "shop",
		Subcharts:       map[string]string{"queue": "shop/charts/queue", "worker": "shop/charts/worker", "idle": "shop/charts/idle", "empty": "shop/charts/empty"},
		DependsOn:       []ChartEdge{{From: "queue", To: "worker", Path: "dependencies[1].depends-on[0]"}, {From: "nope", To: "worker", Path: "dependencies[1].depends-on[1]"}},
		ParentDependsOn: []string{"worker", "empty"},
	}}
	out, err := ApplyWith(nil, resources(), Options{Charts: charts})
	if err != nil {
		t.Fatal(err)
	}
	// inner is part of queue; own comes after worker, which comes after queue.
	if got := wavesOfResources(out.Resources); got != "ConfigMap/own=2 ConfigMap/queue=0 ConfigMap/inner=0 ConfigMap/worker=1 ConfigMap/idle=-" {
		t.Errorf("waves %s", got)
	}
	w := strings.Join(out.Warnings, "\n")
	for _, want := range []string{`dependencies[1].depends-on[1]: depends-on names no dependency of this chart ("nope")`, `subchart "empty" renders nothing`} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", out.Warnings, want)
		}
	}
	if r := out.Placements[0].Reason; r != "after subchart shop/charts/worker (wave 1, helm.sh/depends-on/subcharts)" {
		t.Errorf("reason %q", r)
	}
	if r := out.Placements[3].Reason; r != "after subchart shop/charts/queue (wave 0, Chart.yaml depends-on)" {
		t.Errorf("reason %q", r)
	}
	// Switched off with the rest of Helm's sequencing.
	out, err = ApplyWith(nil, resources(), Options{Charts: charts, Dependencies: &order.Dependencies{Syntaxes: map[string]bool{"helm": false}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := wavesOfResources(out.Resources); strings.Contains(got, "=0") || strings.Contains(got, "=1") {
		t.Errorf("helm: false still orders subcharts: %s", got)
	}
}

// FuzzDependencyAnnotations feeds arbitrary annotation values to the three
// parsers: no panic, and either an error or every edge respected.
func FuzzDependencyAnnotations(f *testing.F) {
	f.Add("/namespaces/shop/Secret/s", `["b"]`, "upsert after upserting b")
	f.Add("a/b/c/d/e/f", "[", "upsert sideways upserting")
	f.Add(",,", `[""]`, "delete before deleting {name}")
	f.Fuzz(func(t *testing.T, dependsOn, helmGroups, kappRule string) {
		docs := obj("v1", "Secret", "shop", "s", HelmResourceGroup, "b", KappChangeGroup, "b") +
			"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\n  annotations:\n" +
			"    " + DependsOn + ": " + quoteYAML(dependsOn) + "\n" +
			"    " + HelmDependsOnGroups + ": " + quoteYAML(helmGroups) + "\n" +
			"    " + KappChangeRule + ": " + quoteYAML(kappRule) + "\n"
		res, err := manifest.Decode("app.yaml", []byte(docs), manifest.Options{})
		if err != nil {
			return
		}
		out, err := Apply(nil, res)
		if err != nil {
			return
		}
		_ = wavesOfResources(out.Resources)
	})
}

func quoteYAML(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

func TestParseObjRef(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/namespaces/shop/Secret/db":              "/namespaces/shop/Secret/db",
		"apps/namespaces/a/Deployment/b":          "apps/namespaces/a/Deployment/b",
		"rbac.authorization.k8s.io/ClusterRole/r": "rbac.authorization.k8s.io/ClusterRole/r",
		"/Namespace/shop":                         "/Namespace/shop",
		"Secret/db":                               "error",
		"a/b/c/d/e/f":                             "error",
		"/namespaces//Secret/db":                  "error",
		"/ns/shop/Secret/db":                      "error",
		"//x":                                     "error",
		"":                                        "error",
	} {
		r, err := parseObjRef(in)
		got := r.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("parseObjRef(%q) = %s, want %s", in, got, want)
		}
	}
}
