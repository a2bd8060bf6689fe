package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// TestLintRenderedParity: generate's lint (lintRendered: the plan of the
// resources the pipeline holds, objects decoded from each resource's
// printed text) finds exactly what syncwave lint's (lintOf: the stream
// written and read back) finds, and the two plans are the same, on every
// scenario and example that renders.
func TestLintRenderedParity(t *testing.T) {
	t.Parallel()
	type app struct {
		name, dir string
		args      []string
	}
	var apps []app
	cases, err := filepath.Glob("testdata/*/cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		dir, _ := filepath.Abs(filepath.Dir(c))
		cmd, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Fields(string(cmd))
		if len(args) == 0 || args[0] != "render" && args[0] != "plan" && args[0] != "lint" {
			continue
		}
		apps = append(apps, app{filepath.Base(dir), filepath.Join(dir, "app"), args[1:]})
	}
	examples, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range examples {
		if fi, err := os.Stat(e); err == nil && fi.IsDir() {
			dir, _ := filepath.Abs(e)
			apps = append(apps, app{"examples/" + filepath.Base(e), dir, []string{"."}})
		}
	}
	if len(apps) < 40 {
		t.Fatalf("only %d applications", len(apps))
	}
	// counted by the parallel subtests, read once the group is done
	var linted, refused, narrowed atomic.Int64
	t.Run("apps", func(t *testing.T) {
		for _, a := range apps {
			t.Run(a.name, func(t *testing.T) {
				t.Parallel()
				parityCase(t, a.dir, a.name, a.args, &linted, &refused, &narrowed)
			})
		}
	})
	if linted.Load() < 30 {
		t.Errorf("only %d applications rendered and linted", linted.Load())
	}
	if refused.Load() != int64(len(refusedOnPurpose)) {
		t.Errorf("%d applications refused, refusedOnPurpose lists %d: a listed application no longer exists", refused.Load(), len(refusedOnPurpose))
	}
	if narrowed.Load() < 5 {
		t.Errorf("lint.ObjectsNeeded left objects out in only %d applications", narrowed.Load())
	}
}

// parityCase is one application of TestLintRenderedParity, its command
// line args run as if started in dir (host.dir).
func parityCase(t *testing.T, dir, name string, args []string, linted, refused, narrowed *atomic.Int64) {
	var f renderFlags
	var cmFile string
	c := &cobra.Command{Use: "parity", RunE: func(*cobra.Command, []string) error { return nil }}
	c.FParseErrWhitelist.UnknownFlags = true
	f.register(c)
	c.Flags().StringP("output", "o", "", "")
	c.Flags().Bool("strict", false, "")
	c.Flags().Bool("diff", false, "")
	c.Flags().StringVar(&cmFile, "argocd-cm", "", "")
	if err := c.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	h := host{environ: func() []string { return nil }, getwd: func() (string, error) { return dir, nil }, dir: dir}
	opts, err := f.prepare(h, c.Flags().Args())
	if err != nil {
		t.Fatal(err)
	}
	cm, err := readArgoCDCM(h.path(cmFile))
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Run(context.Background(), opts)
	refusal, listed := refusedOnPurpose[name]
	switch {
	case err != nil && !listed:
		t.Fatalf("does not render (only the applications of refusedOnPurpose may fail): %v", err)
	case err == nil && listed:
		t.Fatalf("renders, but refusedOnPurpose lists it as refused (%q): take it off the list", refusal)
	case err != nil && !strings.Contains(err.Error(), refusal):
		t.Fatalf("refused with %q, refusedOnPurpose wants %q", err, refusal)
	case err != nil:
		refused.Add(1)
		return
	}
	var before bytes.Buffer
	if err := out.Write(&before); err != nil {
		t.Fatal(err)
	}
	want, werr := lintOf(out, opts, cm)
	got, gerr := lintRendered(out, opts, cm)
	if werr != nil && gerr == nil && strings.Contains(werr.Error(), "has no apiVersion") {
		// An object without apiVersion, which the directory source
		// passes on as Argo CD does, cannot be read back: lintOf
		// fails (generate used to print "lint skipped"), while
		// lintRendered lints the resources as rendered.
		return
	}
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("lintRendered error %v, lintOf error %v", gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lintRendered found\n%+v\nlintOf found\n%+v", got, want)
	}
	if werr == nil {
		// the objects lint.ObjectsNeeded leaves out change nothing
		all, left := lintAllObjects(t, out, opts, cm)
		if left {
			narrowed.Add(1)
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("with every object NeedsObject names, lint found\n%+v\nwith lint.ObjectsNeeded's\n%+v", all, want)
		}
	}
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		t.Fatal(err)
	}
	popt := plan.Options{Namespace: opts.Namespace, ArgoCD: argo}
	wp, err := planOf(out, popt)
	if err != nil {
		t.Fatal(err)
	}
	origins := make([]plan.Origin, len(out.Resources))
	for i, p := range out.Placements {
		origins[i] = plan.Origin{Group: p.Group, Reason: p.Reason}
	}
	gp := plan.ComputeWith(out.Resources, origins, popt)
	for _, p := range []*plan.Plan{wp, gp} {
		p.ComputeWaits(healthTable(argo), cm)
	}
	var wj, gj bytes.Buffer
	if err := wp.WriteJSON(&wj); err != nil {
		t.Fatal(err)
	}
	if err := gp.WriteJSON(&gj); err != nil {
		t.Fatal(err)
	}
	if wj.String() != gj.String() {
		t.Errorf("plan of the resources held:\n%s\nplan of the stream read back:\n%s", gj.String(), wj.String())
	}
	// linting changes nothing that is printed
	var after bytes.Buffer
	if err := out.Write(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("the stream changed while linting")
	}
	linted.Add(1)
}

// lintAllObjects is lintRendered with the objects of every step
// lint.NeedsObject names; left reports whether lint.ObjectsNeeded leaves
// some of those out.
func lintAllObjects(t *testing.T, out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap) (findings []lint.Finding, left bool) {
	t.Helper()
	origins := make([]plan.Origin, len(out.Resources))
	for i, p := range out.Placements {
		origins[i] = plan.Origin{Group: p.Group, Reason: p.Reason}
	}
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		t.Fatal(err)
	}
	p := plan.ComputeWith(out.Resources, origins, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
	var need []*manifest.Resource
	seen := map[*manifest.Resource]bool{}
	for _, s := range p.Steps {
		if lint.NeedsObject(s) && !seen[s.Resource] {
			seen[s.Resource] = true
			need = append(need, s.Resource)
		}
	}
	left = len(need) > len(lint.ObjectsNeeded(p))
	objs, err := readObjects(need, (*manifest.Resource).Bytes)
	if err != nil {
		t.Fatal(err)
	}
	h := healthTable(argo)
	p.ComputeWaits(h, cm)
	return lint.Run(lint.Input{
		Plan: p, Objects: objs, Health: h, ConfigMap: cm,
		APIVersions: opts.APIVersions, Namespace: opts.Namespace,
		After: lint.GroupsAfter(out.Order), OrderedAfter: orderedAfter(out.Resources, out.After),
	}), left
}

// refusedOnPurpose are the applications of TestLintRenderedParity that do
// not render, on purpose: each scenario tests a refusal (its stderr.txt
// holds the whole message) and the value is what the refusal must say.
// Every other application must render and be linted; a listed one that
// renders, or fails with another error, fails the test.
var refusedOnPurpose = map[string]string{
	"after-typo":                      `no group named "databse" (did you mean "database"?)`,
	"allow-empty-flag-overrides-file": "no resources rendered from .",
	"argocd-2.14-prune-true":          `sync option "Prune=true" needs Argo CD 3.0 or later`,
	"bad-yaml":                        "res.yaml:8: invalid YAML",
	"cycle":                           "cycle: schema -> backend",
	"depends-on-cycle":                `cycle: ConfigMap b -> kapp change group "a-group"`,
	"duplicate-key":                   `duplicate field "wave"`,
	"empty":                           "no resources rendered from .",
	"helm-escaping-values":            "value file ../../etc/passwd: path leaves the repository root",
	"helm-invalid-set":                "parameter --set list[abc]: error parsing index",
	"helm-kube-version-incompatible":  `its kubeVersion ">=1.30.0-0" does not include Kubernetes v1.27.3`,
	"helm-load-error":                 "chart.metadata.name is required",
	"helm-missing-dependency":         "dependency declared in Chart.yaml but missing in charts/",
	"helm-missing-values":             "value file values-prod.yaml: no such file or directory",
	"helm-parse-error":                `function "nosuchfunc" not defined`,
	"helm-required":                   "the chart requires image.tag",
	"helm-symlink-values":             "value file ../values/evil.yaml: path leaves the repository root",
	"helm-template-error":             "namespaceOverride is required",
	"helm-url-values":                 "URLs are not allowed",
	"helm-values-not-yaml":            "value file values-bad.yaml: not a YAML mapping",
	"helm-version-invalid":            `invalid Helm version "v5"`,
	"infer-references-cycle":          "cycle: app -> secrets",
	"invalid-vocab":                   `unknown hook "Postsync"`,
	"json-two-objects":                "expected one object in a .json file, found more",
	"kustomize-escape":                "path leaves the repository root",
	"kustomize-exec-plugin":           "external plugins disabled",
	"kustomize-helmcharts":            "helmCharts is not supported",
	"kustomize-remote-base":           "remote bases and files are not supported",
	"later-phase":                     `"migrate" (phase PreSync) cannot come after "notify" (phase PostSync)`,
	"many-errors":                     `invalid group name "Bad_Name"`,
	"missing-kind":                    "res.yaml:6: object has no kind",
	"missing-kind-first":              "b.yaml:2: object has no kind",
	"pin-conflict":                    "pinned waves contradict this edge",
	"reader-annotation-yes":           "expected a string, found bool true",
	"selected-twice":                  "selected by more than one group",
	"selects-nothing":                 `group "cache" selects no resource`,
	"source-escape":                   `path "../.." leaves PATH`,
	"symlink-escape":                  "symlink points outside the repository root",
	"unknown-field":                   `unknown field "afterr"`,
	"wave-overflow":                   `no wave fits group "after-big"`,
	"wrong-apiversion":                `apiVersion: expected "syncwave.io/v1alpha1"`,
	// not applications: a CI workflow, and the install components in
	// subdirectories of their own
	"examples/ci":      "no resources rendered from examples/ci",
	"examples/install": "no resources rendered from examples/install",
}
