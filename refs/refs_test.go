package refs

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"fmt"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t testing.TB, s string) map[string]any {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOf(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  string
		want []string // String() + " via " + Via (+ " optional")
	}{
		"cronjob": {`apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: ns}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: runner
          initContainers:
            - name: init
              envFrom: [{secretRef: {name: s1, optional: true}}]
          containers:
            - name: main
              env:
                - name: A
                  valueFrom: {configMapKeyRef: {name: cm1, key: k}}
                - name: B
                  value: plain
          volumes:
            - name: v
              configMap: {name: cm2}
            - name: p
              projected:
                sources:
                  - configMap: {name: cm3, optional: true}
                  - serviceAccountToken: {path: t}
            - name: e
              emptyDir: {}
`, []string{
			"ConfigMap ns/cm1 via container \"main\" env A",
			"ConfigMap ns/cm2 via volume \"v\" (configMap)",
			"ConfigMap ns/cm3 via volume \"p\" (projected configMap) optional",
			"Secret ns/s1 via container \"init\" envFrom optional",
			"ServiceAccount ns/runner via serviceAccountName",
		}},
		"default service account": {`apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {serviceAccountName: default, containers: [{name: c}]}
`, nil},
		"deprecated serviceAccount field, no namespace": {`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {template: {spec: {serviceAccount: old, imagePullSecrets: [{name: pull}]}}}
`, []string{"Secret pull via imagePullSecrets", "ServiceAccount old via serviceAccountName"}},
		"clusterrolebinding": {`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: sa, namespace: other}
  - {kind: User, name: alice}
`, []string{"ClusterRole view via roleRef", "ServiceAccount other/sa via subjects[0]"}},
		"rolebinding subject defaults to its namespace": {`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: ns}
roleRef: {kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: sa}]
`, []string{"Role ns/r via roleRef", "ServiceAccount ns/sa via subjects[0]"}},
		"not a workload": {`apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {spec: x}
`, nil},
		"wrong shapes are skipped": {`apiVersion: apps/v1
kind: Deployment
metadata: x
spec: {template: {spec: {volumes: 3, containers: [1, {env: {a: b}}], serviceAccountName: [x]}}}
`, nil},
	} {
		var got []string
		for _, r := range Of(parse(t, tc.doc)) {
			if !Target(r.Group, r.Kind) {
				t.Errorf("%s: %s is not a Target", name, r)
			}
			s := r.String() + " via " + r.Via
			if r.Optional {
				s += " optional"
			}
			got = append(got, s)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", name, got, tc.want)
		}
	}
}

func FuzzOf(f *testing.F) {
	f.Add("apiVersion: v1\nkind: Pod\nspec: {serviceAccountName: a, volumes: [{secret: {secretName: b}}]}\n")
	f.Add("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nroleRef: {kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: s}]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(doc), &m) == nil {
			for _, r := range Of(m) {
				if r.Name == "" || r.Kind == "" {
					t.Fatalf("empty reference %+v", r)
				}
				if !Target(r.Group, r.Kind) {
					t.Fatalf("%+v is not a Target", r)
				}
			}
		}
	})
}

func TestOfDocument(t *testing.T) {
	rs, err := OfDocument([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"n"},"spec":{"serviceAccountName":"sa"}}`))
	if err != nil || len(rs) != 1 || rs[0].String() != "ServiceAccount n/sa" {
		t.Errorf("%v %v", rs, err)
	}
	if _, err := OfDocument([]byte("a: [")); err == nil {
		t.Error("no error for bad YAML")
	}
}

// TestOfDocumentReadsAsArgoCD: references are read as Argo CD reads the
// object (sigs.k8s.io/yaml): the last of repeated keys wins, merge keys are
// resolved, and an unquoted yes is a boolean (so not a name).
func TestOfDocumentReadsAsArgoCD(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"repeated key", "kind: Pod\nmetadata: {namespace: shop}\nspec:\n  serviceAccountName: first\n  serviceAccountName: last\n", "[ServiceAccount shop/last]"},
		{"merge key", "kind: Pod\nmetadata: {namespace: shop}\nbase: &b {serviceAccountName: merged}\nspec:\n  <<: *b\n", "[ServiceAccount shop/merged]"},
		{"yes is a boolean", "kind: Pod\nmetadata: {namespace: shop}\nspec:\n  serviceAccountName: yes\n", "[]"},
	} {
		rs, err := OfDocument([]byte(tc.doc))
		if got := fmt.Sprint(rs); err != nil || got != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, got, err, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	rs := Of(parse(t, `apiVersion: batch/v1
kind: CronJob
metadata: {namespace: n}
spec: {jobTemplate: {spec: {template: {spec: {
  serviceAccount: sa,
  imagePullSecrets: [{name: pull}],
  volumes: [{name: v, projected: {sources: [{configMap: {name: pc}}]}}],
  initContainers: [{name: i, env: [{name: E, valueFrom: {secretKeyRef: {name: es}}}]}]}}}}}
`))
	var got []string
	for _, r := range rs {
		got = append(got, r.Name+"="+r.Path)
	}
	want := []string{
		"pc=spec.jobTemplate.spec.template.spec.volumes[0].projected.sources[0].configMap.name",
		"es=spec.jobTemplate.spec.template.spec.initContainers[0].env[0].valueFrom.secretKeyRef.name",
		"pull=spec.jobTemplate.spec.template.spec.imagePullSecrets[0].name",
		"sa=spec.jobTemplate.spec.template.spec.serviceAccount",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
