package cli

import (
	"github.com/syncwave/syncwave/argocd"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/manifest"
)

// argoBase is the part of Argo CD's install the components patch.
const argoBase = `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels:
    app.kubernetes.io/part-of: argocd
data:
  timeout.reconciliation: 180s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v2.14.21
`

// renderInstall renders Argo CD's base with the install component and,
// when appHealth, the app-health component, and returns argocd-cm.
func renderInstall(t *testing.T, appHealth bool) []byte {
	t.Helper()
	tmp := t.TempDir()
	if err := copyApp("../../examples/install", filepath.Join(tmp, "install"), nil); err != nil {
		t.Fatal(err)
	}
	comps := "  - ../install\n"
	if appHealth {
		comps += "  - ../install/app-health\n"
	}
	writeFile(t, filepath.Join(tmp, "argocd", "base.yaml"), argoBase)
	writeFile(t, filepath.Join(tmp, "argocd", "kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\nresources: [base.yaml]\ncomponents:\n"+comps)
	out, errOut, code := run(t, "", "render", "--repo-root", tmp, filepath.Join(tmp, "argocd"))
	if code != 0 {
		t.Fatalf("render the install: exit %d: %s", code, errOut)
	}
	for _, d := range manifest.SplitYAML([]byte(out)) {
		rs, err := manifest.Decode("install", d.Text, manifest.Options{Format: manifest.OneDocument, Line: d.Line})
		if err == nil && len(rs) == 1 && rs[0].Kind == "ConfigMap" && rs[0].Name == "argocd-cm" {
			return d.Text
		}
	}
	t.Fatalf("no argocd-cm in the rendered install:\n%s", out)
	return nil
}

// TestInstallAppHealth: the app-health component adds Argo CD's documented
// Application health check to argocd-cm (off without it); the Helm values
// file adds the same Lua; with that argocd-cm, lint no longer reports the
// child Applications of examples/app-of-apps as gates without a health
// check, and plan says what each wave waits for.
func TestInstallAppHealth(t *testing.T) {
	const key = "resource.customizations.health.argoproj.io_Application"
	off := renderInstall(t, false)
	if strings.Contains(string(off), key) {
		t.Fatalf("the install component alone adds %s:\n%s", key, off)
	}
	on := renderInstall(t, true)
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(on, &cm); err != nil {
		t.Fatal(err)
	}
	lua := cm.Data[key]
	for _, want := range []string{`hs.status = "Progressing"`, "hs.status = obj.status.health.status", "hs.message = obj.status.health.message", "return hs"} {
		if !strings.Contains(lua, want) {
			t.Errorf("the check lacks %q:\n%s", want, lua)
		}
	}
	if cm.Data["timeout.reconciliation"] != "180s" {
		t.Errorf("the patch dropped the rest of argocd-cm: %v", cm.Data)
	}
	parsed, err := health.ParseConfigMap("argocd-cm", on)
	if err != nil {
		t.Fatal(err)
	}
	if j := health.For(argocd.Default).Judge("argoproj.io", "Application", parsed); !j.Waits() {
		t.Errorf("with the component, an Application has no health check: %v", j)
	}

	// the Helm values carry the same check
	var values struct {
		Configs struct {
			CM map[string]string `json:"cm"`
		} `json:"configs"`
	}
	data, err := os.ReadFile("../../examples/install/argo-cd-chart-app-health-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	if values.Configs.CM[key] != lua {
		t.Errorf("the Helm values and the component differ:\n%s\n---\n%s", values.Configs.CM[key], lua)
	}

	// lint: the finding points to the switch, and the switch silences it
	root, _ := filepath.Abs("../..")
	out, _, _ := run(t, root, "lint", "examples/app-of-apps")
	if !strings.Contains(out, "examples/install/app-health") {
		t.Errorf("lint's app-of-apps finding does not point to the component:\n%s", out)
	}
	cmFile := filepath.Join(t.TempDir(), "argocd-cm.yaml")
	writeFile(t, cmFile, string(on))
	out, errOut, code := run(t, root, "lint", "--argocd-cm", cmFile, "examples/app-of-apps")
	if code == 2 || strings.Contains(out, "no health check for Applications") {
		t.Errorf("with the rendered argocd-cm, lint still reports (exit %d):\n%s%s", code, out, errOut)
	}
}
