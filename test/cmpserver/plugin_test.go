package cmpserver

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func testContext(t *testing.T) context.Context {
	// The repo-server's default deadline for one generation.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestPluginYAML checks that the cmp-server runs the project's plugin.yaml
// with only the binary path changed, and that Argo CD reads it as intended.
func TestPluginYAML(t *testing.T) {
	t.Parallel()

	var project, derived map[string]any
	if err := yaml.Unmarshal(projectPluginYAML, &project); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(testPluginYAML, &derived); err != nil {
		t.Fatal(err)
	}
	if n := replaceBinary(derived, syncwaveBin, imageBinary); n != 2 {
		t.Errorf("the test plugin.yaml runs the fresh binary in %d commands, want 2 (generate, parameters; no init)", n)
	}
	if !reflect.DeepEqual(derived, project) {
		t.Errorf("the test plugin.yaml differs from the project's in more than the binary path:\n%s\nvs\n%s", testPluginYAML, projectPluginYAML)
	}
	if strings.Contains(string(testPluginYAML), imageBinary) {
		t.Errorf("the test plugin.yaml still runs %s", imageBinary)
	}

	cfg := pluginConfig
	if cfg.Metadata.Name != pluginName || cfg.Spec.Version != "" {
		t.Errorf("plugin name %q version %q, want %q and no version", cfg.Metadata.Name, cfg.Spec.Version, pluginName)
	}
	if got := filepath.Base(cfg.Address()); got != pluginName+".sock" {
		t.Errorf("socket %s, want %s.sock", got, pluginName)
	}
	if cfg.Spec.Discover.IsDefined() {
		t.Errorf("the default plugin.yaml must not configure discovery: %+v", cfg.Spec.Discover)
	}
	if got := cfg.Spec.Generate.Command; !reflect.DeepEqual(got, []string{syncwaveBin, "generate"}) {
		t.Errorf("generate command %q", got)
	}
	var names []string
	for _, p := range cfg.Spec.Parameters.Static {
		names = append(names, p.Name)
	}
	want := []string{"order-file", "order", "values-files", "values", "helm-parameters", "release-name", "allow-empty", "dependency-annotations", "helm-version", "argocd-version", "plan-record"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("static parameters %q, want %q", names, want)
	}
}

// TestSyncHookWave: the manifests Argo CD gets for examples/sync-hook-wave
// are exactly what `syncwave render` prints, waves and hooks included.
func TestSyncHookWave(t *testing.T) {
	t.Parallel()

	repo := examplesRepo(t)
	a := application(t, "sync-hook-wave.yaml")
	got, err := generate(testContext(t), repo, app{
		name: "argocd_" + a.Name, namespace: a.Spec.Destination.Namespace,
		kubeVersion: "1.29", source: *a.Spec.Source,
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(t, "--repo-root", repo, filepath.Join(repo, a.Spec.Source.Path))
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, got, want)

	// The example's ordering, as Argo CD will see it.
	for _, c := range []struct{ kind, name, ann, want string }{
		{"Deployment", "webhook-app", "argocd.argoproj.io/sync-wave", "-1"},
		{"Job", "upgrade-schema", "argocd.argoproj.io/sync-wave", "1"},
		{"Deployment", "frontend", "argocd.argoproj.io/sync-wave", "3"},
		{"Job", "slack-info", "argocd.argoproj.io/hook", "PostSync"},
		{"Job", "slack-info", "argocd.argoproj.io/hook-delete-policy", "BeforeHookCreation,HookSucceeded"},
	} {
		if v := find(t, got, c.kind, c.name).GetAnnotations()[c.ann]; v != c.want {
			t.Errorf("%s %s: %s = %q, want %q", c.kind, c.name, c.ann, v, c.want)
		}
	}
}

// assertSame checks that Argo CD's manifests, less its tracking metadata,
// are exactly want, and that Argo CD tracks each of them.
func assertSame(t *testing.T, got, want []*unstructured.Unstructured) {
	t.Helper()
	var clean []*unstructured.Unstructured
	for _, o := range got {
		c, tracked := untracked(o)
		if !tracked && o.GetKind() != "CustomResourceDefinition" {
			t.Errorf("%s %s: no tracking annotation: did it go through GenerateManifests?", o.GetKind(), o.GetName())
		}
		clean = append(clean, c)
	}
	if d := diffSets(canonical(t, clean), canonical(t, want)); d != "" {
		t.Errorf("the manifests Argo CD gets differ from syncwave render:\n%s", d)
	}
	if len(want) == 0 {
		t.Error("nothing rendered")
	}
}

// TestHelmParameters: a Helm application with the values-files,
// helm-parameters and values parameters of examples/applications/
// helm-parameters.yaml; without them (chart-with-hooks.yaml) Argo CD gets
// exactly syncwave render's output, with them the chart's output changes as
// the parameters say and the ordering stays.
func TestHelmParameters(t *testing.T) {
	t.Parallel()

	repo := examplesRepo(t)
	base := application(t, "chart-with-hooks.yaml")
	withParams := application(t, "helm-parameters.yaml")
	if base.Spec.Source.Path != withParams.Spec.Source.Path {
		t.Fatalf("the two applications render different paths: %s, %s", base.Spec.Source.Path, withParams.Spec.Source.Path)
	}
	ns := base.Spec.Destination.Namespace

	plain, err := generate(testContext(t), repo, app{name: "argocd_" + base.Name, namespace: ns, kubeVersion: "1.29", source: *base.Spec.Source})
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(t, "--repo-root", repo, "--app-name", "argocd_"+base.Name, "--namespace", ns, "--kube-version", "1.29",
		filepath.Join(repo, base.Spec.Source.Path))
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, plain, want)

	got, err := generate(testContext(t), repo, app{name: "argocd_" + withParams.Name, namespace: ns, kubeVersion: "1.29", source: *withParams.Spec.Source})
	if err != nil {
		t.Fatal(err)
	}
	const release = "edge-ingress" // release-name parameter, also the ordering file's releaseName
	for _, c := range []struct {
		kind, name string
		field      []string
		base, want any
	}{
		{"Deployment", release, []string{"spec", "replicas"}, 2.0, 3.0},                                      // helm-parameters replicaCount
		{"Service", release, []string{"spec", "type"}, "LoadBalancer", "ClusterIP"},                          // values-files
		{"EdgeRoute", release + "-default", []string{"spec", "host"}, "www.example.org", "shop.example.org"}, // values-files
		{"ConfigMap", release, []string{"data", "log-level"}, "info", "warn"},                                // values
	} {
		b, _, _ := unstructured.NestedFieldNoCopy(find(t, plain, c.kind, c.name).Object, c.field...)
		g, _, _ := unstructured.NestedFieldNoCopy(find(t, got, c.kind, c.name).Object, c.field...)
		if b != c.base || g != c.want {
			t.Errorf("%s %s %s: %v without parameters, %v with; want %v, %v", c.kind, c.name, strings.Join(c.field, "."), b, g, c.base, c.want)
		}
	}
	// The ordering does not depend on the parameters.
	if wb, wg := ordering(plain), ordering(got); !reflect.DeepEqual(wb, wg) {
		t.Errorf("ordering changed with the parameters:\n%v\n%v", wb, wg)
	}
}

// ordering maps kind/name to syncwave's annotations.
func ordering(objs []*unstructured.Unstructured) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, o := range objs {
		m := map[string]string{}
		for _, k := range syncwaveAnnotations {
			if v, ok := o.GetAnnotations()[k]; ok {
				m[k] = v
			}
		}
		out[o.GetKind()+"/"+o.GetName()] = m
	}
	return out
}

// TestInlineOrder: a third-party chart with no syncwave.yaml, ordered by the
// inline order parameter of examples/applications/inline-order.yaml; the
// release name comes from ARGOCD_APP_NAME in its <namespace>_<name> form,
// or from the Application's plugin.env.
func TestInlineOrder(t *testing.T) {
	t.Parallel()

	repo := examplesRepo(t)
	a := application(t, "inline-order.yaml")
	appDir := filepath.Join(repo, a.Spec.Source.Path)
	if _, err := os.Stat(filepath.Join(appDir, "syncwave.yaml")); err == nil {
		t.Fatal("the chart has a syncwave.yaml: not a third-party chart")
	}
	ns := a.Spec.Destination.Namespace
	got, err := generate(testContext(t), repo, app{name: "apps_" + a.Name, namespace: ns, kubeVersion: "1.29.3", source: *a.Spec.Source})
	if err != nil {
		t.Fatal(err)
	}
	// the same order for syncwave render, written after Argo CD took the repository
	orderFile := filepath.Join(repo, "inline-order.yaml")
	if err := os.WriteFile(orderFile, []byte(*a.Spec.Source.Plugin.Parameters[0].String_), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := render(t, "--repo-root", repo, "--order", orderFile, "--app-name", "apps_"+a.Name, "--namespace", ns, "--kube-version", "1.29.3", appDir)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, got, want)
	wave := func(kind, name string) int {
		w, err := strconv.Atoi(find(t, got, kind, name).GetAnnotations()["argocd.argoproj.io/sync-wave"])
		if err != nil {
			t.Fatalf("%s %s: %v", kind, name, err)
		}
		return w
	}
	// release "edge-ingress" from "apps_edge-ingress"
	if cm, dep, route := wave("ConfigMap", "edge-ingress"), wave("Deployment", "edge-ingress"), wave("EdgeRoute", "edge-ingress-default"); !(cm < dep && dep < route) {
		t.Errorf("waves ConfigMap %d, Deployment %d, EdgeRoute %d: want increasing", cm, dep, route)
	}

	t.Run("plugin.env", func(t *testing.T) {
		src := a.Spec.Source.DeepCopy()
		// Argo CD substitutes its build variables into plugin.env values.
		src.Plugin.Env = v1alpha1.Env{{Name: "SYNCWAVE_RELEASE_NAME", Value: "${ARGOCD_APP_NAMESPACE}-gw"}}
		got, err := generate(testContext(t), repo, app{name: "apps_" + a.Name, namespace: ns, source: *src})
		if err != nil {
			t.Fatal(err)
		}
		find(t, got, "Deployment", ns+"-gw-edge-ingress")
	})
	t.Run("unknown plugin.env", func(t *testing.T) {
		src := a.Spec.Source.DeepCopy()
		src.Plugin.Env = v1alpha1.Env{{Name: "SYNCWAVE_RELESE_NAME", Value: "x"}}
		_, err := generate(testContext(t), repo, app{name: a.Name, namespace: ns, source: *src})
		if err == nil || !strings.Contains(err.Error(), "unknown variable ARGOCD_ENV_SYNCWAVE_RELESE_NAME") {
			t.Errorf("err = %v, want syncwave's unknown variable error", err)
		}
	})
}

// TestArgoEnvironment: the Helm capabilities and release syncwave gets from
// Argo CD's KUBE_VERSION (the v2.14 form 1.29 and the v3.4+ form 1.29.3),
// KUBE_API_VERSIONS and ARGOCD_APP_NAME in its <namespace>_<name> form.
func TestArgoEnvironment(t *testing.T) {
	t.Parallel()

	repo := t.TempDir()
	copyTree(t, "testdata/capabilities", filepath.Join(repo, "charts", "capabilities"))
	src := sourceYAML(t, `
path: charts/capabilities
plugin:
  name: syncwave
  parameters:
    - name: values
      string: "env: prod"
`)
	for _, c := range []struct {
		kubeVersion, want string
	}{
		// Argo CD 2.14's helm 3.16.3 (semver) renders KUBE_VERSION=1.29 as
		// v1.29.0; syncwave generate does the same (helm 3.22 alone would
		// keep v1.29).
		{"1.29", "v1.29.0"},
		{"1.29.3", "v1.29.3"},
	} {
		t.Run(c.kubeVersion, func(t *testing.T) {
			got, err := generate(testContext(t), repo, app{
				name: "team-a_caps", namespace: "team-a", kubeVersion: c.kubeVersion,
				apiVersions: []string{"v1", "v1/ConfigMap", "policy/v1", "policy/v1/PodDisruptionBudget"},
				source:      src,
			})
			if err != nil {
				t.Fatal(err)
			}
			cm := find(t, got, "ConfigMap", "caps-capabilities")
			want := map[string]string{"kubeVersion": c.want, "release": "caps", "namespace": "team-a", "pdbV1": "true", "env": "prod"}
			if data, _, _ := unstructured.NestedStringMap(cm.Object, "data"); !reflect.DeepEqual(data, want) {
				t.Errorf("data = %v, want %v", data, want)
			}
		})
	}
}

// TestRefused: what syncwave refuses, Argo CD refuses with syncwave's message.
func TestRefused(t *testing.T) {
	t.Parallel()

	for _, c := range []struct{ name, dir string }{
		{"cycle", "testdata/cycle"},
		{"empty", "testdata/empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			copyTree(t, c.dir, filepath.Join(repo, "apps", c.name))
			_, rerr := render(t, "--repo-root", repo, filepath.Join(repo, "apps", c.name))
			if rerr == nil {
				t.Fatal("syncwave render accepts it")
			}
			// The message without its position, which names the file
			// relative to the working directory.
			msg := strings.TrimPrefix(lastLine(rerr.Error()), "Error: ")
			msg = msg[strings.Index(msg, ": ")+2:]
			_, err := generate(testContext(t), repo, app{name: c.name, namespace: "default", source: sourceYAML(t, "path: apps/"+c.name+"\nplugin: {name: syncwave}")})
			if err == nil {
				t.Fatal("Argo CD accepts it")
			}
			if !strings.Contains(err.Error(), msg) {
				t.Errorf("Argo CD's error does not hold syncwave's message %q:\n%v", msg, err)
			}
			t.Logf("Argo CD: %v", err)
		})
	}
	t.Run("empty allowed", func(t *testing.T) {
		repo := t.TempDir()
		copyTree(t, "testdata/empty", filepath.Join(repo, "apps", "empty"))
		got, err := generate(testContext(t), repo, app{name: "empty", namespace: "default", source: sourceYAML(t, `
path: apps/empty
plugin:
  name: syncwave
  parameters: [{name: allow-empty, string: "true"}]`)})
		if err != nil || len(got) != 0 {
			t.Errorf("allow-empty: %d manifests, %v; want none and no error", len(got), err)
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestSymlinkEscape: a repository with a symlink out of the repository root
// never yields the file it points at.
func TestSymlinkEscape(t *testing.T) {
	t.Parallel()

	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside")
	repo := filepath.Join(tmp, "repo")
	app1 := filepath.Join(repo, "apps", "leak")
	for _, d := range []string{outside, app1} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\nstringData: {password: hunter2}\n")
	write(filepath.Join(app1, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
	src := sourceYAML(t, "path: apps/leak\nplugin: {name: syncwave}")

	t.Run("relative", func(t *testing.T) {
		link := filepath.Join(app1, "stolen.yaml")
		if err := os.Symlink("../../../outside/secret.yaml", link); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(link) })
		if _, err := render(t, "--repo-root", repo, app1); err == nil || !strings.Contains(err.Error(), "symlink points outside the repository root") {
			t.Errorf("syncwave render: %v, want a refusal", err)
		}
		// Argo CD's own untar in the cmp-server refuses the link first.
		_, err := generate(testContext(t), repo, app{name: "leak", namespace: "default", source: src})
		if err == nil || !strings.Contains(err.Error(), "illegal filepath in symlink") {
			t.Errorf("Argo CD: %v, want a refusal", err)
		}
		t.Logf("Argo CD: %v", err)
	})
	t.Run("absolute", func(t *testing.T) {
		link := filepath.Join(app1, "stolen.yaml")
		if err := os.Symlink(filepath.Join(outside, "secret.yaml"), link); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(link) })
		if _, err := render(t, "--repo-root", repo, app1); err == nil || !strings.Contains(err.Error(), "symlink points outside the repository root") {
			t.Errorf("syncwave render: %v, want a refusal", err)
		}
		// Argo CD's untar re-roots an absolute target inside the unpacked
		// repository, where it dangles: syncwave ignores the dangling link
		// with a warning and the secret never reaches Argo CD.
		got, err := generate(testContext(t), repo, app{name: "leak", namespace: "default", source: src})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if o.GetName() == "stolen" {
				t.Fatal("the secret outside the repository reached Argo CD")
			}
		}
		if len(got) != 1 {
			t.Errorf("%d manifests, want only the ConfigMap", len(got))
		}
	})
}
