package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// syncwaveBinary builds cmd/syncwave once per test run.
// SYNCWAVE_HOSTILE_BIN runs the table against another build instead (an
// older release, to see which cases it fails).
func syncwaveBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SYNCWAVE_HOSTILE_BIN"); b != "" {
		return b
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "syncwave-hostile-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "syncwave")
		cmd := exec.Command("go", "build", "-o", binPath, "../../cmd/syncwave")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
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
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
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
			ctx, cancel := context.WithTimeout(context.Background(), kill)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, strings.Fields(subst.Replace(args))...)
			cmd.Dir, cmd.Env = repo, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			if ctx.Err() != nil {
				t.Fatalf("killed after %s: it hangs", kill)
			}
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			rss := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
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
