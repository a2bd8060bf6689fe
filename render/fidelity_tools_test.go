//go:build fidelitytools

// Fidelity against the reference CLIs: syncwave's Helm and Kustomize
// rendering must produce the same objects as `helm template` v3.22.0 (Helm 3
// mode), `helm template` v4.2.1 (Helm 4 mode) and `kustomize build` v5.8.2, built from the Go module proxy at those versions
// by TestMain (or `make test-fidelity-tools`). Run with
//
//	go test -tags fidelitytools -run Fidelity ./render/
//
// A tool that cannot be built fails the run; set
// SYNCWAVE_SKIP_FIDELITY_TOOLS=1 to skip instead (local use only).
package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/manifest"
)

const (
	helmVersion      = "v3.22.0"
	helm4Version     = "v4.2.1"
	kustomizeVersion = "v5.8.2"
)

var helmLDFlags = "-X helm.sh/helm/v3/internal/version.version=" + helmVersion +
	" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37" +
	" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"

var toolErr = map[string]error{}
var toolPath = map[string]string{}

func TestMain(m *testing.M) {
	dir := os.Getenv("SYNCWAVE_TOOLS")
	if dir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(c, "syncwave-tools")
		}
	}
	for _, t := range []struct{ key, name, version, pkg, ldflags string }{
		{"helm", "helm", helmVersion, "helm.sh/helm/v3/cmd/helm@" + helmVersion, helmLDFlags},
		// Helm 4 takes its default Kubernetes version from the client-go it
		// links (go.mod of v4.2.1): no ldflags, as its release build.
		{"helm4", "helm", helm4Version, "helm.sh/helm/v4/cmd/helm@" + helm4Version, "-X helm.sh/helm/v4/internal/version.version=" + helm4Version},
		{"kustomize", "kustomize", kustomizeVersion, "sigs.k8s.io/kustomize/kustomize/v5@" + kustomizeVersion, "-X sigs.k8s.io/kustomize/api/provenance.version=" + kustomizeVersion},
	} {
		bin := filepath.Join(dir, t.name+"-"+t.version)
		p := filepath.Join(bin, t.name)
		toolPath[t.key] = p
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if os.Getenv("SYNCWAVE_SKIP_FIDELITY_TOOLS") != "" {
			toolErr[t.key] = fmt.Errorf("%s %s not built and SYNCWAVE_SKIP_FIDELITY_TOOLS set", t.name, t.version)
			continue
		}
		fmt.Fprintf(os.Stderr, "building %s %s into %s (a few minutes on a cold cache)\n", t.name, t.version, bin)
		cmd := exec.Command("go", "install", "-trimpath", "-ldflags", t.ldflags, t.pkg)
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		cmd.Dir = os.TempDir() // outside this module: install pkg@version
		if out, err := cmd.CombinedOutput(); err != nil {
			toolErr[t.key] = fmt.Errorf("build %s %s: %v\n%s", t.name, t.version, err, out)
		}
	}
	os.Exit(m.Run())
}

func tool(t *testing.T, name string) string {
	t.Helper()
	if err := toolErr[name]; err != nil {
		if os.Getenv("SYNCWAVE_SKIP_FIDELITY_TOOLS") != "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	return toolPath[name]
}

// object is a normalised Kubernetes object and its identity.
type object struct {
	key string
	obj any
}

func compareObjects(t *testing.T, name string, ours, theirs map[string]any) {
	t.Helper()
	var missing, extra, differ []string
	for k, v := range theirs {
		o, ok := ours[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case !reflect.DeepEqual(o, v):
			differ = append(differ, k)
		}
	}
	for k := range ours {
		if _, ok := theirs[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(differ)
	if len(missing)+len(extra)+len(differ) > 0 {
		var b strings.Builder
		for _, k := range differ {
			oy, _ := yaml.Marshal(ours[k])
			ty, _ := yaml.Marshal(theirs[k])
			fmt.Fprintf(&b, "--- %s ours:\n%s--- reference:\n%s", k, oy, ty)
		}
		t.Errorf("%s: missing %v, extra %v, different %v\n%s", name, missing, extra, differ, b.String())
	}
}

// helmMode pairs a rendering mode with the CLI it must match.
type helmMode struct {
	version int
	tool    string // key in toolPath
}

var helmModes = []helmMode{{Helm3, "helm"}, {Helm4, "helm4"}}

func (m helmMode) String() string { return fmt.Sprintf("helm%d", m.version) }

type helmCase struct {
	name  string
	root  string // repository root
	chart string // relative to root
	opts  HelmOptions
	args  []string // extra helm template arguments matching opts
}

// knownDifferences are charts where syncwave deliberately differs from
// helm template, with the reason; syncwave must fail with the message given.
var knownDifferences = map[string]struct{ reason, err string }{
	"v3:pkg/action/testdata/charts/multiplecharts-lint-chart-1": {"a template renders an object without kind; helm template prints it, Argo CD then fails the whole application, syncwave fails at render", "has no kind"},
	"v3:pkg/action/testdata/charts/multiplecharts-lint-chart-2": {"same as multiplecharts-lint-chart-1", "has no kind"},
	"v3:cmd/helm/testdata/testcharts/issue-9027":                {"a subchart template renders an object without kind (as above)", "has no kind"},
	"v3:cmd/helm/testdata/testcharts/alpine":                    {"a label value is the number 3.9, not a string: Kubernetes rejects it at apply time, syncwave at render", "expected a string, found float 3.9"},
	// The same charts in the Helm v4 module.
	"v4:pkg/action/testdata/charts/multiplecharts-lint-chart-1": {"as in the v3 module", "has no kind"},
	"v4:pkg/action/testdata/charts/multiplecharts-lint-chart-2": {"as in the v3 module", "has no kind"},
	"v4:pkg/cmd/testdata/testcharts/issue-9027":                 {"as in the v3 module", "has no kind"},
	"v4:pkg/cmd/testdata/testcharts/alpine":                     {"as in the v3 module", "expected a string, found float 3.9"},
}

func helmTemplate(helm, chartDir string, args []string, t *testing.T) ([]byte, string, error) {
	base := []string{"template", "fid", chartDir, "--namespace", "fid", "--include-crds"}
	for _, a := range args {
		if a == "--skip-crds" { // as Argo CD: skipCrds means no --include-crds
			base = base[:len(base)-1]
		}
	}
	args = append(base, args...)
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir(), "KUBECONFIG=/nonexistent")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), strings.TrimSpace(stderr.String()), err
}

func runHelmCase(t *testing.T, helm string, mode int, c helmCase) (compared bool) {
	t.Helper()
	key := c.name
	c.name = fmt.Sprintf("%s [helm%d]", c.name, mode)
	chartDir := filepath.Join(c.root, c.chart)
	out1, stderr, herr := helmTemplate(helm, chartDir, c.args, t)

	root, err := OpenRoot(c.root)
	if err != nil {
		t.Fatal(err)
	}
	o := c.opts
	o.Path, o.ReleaseName, o.Namespace, o.HelmVersion = filepath.ToSlash(c.chart), "fid", "fid", mode
	rs, serr := Helm(context.Background(), root, o, func(string) {})
	if kd, ok := knownDifferences[key]; ok {
		if herr != nil || serr == nil || !strings.Contains(serr.Error(), kd.err) {
			t.Errorf("%s: known difference (%s) no longer holds: helm %v, syncwave %v", c.name, kd.reason, herr, serr)
		}
		t.Logf("%s: known difference: %s", c.name, kd.reason)
		return false
	}
	if (herr != nil) != (serr != nil) {
		t.Errorf("%s: helm template error %v (%s); syncwave error %v", c.name, herr, stderr, serr)
		return false
	}
	if herr != nil {
		t.Logf("%s: both fail: helm: %s | syncwave: %v", c.name, firstLineOf(stderr), serr)
		return false
	}
	var ours bytes.Buffer
	if err := manifest.Write(&ours, rs); err != nil {
		t.Fatal(err)
	}
	// Objects that differ between two runs of helm itself (randAlphaNum,
	// genCA, ...) cannot be compared: drop them from both sides by key, and
	// compare the rest exactly.
	ref := parseStream(t, out1)
	out2, _, _ := helmTemplate(helm, chartDir, c.args, t)
	ref2 := parseStream(t, out2)
	got := parseStream(t, ours.Bytes())
	var unstable []string
	for k, v := range ref {
		if v2, ok := ref2[k]; !ok || !reflect.DeepEqual(v, v2) {
			unstable = append(unstable, k)
			delete(ref, k)
		}
	}
	if len(unstable) > 0 {
		// keep the count equal: a random name in ours is unmatched too
		n := 0
		for k := range got {
			if _, ok := ref[k]; !ok {
				delete(got, k)
				n++
			}
		}
		if n != len(unstable) {
			t.Errorf("%s: %d objects differ between helm runs but %d of ours are unmatched", c.name, len(unstable), n)
		}
		t.Logf("%s: %d objects not reproducible by helm itself left out: %v", c.name, len(unstable), unstable)
	}
	compareObjects(t, c.name, got, ref)
	return true
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestHelmFidelityHelmTestCharts renders every directory chart of the test
// data of both Helm modules (v3 and v4) in each mode, against that mode's
// CLI.
func TestHelmFidelityHelmTestCharts(t *testing.T) {
	for _, m := range helmModes {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()

			helm := tool(t, m.tool)
			compared := 0
			for _, mod := range []struct{ path, prefix string }{
				{"helm.sh/helm/v3", "v3:"}, {"helm.sh/helm/v4", "v4:"},
			} {
				dir := moduleDirFidelity(t, mod.path)
				bases := []string{"cmd/helm/testdata/testcharts", "pkg/chartutil/testdata", "pkg/action/testdata/charts"}
				if mod.prefix == "v4:" {
					bases = []string{"pkg/cmd/testdata/testcharts", "pkg/chart/v2/util/testdata", "pkg/action/testdata/charts", "pkg/chart/common/util/testdata"}
				}
				for _, base := range bases {
					entries, err := os.ReadDir(filepath.Join(dir, base))
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range entries {
						if _, err := os.Stat(filepath.Join(dir, base, e.Name(), "Chart.yaml")); err != nil {
							continue
						}
						c := helmCase{name: mod.prefix + base + "/" + e.Name(), root: filepath.Join(dir, base), chart: e.Name()}
						if runHelmCase(t, helm, m.version, c) {
							compared++
						}
					}
				}
			}
			t.Logf("%d of Helm's test charts compared", compared)
			if compared < 40 {
				t.Errorf("only %d charts compared", compared)
			}
		})
	}
}

// TestHelmFidelityModeCharts renders the charts of the tests of each
// difference between the modes (helm_modes_test.go) against both CLIs: each
// mode's expected value there is what that CLI prints.
func TestHelmFidelityModeCharts(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("testdata", "helm-modes"))
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range helmModes {
		helm := tool(t, m.tool)
		for _, e := range entries {
			runHelmCase(t, helm, m.version, helmCase{name: "helm-modes/" + e.Name(), root: root, chart: e.Name()})
		}
		runHelmCase(t, helm, m.version, helmCase{name: "helm-modes/parent-null with a user value", root: root, chart: "parent-null",
			opts: HelmOptions{Set: []string{"sub.other=user"}}, args: []string{"--set", "sub.other=user"}})
	}
}

// TestHelmFidelityOwnCharts compares the charts of syncwave's examples and
// scenario tests, with their values, capabilities and subcharts.
func TestHelmFidelityOwnCharts(t *testing.T) {
	for _, m := range helmModes {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			helmFidelityOwnCharts(t, tool(t, m.tool), m.version)
		})
	}
}

func helmFidelityOwnCharts(t *testing.T, helm string, mode int) {
	cli := filepath.Join("..", "internal", "cli", "testdata")
	// file:// dependencies are packaged into charts/ first, as Argo CD's
	// `helm dependency build` does; render reads them in place.
	sub := t.TempDir()
	if err := os.CopyFS(sub, os.DirFS(filepath.Join(cli, "helm-subcharts", "app"))); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(helm, "package", filepath.Join(sub, "libs", "metrics"), "-d", filepath.Join(sub, "platform", "charts")).CombinedOutput(); err != nil {
		t.Fatalf("helm package: %v %s", err, out)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	for _, c := range []helmCase{
		{name: "chart-with-hooks", root: abs("../examples/chart-with-hooks"), chart: "edge-ingress"},
		{name: "chart-with-hooks no CRDs, values", root: abs("../examples/chart-with-hooks"), chart: "edge-ingress",
			opts: HelmOptions{SkipCRDs: true, Set: []string{"admission.enabled=false", "service.ports.metrics=9090"}, SetString: []string{"replicaCount=3"}},
			args: []string{"--skip-crds", "--set", "admission.enabled=false", "--set", "service.ports.metrics=9090", "--set-string", "replicaCount=3"}},
		{name: "helm-subcharts", root: sub, chart: "platform"},
		{name: "helm-subcharts values", root: sub, chart: "platform",
			opts: HelmOptions{Values: [][]byte{[]byte("queue: {enabled: false}\nextraMetrics: true\n")}, KubeVersion: "1.29"},
			args: []string{"--values", writeTemp(t, "queue: {enabled: false}\nextraMetrics: true\n"), "--kube-version", "1.29"}},
		{name: "helm-capabilities", root: abs(filepath.Join(cli, "helm-capabilities", "app")), chart: ".",
			opts: HelmOptions{KubeVersion: "v1.29", APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}},
			args: []string{"--kube-version", "v1.29", "--api-versions", "monitoring.coreos.com/v1", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"}},
		{name: "helm-default-kube-version", root: abs(filepath.Join(cli, "helm-default-kube-version", "app")), chart: "."},
		{name: "helm-values", root: abs(filepath.Join(cli, "helm-values", "app")), chart: ".",
			opts: HelmOptions{ValueFiles: []string{"values-prod.yaml", "/shared/common.yaml"}, Set: []string{"replicas=5"}},
			args: []string{"--values", abs(filepath.Join(cli, "helm-values", "app", "values-prod.yaml")), "--values", abs(filepath.Join(cli, "helm-values", "app", "shared", "common.yaml")), "--set", "replicas=5"}},
	} {
		if !runHelmCase(t, helm, mode, c) {
			t.Errorf("%s: not compared", c.name)
		}
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKustomizeFidelity compares the kustomizations of the scenario tests.
func TestKustomizeFidelity(t *testing.T) {
	kust := tool(t, "kustomize")
	cli, _ := filepath.Abs(filepath.Join("..", "internal", "cli", "testdata"))
	for _, c := range []struct{ root, dir string }{
		{filepath.Join(cli, "kustomize-overlay", "app"), "overlays/prod"},
		{filepath.Join(cli, "kustomize-overlay", "app"), "base"},
		{filepath.Join(cli, "kustomize-detected", "app"), "."},
		{filepath.Join(cli, "kustomize-components", "app"), "."},
	} {
		name := filepath.Base(filepath.Dir(c.root)) + "/" + c.dir
		out, err := exec.Command(kust, "build", filepath.Join(c.root, c.dir)).Output()
		if err != nil {
			t.Errorf("%s: kustomize build: %v", name, err)
			continue
		}
		root, err := OpenRoot(c.root)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Kustomize(context.Background(), root, KustomizeOptions{Path: c.dir})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var ours bytes.Buffer
		if err := manifest.Write(&ours, rs); err != nil {
			t.Fatal(err)
		}
		compareObjects(t, name, parseStream(t, ours.Bytes()), parseStream(t, out))
	}
}

func moduleDirFidelity(t *testing.T, module string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		return string(bytes.TrimSpace(out))
	}
	t.Fatalf("go list -m %s: %v", module, err)
	return ""
}
