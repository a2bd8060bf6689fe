package plan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
	goldenfile "github.com/syncwave/syncwave/internal/golden"
	"github.com/syncwave/syncwave/manifest"
)

// loadCase reads testdata/<name>/input.yaml and the optional origins.json
// (one {group, reason} per resource) and options.json.
func loadCase(t *testing.T, dir string) ([]*manifest.Resource, []Origin, Options) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := manifest.Decode("input.yaml", data, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var origins []Origin
	if b, err := os.ReadFile(filepath.Join(dir, "origins.json")); err == nil {
		if err := json.Unmarshal(b, &origins); err != nil {
			t.Fatalf("origins.json: %v", err)
		}
	}
	var opt Options
	if b, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		if err := json.Unmarshal(b, &opt); err != nil {
			t.Fatalf("options.json: %v", err)
		}
	}
	return res, origins, opt
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, origins, opt := loadCase(t, dir)
			p := ComputeWith(res, origins, opt)
			for _, f := range []struct {
				file  string
				write func(*Plan, *bytes.Buffer) error
			}{
				{"plan.txt", func(p *Plan, b *bytes.Buffer) error { return p.WriteTable(b) }},
				{"plan.json", func(p *Plan, b *bytes.Buffer) error { return p.WriteJSON(b) }},
				{"plan.mmd", func(p *Plan, b *bytes.Buffer) error { return p.WriteMermaid(b) }},
				{"plan.dot", func(p *Plan, b *bytes.Buffer) error { return p.WriteDot(b) }},
			} {
				var b bytes.Buffer
				if err := f.write(p, &b); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join(dir, f.file), b.Bytes())
			}
			for i, s := range p.Steps {
				if s.Reason == "" {
					t.Errorf("step %d (%s %s) has no reason", i, s.Kind, s.Name)
				}
			}
		})
	}
}

func decode(t *testing.T, yaml string) []*manifest.Resource {
	t.Helper()
	res, err := manifest.Decode("test.yaml", []byte(yaml), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// order renders the steps as "Phase/wave Kind name" lines.
func order(p *Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(string(s.Phase))
		b.WriteString("/")
		b.WriteString(itoa(s.Wave))
		b.WriteString(" ")
		b.WriteString(s.Kind)
		b.WriteString(" ")
		b.WriteString(nsName(s.Namespace, s.Name))
		b.WriteString("\n")
	}
	return b.String()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func obj(kind, name string, ann ...string) string {
	api := "v1"
	switch kind {
	case "Deployment":
		api = "apps/v1"
	case "Job":
		api = "batch/v1"
	case "CustomResourceDefinition":
		api = "apiextensions.k8s.io/v1"
	case "Widget":
		api = "example.com/v1"
	}
	var b strings.Builder
	b.WriteString("---\napiVersion: " + api + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n")
	if len(ann) > 0 {
		b.WriteString("  annotations:\n")
		for i := 0; i+1 < len(ann); i += 2 {
			v, _ := json.Marshal(ann[i+1])
			b.WriteString("    " + ann[i] + ": " + string(v) + "\n")
		}
	}
	return b.String()
}

func TestHookDetection(t *testing.T) {
	tests := []struct {
		name     string
		ann      []string
		phases   string // space separated; "" when excluded
		excluded bool
		hook     bool
	}{
		{"plain", nil, "Sync", false, false},
		{"argo PreSync", []string{argocd.AnnotationHook, "PreSync"}, "PreSync", false, true},
		{"comma list trimmed", []string{argocd.AnnotationHook, " PostSync , PreSync "}, "PreSync PostSync", false, true},
		{"case-sensitive", []string{argocd.AnnotationHook, "presync"}, "", true, true},
		{"skip alone", []string{argocd.AnnotationHook, "Skip"}, "", true, false},
		{"skip twice", []string{argocd.AnnotationHook, "Skip,Skip"}, "", true, false},
		{"skip with junk", []string{argocd.AnnotationHook, "Skip,Junk"}, "", true, false},
		{"skip combined", []string{argocd.AnnotationHook, "Skip,PreSync"}, "PreSync", false, true},
		{"skip hides helm", []string{argocd.AnnotationHook, "Skip", argocd.AnnotationHelmHook, "pre-install"}, "", true, false},
		{"empty argo", []string{argocd.AnnotationHook, ""}, "", true, true},
		{"invalid argo, helm decides", []string{argocd.AnnotationHook, "Bogus", argocd.AnnotationHelmHook, "post-install"}, "PostSync", false, true},
		{"argo hides helm", []string{argocd.AnnotationHook, "Sync", argocd.AnnotationHelmHook, "pre-install"}, "Sync", false, true},
		{"helm pre", []string{argocd.AnnotationHelmHook, "pre-install,pre-upgrade"}, "PreSync", false, true},
		{"helm both", []string{argocd.AnnotationHelmHook, "pre-upgrade,post-upgrade"}, "PreSync PostSync", false, true},
		{"helm crd-install", []string{argocd.AnnotationHelmHook, "crd-install"}, "Sync", false, false},
		{"helm crd-install spaced", []string{argocd.AnnotationHelmHook, " crd-install"}, "", true, true},
		{"helm crd-install combined", []string{argocd.AnnotationHelmHook, "crd-install,pre-install"}, "PreSync", false, true},
		{"helm test", []string{argocd.AnnotationHelmHook, "test"}, "", true, true},
		{"helm rollback", []string{argocd.AnnotationHelmHook, "pre-rollback"}, "", true, true},
		{"helm post-delete", []string{argocd.AnnotationHelmHook, "post-delete"}, "", true, true},
		{"argo PostDelete", []string{argocd.AnnotationHook, "PostDelete"}, "", true, true},
		{"argo PreDelete", []string{argocd.AnnotationHook, "PreDelete"}, "", true, true},
		{"syncfail", []string{argocd.AnnotationHook, "SyncFail"}, "SyncFail", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compute(decode(t, obj("Job", "j", tt.ann...)), nil)
			var got []string
			for _, s := range p.Steps {
				got = append(got, string(s.Phase))
				if s.Hook != tt.hook {
					t.Errorf("hook = %v, want %v", s.Hook, tt.hook)
				}
			}
			if g := strings.Join(got, " "); g != tt.phases {
				t.Errorf("phases = %q, want %q", g, tt.phases)
			}
			if (len(p.Excluded) == 1) != tt.excluded {
				t.Errorf("excluded = %v, want %v", p.Excluded, tt.excluded)
			}
			for _, e := range p.Excluded {
				if e.Reason == "" {
					t.Error("excluded without a reason")
				}
			}
		})
	}
}

func TestWave(t *testing.T) {
	tests := []struct {
		ann  []string
		wave int
		why  string
	}{
		{nil, 0, "default wave 0"},
		{[]string{argocd.AnnotationSyncWave, "3"}, 3, "existing annotation sync-wave 3"},
		{[]string{argocd.AnnotationSyncWave, "-3"}, -3, "existing annotation sync-wave -3"},
		{[]string{argocd.AnnotationSyncWave, "+2"}, 2, "existing annotation sync-wave 2"},
		{[]string{argocd.AnnotationSyncWave, "1.0"}, 0, `invalid sync-wave "1.0": Argo CD falls back to wave 0`},
		{[]string{argocd.AnnotationSyncWave, " 1", argocd.AnnotationHelmHookWeight, "4"}, 4, `invalid sync-wave " 1": Argo CD falls back to hook-weight 4`},
		{[]string{argocd.AnnotationHelmHookWeight, "-5"}, -5, "hook-weight -5"},
		{[]string{argocd.AnnotationHelmHookWeight, "x"}, 0, `invalid hook-weight "x": Argo CD uses wave 0`},
	}
	for _, tt := range tests {
		p := Compute(decode(t, obj("ConfigMap", "c", tt.ann...)), nil)
		s := p.Steps[0]
		if s.Wave != tt.wave || !strings.Contains(s.Reason, tt.why) {
			t.Errorf("%v: wave %d reason %q, want %d containing %q", tt.ann, s.Wave, s.Reason, tt.wave, tt.why)
		}
	}
}

func TestDeletePolicy(t *testing.T) {
	p := Compute(decode(t,
		obj("Job", "a", argocd.AnnotationHook, "PreSync")+
			obj("Job", "b", argocd.AnnotationHook, "PreSync", argocd.AnnotationHookDeletePolicy, "HookSucceeded", argocd.AnnotationHelmDeletePolicy, "hook-failed,hook-succeeded")+
			obj("Job", "c", argocd.AnnotationHookDeletePolicy, "HookSucceeded")), nil)
	got := []string{p.Steps[0].HookDeletePolicy, p.Steps[1].HookDeletePolicy, p.Steps[2].HookDeletePolicy}
	want := []string{"BeforeHookCreation", "HookSucceeded,HookFailed", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSortAndAdjust(t *testing.T) {
	in := obj("Widget", "w", argocd.AnnotationSyncWave, "-1") + // a custom resource before its CRD
		"---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n" +
		"spec: {group: example.com, names: {kind: Widget}}\n"
	in += obj("Zebra", "a") + obj("Deployment", "z") + obj("Apple", "b") + obj("Namespace", "app", argocd.AnnotationSyncWave, "9")
	in += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: app}\n"
	p := Compute(decode(t, in), nil)
	want := `Sync/-1 CustomResourceDefinition widgets.example.com
Sync/-1 Widget w
Sync/0 Namespace app
Sync/0 ConfigMap app/c
Sync/0 Deployment z
Sync/0 Zebra a
Sync/0 Apple b
`
	if got := order(p); got != want {
		t.Errorf("order:\n%s\nwant:\n%s", got, want)
	}
	if !p.Steps[0].Moved || !strings.Contains(p.Steps[0].Reason, "CRD moved in front of its first custom resource Widget w") {
		t.Errorf("CRD step: %+v", p.Steps[0])
	}
	if !p.Steps[2].Moved || !strings.Contains(p.Steps[2].Reason, "Namespace moved in front of") {
		t.Errorf("Namespace step: %+v", p.Steps[2])
	}
}

func TestTies(t *testing.T) {
	in := "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: b}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: z, namespace: a}\n"
	p := Compute(decode(t, in), nil)
	if got := order(p); got != "Sync/0 ConfigMap a/x\nSync/0 ConfigMap b/x\nSync/0 ConfigMap a/z\n" {
		t.Errorf("order:\n%s", got)
	}
	if p.Steps[0].Tie == 0 || p.Steps[0].Tie != p.Steps[1].Tie || p.Steps[2].Tie != 0 {
		t.Errorf("ties: %d %d %d", p.Steps[0].Tie, p.Steps[1].Tie, p.Steps[2].Tie)
	}
}

func TestDestinationNamespace(t *testing.T) {
	// The engine puts objects without a namespace into the destination
	// namespace, cluster-scoped ones included, before moving Namespaces.
	in := obj("ClusterRole", "r") + obj("Namespace", "dest", argocd.AnnotationSyncWave, "1")
	if got := order(Compute(decode(t, in), nil)); got != "Sync/0 ClusterRole r\nSync/1 Namespace dest\n" {
		t.Errorf("without destination:\n%s", got)
	}
	if got := order(ComputeWith(decode(t, in), nil, Options{Namespace: "dest"})); got != "Sync/0 Namespace dest\nSync/0 ClusterRole r\n" {
		t.Errorf("with destination:\n%s", got)
	}
}

func TestOriginHidesHelmHook(t *testing.T) {
	res := decode(t, obj("Job", "j", argocd.AnnotationHook, "PostSync", argocd.AnnotationHelmHook, "pre-install", argocd.AnnotationSyncWave, "2"))
	p := Compute(res, []Origin{{Group: "g", Reason: "after x (wave 1)"}})
	if r := p.Steps[0].Reason; !strings.Contains(r, "after x (wave 1)") || !strings.Contains(r, "hides Helm hook pre-install") {
		t.Errorf("reason %q", r)
	}
}

func TestDeterministic(t *testing.T) {
	data, err := os.ReadFile("testdata/moves-and-ties/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := 0; i < 20; i++ {
		res, err := manifest.Decode("input.yaml", data, manifest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		p := Compute(res, nil)
		_ = p.WriteJSON(&b)
		_ = p.WriteTable(&b)
		if i == 0 {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatal("output differs between runs")
		}
	}
}
