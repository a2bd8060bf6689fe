package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/plan"
)

// TestGeneratePlanRecord: with plan-record on, generate prints the same
// resources, byte for byte, then one ConfigMap whose plan.json is what
// "plan -o json" prints for the same inputs; the record sits in the first
// Sync wave, so the plan of the whole output has the user's steps in the
// same phases, waves and order and no new wave; and it does not change with
// the revision (a commit that leaves the plan alone leaves it alone).
func TestGeneratePlanRecord(t *testing.T) {
	root := repoRoot(t)
	wd := filepath.Join(root, "examples", "sync-hook-wave")
	app := appSource{name: "argocd_shop", namespace: "demo", path: "examples/sync-hook-wave"}
	v := argoVersions[1]
	plain, errOut, code := runHost(t, v.environ(app), wd, "generate")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	withRecord, errOut, code := runHost(t, v.environ(app, "SYNCWAVE_PLAN_RECORD=true"), wd, "generate")
	if code != 0 || errOut != "" {
		t.Fatalf("generate with the record: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(withRecord, plain+"---\n") {
		t.Fatalf("the resources before the record are not generate's own output")
	}
	record := strings.TrimPrefix(withRecord, plain+"---\n")
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name        string            `json:"name"`
			Namespace   string            `json:"namespace"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict([]byte(record), &cm); err != nil {
		t.Fatalf("record: %v\n%s", err, record)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Name != "shop-syncwave-plan" || cm.Metadata.Namespace != "" || cm.Metadata.Labels[plan.RecordLabel] != "true" {
		t.Errorf("record identity: %+v", cm.Metadata)
	}
	if got := cm.Metadata.Annotations["argocd.argoproj.io/sync-wave"]; got != "-1" {
		t.Errorf("record wave %q, expected -1 (the first Sync wave of sync-hook-wave)", got)
	}
	planJSON, errOut, code := run(t, wd, "plan", "-o", "json", "--namespace", "demo", "--release-name", "shop", ".")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(planJSON)); err != nil {
		t.Fatal(err)
	}
	if cm.Data[plan.RecordKey] != want.String() {
		t.Errorf("record plan.json differs from plan -o json:\n got %s\nwant %s", cm.Data[plan.RecordKey], want.String())
	}

	// The plan of everything generate printed: the user's steps unchanged.
	before, err := manifest.Decode("plain", []byte(plain), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := manifest.Decode("with record", []byte(withRecord), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p0 := plan.ComputeWith(before, nil, plan.Options{Namespace: "demo"})
	p1 := plan.ComputeWith(after, nil, plan.Options{Namespace: "demo"})
	var kept []string
	waves0, waves1 := map[string]bool{}, map[string]bool{}
	for _, s := range p1.Steps {
		waves1[string(s.Phase)+" "+itoa(s.Wave)] = true
		if s.Kind == "ConfigMap" && s.Name == cm.Metadata.Name {
			continue
		}
		kept = append(kept, stepKey(s))
	}
	var orig []string
	for _, s := range p0.Steps {
		waves0[string(s.Phase)+" "+itoa(s.Wave)] = true
		orig = append(orig, stepKey(s))
	}
	if strings.Join(kept, "\n") != strings.Join(orig, "\n") {
		t.Errorf("the record changed the user's steps:\n%s\nwas\n%s", strings.Join(kept, "\n"), strings.Join(orig, "\n"))
	}
	if len(waves1) != len(waves0) {
		t.Errorf("the record added a wave: %v, was %v", waves1, waves0)
	}

	// Another revision of the same tree: the same record.
	other := app
	env := v.environ(other, "SYNCWAVE_PLAN_RECORD=true")
	for i, kv := range env {
		if strings.HasPrefix(kv, "ARGOCD_APP_REVISION=") {
			env[i] = "ARGOCD_APP_REVISION=fedcba9876543210fedcba9876543210fedcba98"
		}
	}
	again, _, code := runHost(t, env, wd, "generate")
	if code != 0 || again != withRecord {
		t.Errorf("another revision of the same tree printed another record (exit %d)", code)
	}

	// No destination namespace: no record, a warning, the resources alone.
	noNS := appSource{name: "shop", path: app.path}
	out, errOut, code := runHost(t, v.environ(noNS, "SYNCWAVE_PLAN_RECORD=true"), wd, "generate")
	if code != 0 || out != plain || !strings.Contains(errOut, "plan record skipped") {
		t.Errorf("no namespace: exit %d, same resources %v, stderr %q", code, out == plain, errOut)
	}

	// A bad value is an error naming the parameter.
	_, errOut, code = runHost(t, v.environ(app, "SYNCWAVE_PLAN_RECORD=yes"), wd, "generate")
	if code == 0 || !strings.Contains(errOut, `"plan-record"`) {
		t.Errorf("plan-record=yes: exit %d, stderr %q", code, errOut)
	}

	// render --plan-record prints what the sidecar prints, byte for byte.
	rendered, errOut, code := run(t, wd, "render", "--plan-record", "--app-name", app.name, "--namespace", app.namespace, ".")
	if code != 0 || rendered != withRecord {
		t.Errorf("render --plan-record (exit %d, stderr %q) differs from generate with plan-record:\n%s", code, errOut, rendered)
	}
}

// TestRenderPlanRecordUsage: the record needs the Application's name and
// namespace; --argocd-cm only goes with it.
func TestRenderPlanRecordUsage(t *testing.T) {
	t.Parallel()

	wd := filepath.Join(repoRoot(t), "examples", "sync-hook-wave")
	for _, args := range [][]string{
		{"render", "--plan-record", "."},
		{"render", "--plan-record", "--app-name", "shop", "."},
		{"render", "--argocd-cm", "cm.yaml", "."},
	} {
		out, errOut, code := runHost(t, nil, wd, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "--plan-record") {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want exit 2 naming --plan-record", args, code, len(out), errOut)
		}
	}
}

func stepKey(s plan.Step) string {
	return string(s.Phase) + " " + itoa(s.Wave) + " " + s.Kind + " " + s.Namespace + "/" + s.Name
}

// TestRecordWave: the lowest Sync wave, not below the destination Namespace
// the output creates, 0 with no Sync-phase resource; names from
// ARGOCD_APP_NAME.
func TestRecordWave(t *testing.T) {
	t.Parallel()

	res, err := manifest.Decode("in", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: early, namespace: other, annotations: {argocd.argoproj.io/sync-wave: "-3"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {argocd.argoproj.io/sync-wave: "-2"}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pre, namespace: other, annotations: {argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/sync-wave: "-9"}}
`), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.ComputeWith(res, nil, plan.Options{Namespace: "shop"})
	if w := p.RecordWave("shop"); w != -2 {
		t.Errorf("RecordWave(shop) = %d, expected -2 (the Namespace's wave)", w)
	}
	if w := p.RecordWave("other"); w != -3 {
		t.Errorf("RecordWave(other) = %d, expected -3", w)
	}
	hooks := plan.ComputeWith(res[2:], nil, plan.Options{})
	if w := hooks.RecordWave(""); w != 0 {
		t.Errorf("RecordWave of hooks only = %d, expected 0", w)
	}
	for app, want := range map[string]string{"": "syncwave-plan", "shop": "shop-syncwave-plan", "argocd_shop": "shop-syncwave-plan"} {
		if got := plan.RecordName(app); got != want {
			t.Errorf("RecordName(%q) = %q, expected %q", app, got, want)
		}
	}
	if got := plan.RecordName(strings.Repeat("a", 250)); len(got) > 253 || !strings.HasSuffix(got, "-syncwave-plan") {
		t.Errorf("long name: %q (%d)", got, len(got))
	}
}
