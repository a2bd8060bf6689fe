package annotate

import (
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// pod is a Deployment document whose pod template has spec (one line of
// flow YAML), with annotation key=value pairs.
func pod(ns, name, spec string, ann ...string) string {
	return strings.Replace(obj("apps/v1", "Deployment", ns, name, ann...), "\nmetadata:", "\nspec: {template: {spec: "+spec+"}}\nmetadata:", 1)
}

func TestInferredReferences(t *testing.T) {
	t.Parallel()
	on := "dependencies: {references: true}\n"
	none, err := order.ParseSyntaxList("none", SyntaxNames())
	if err != nil {
		t.Fatal(err)
	}
	rb := func(kind, ns, name, role string) string {
		return obj("rbac.authorization.k8s.io/v1", kind, ns, name) +
			"roleRef: {kind: " + role + ", name: r}\nsubjects: [{kind: ServiceAccount, name: sa, namespace: shop}]\n"
	}
	for _, tc := range []struct {
		name, order string
		opts        Options
		docs        []string
		want        string // waves, or the error text when it starts with "error: "
		reason      string // a placement reason that must appear
	}{
		{name: "off by default",
			docs: []string{pod("shop", "api", "{serviceAccountName: sa}"), obj("v1", "ServiceAccount", "shop", "sa")},
			want: "Deployment/api=- ServiceAccount/sa=-"},
		{name: "on: after its ServiceAccount and ConfigMap; an optional Secret is no edge", order: on,
			docs: []string{
				pod("shop", "api", "{serviceAccountName: sa, volumes: [{name: c, configMap: {name: c}}, {name: s, secret: {secretName: s, optional: true}}]}"),
				obj("v1", "ServiceAccount", "shop", "sa"), obj("v1", "ConfigMap", "shop", "c"), obj("v1", "Secret", "shop", "s"),
			},
			want:   "Deployment/api=1 ServiceAccount/sa=0 ConfigMap/c=0 Secret/s=-",
			reason: "after ConfigMap shop/c (wave 0, reference: spec.template.spec.volumes[0].configMap.name), ServiceAccount shop/sa (wave 0, reference: spec.template.spec.serviceAccountName)"},
		{name: "a claim is no edge (WaitForFirstConsumer would never bind)", order: on,
			docs: []string{pod("shop", "api", "{volumes: [{name: d, persistentVolumeClaim: {claimName: d}}]}"), obj("v1", "PersistentVolumeClaim", "shop", "d")},
			want: "Deployment/api=- PersistentVolumeClaim/d=-"},
		{name: "--dependency-annotations none keeps references", order: on, opts: Options{Dependencies: &none},
			docs: []string{pod("shop", "api", "{serviceAccountName: sa}"), obj("v1", "ServiceAccount", "shop", "sa")},
			want: "Deployment/api=1 ServiceAccount/sa=0"},
		{name: "namespaces must match; none is the destination's", order: on, opts: Options{Namespace: "shop"},
			docs: []string{pod("", "api", "{serviceAccountName: sa}"), obj("v1", "ServiceAccount", "shop", "sa"), obj("v1", "ServiceAccount", "other", "sa")},
			want: "Deployment/api=1 ServiceAccount/sa=0 ServiceAccount/sa=-"},
		{name: "bindings: Role, ClusterRole, subject ServiceAccounts", order: on,
			docs: []string{
				rb("RoleBinding", "shop", "b", "Role"), rb("ClusterRoleBinding", "", "cb", "ClusterRole"),
				obj("rbac.authorization.k8s.io/v1", "Role", "shop", "r"), obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r"),
				obj("v1", "ServiceAccount", "shop", "sa"),
			},
			want: "RoleBinding/b=1 ClusterRoleBinding/cb=1 Role/r=0 ClusterRole/r=0 ServiceAccount/sa=0"},
		{name: "one group: no edge", order: on + "groups:\n  - name: app\n    select: [{namespace: shop}]\n",
			docs: []string{pod("shop", "api", "{serviceAccountName: sa}"), obj("v1", "ServiceAccount", "shop", "sa")},
			want: "Deployment/api=0 ServiceAccount/sa=0"},
		{name: "a PreSync hook using a Sync object: no edge, no error", order: on,
			docs: []string{pod("shop", "api", "{serviceAccountName: sa}", argocd.AnnotationHook, "PreSync"), obj("v1", "ServiceAccount", "shop", "sa")},
			want: "Deployment/api=- ServiceAccount/sa=-"},
		{name: "pins that contradict a reference", order: on,
			docs: []string{pod("shop", "api", "{serviceAccountName: sa}", argocd.AnnotationSyncWave, "0"), obj("v1", "ServiceAccount", "shop", "sa", argocd.AnnotationSyncWave, "2")},
			want: "error: app.yaml:2: spec.template.spec.serviceAccountName: pinned waves contradict this edge: Deployment shop/api (wave 0) must come after ServiceAccount shop/sa (wave 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := manifest.Decode("app.yaml", []byte(strings.Join(tc.docs, "")), manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := ApplyWith(decodeOrder(t, tc.order), res, tc.opts)
			if strings.HasPrefix(tc.want, "error: ") {
				if err == nil || err.Error() != strings.TrimPrefix(tc.want, "error: ") {
					t.Fatalf("error:\ngot  %v\nwant %s", err, strings.TrimPrefix(tc.want, "error: "))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := wavesOfResources(out.Resources); got != tc.want {
				t.Errorf("waves:\ngot  %s\nwant %s", got, tc.want)
			}
			if len(out.Warnings) > 0 {
				t.Errorf("warnings: %q", out.Warnings)
			}
			if tc.reason != "" {
				found := false
				for _, p := range out.Placements {
					found = found || strings.Contains(p.Reason, tc.reason)
				}
				if !found {
					t.Errorf("no reason contains %q: %+v", tc.reason, out.Placements)
				}
			}
		})
	}
}

func TestResultAfter(t *testing.T) {
	t.Parallel()
	o := decodeOrder(t, "dependencies: {references: true}\ngroups:\n  - name: sa\n    select: [{kind: ServiceAccount}]\n  - name: late\n    select: [{kind: Job}]\n    after: [sa]\n")
	res, err := manifest.Decode("app.yaml", []byte(strings.Join([]string{
		obj("v1", "ServiceAccount", "shop", "sa"),                                             // 0: group sa
		pod("shop", "api", "{serviceAccountName: sa}"),                                        // 1: after sa (reference)
		obj("batch/v1", "Job", "shop", "j"),                                                   // 2: group late, after sa
		obj("v1", "ConfigMap", "shop", "free"),                                                // 3: in no graph node
		obj("v1", "ConfigMap", "shop", "c", DependsOn, "apps/namespaces/shop/Deployment/api"), // 4: after api, so after sa
	}, "")), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ApplyWith(o, res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		i, j int
		want bool
	}{{1, 0, true}, {2, 0, true}, {4, 0, true}, {4, 1, true}, {0, 1, false}, {2, 1, false}, {3, 0, false}, {0, 3, false}, {1, 1, false}, {9, 0, false}} {
		if got := out.After(tc.i, tc.j); got != tc.want {
			t.Errorf("After(%d, %d) = %v, want %v", tc.i, tc.j, got, tc.want)
		}
	}
}
