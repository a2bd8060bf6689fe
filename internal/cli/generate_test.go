package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/plugin"
)

// runHost runs a whole command line with a fake environment and working
// directory: the process's own are never read or changed.
func runHost(t *testing.T, environ []string, wd string, args ...string) (string, string, int) {
	t.Helper()
	h := host{
		environ: func() []string { return environ },
		getwd:   func() (string, error) { return wd, nil },
		seal:    (&fakeSeal{report: bothLayers()}).seal,
	}
	var out, errb bytes.Buffer
	code := mainWith(context.Background(), args, &out, &errb, h)
	return out.String(), errb.String(), code
}

// repoRoot is this repository's root, which plays the unpacked repository
// Argo CD streams to the sidecar.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join(testdataDir(t), "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// argoVersion builds the environment the cmp-server of one Argo CD version
// gives a plugin command: the sidecar's variables, then the request's.
type argoVersion struct {
	name        string
	dropEmpty   bool // 2.14 drops empty values; 3.x passes them
	kubeVersion string
	project     bool
}

var argoVersions = []argoVersion{
	{name: "v2.14", dropEmpty: true, kubeVersion: "1.29"},
	{name: "v3.4", kubeVersion: "1.29.3", project: true},
}

type appSource struct {
	name, namespace, path string
	env                   map[string]string // plugin.env
	params                json.RawMessage   // plugin.parameters as JSON; nil: none
}

func (v argoVersion) environ(s appSource, sidecar ...string) []string {
	env := append([]string{"PATH=/usr/local/bin", "TMPDIR=/tmp"}, sidecar...)
	req := []string{
		"ARGOCD_APP_NAME=" + s.name,
		"ARGOCD_APP_NAMESPACE=" + s.namespace,
		"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567",
		"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/org/repo.git",
		"ARGOCD_APP_SOURCE_PATH=" + s.path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION=HEAD",
		"KUBE_VERSION=" + v.kubeVersion,
		"KUBE_API_VERSIONS=apps/v1,apps/v1/Deployment,batch/v1,batch/v1/Job,v1,v1/Pod",
	}
	if v.project {
		req = append(req, "ARGOCD_APP_PROJECT_NAME=default")
	}
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req = append(req, "ARGOCD_ENV_"+k+"="+s.env[k])
	}
	params := s.params
	if params == nil {
		params = json.RawMessage("null")
	}
	req = append(req, "ARGOCD_APP_PARAMETERS="+string(params))
	var ps []struct {
		Name   string            `json:"name"`
		String *string           `json:"string"`
		Array  []string          `json:"array"`
		Map    map[string]string `json:"map"`
	}
	_ = json.Unmarshal(params, &ps)
	for _, p := range ps {
		base := "PARAM_" + plugin.Escape(p.Name)
		if p.String != nil {
			req = append(req, base+"="+*p.String)
		}
		for i, a := range p.Array {
			req = append(req, fmt.Sprintf("%s_%d=%s", base, i, a))
		}
		for k, m := range p.Map {
			req = append(req, base+"_"+plugin.Escape(k)+"="+m)
		}
	}
	if v.dropEmpty {
		kept := req[:0]
		for _, kv := range req {
			if !strings.HasSuffix(kv, "=") {
				kept = append(kept, kv)
			}
		}
		req = kept
	}
	return append(env, req...)
}

// application reads one of examples/applications as the source Argo CD
// would send to the plugin.
func application(t *testing.T, file string) appSource {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var app struct {
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			Source struct {
				Path   string `json:"path"`
				Plugin struct {
					Env []struct {
						Name  string `json:"name"`
						Value string `json:"value"`
					} `json:"env"`
					Parameters json.RawMessage `json:"parameters"`
				} `json:"plugin"`
			} `json:"source"`
			Destination struct {
				Namespace string `json:"namespace"`
			} `json:"destination"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &app); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	s := appSource{name: app.Metadata.Name, namespace: app.Spec.Destination.Namespace, path: app.Spec.Source.Path, env: map[string]string{}, params: app.Spec.Source.Plugin.Parameters}
	for _, e := range app.Spec.Source.Plugin.Env {
		s.env[e.Name] = e.Value
	}
	return s
}

// TestGenerateApplications renders every Application of
// examples/applications through `syncwave generate`, with the environment
// Argo CD 2.14 and 3.4 would build for it. Both must print the same bytes
// (golden in testdata/applications/); an Application without parameters
// must print exactly what `syncwave render` prints for its path.
func TestGenerateApplications(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "examples", "applications", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Applications: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			app := application(t, file)
			wd := filepath.Join(root, filepath.FromSlash(app.path))
			var first string
			for _, v := range argoVersions {
				out, errOut, code := runHost(t, v.environ(app), wd, "generate")
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", v.name, code, errOut)
				}
				if errOut != "" {
					t.Errorf("%s: stderr %q", v.name, errOut)
				}
				if first == "" {
					first = out
				} else if out != first {
					t.Errorf("%s prints other bytes than %s", v.name, argoVersions[0].name)
				}
			}
			golden(t, filepath.Join(testdataDir(t), "applications", name+".yaml"), first)
			if app.params == nil && len(app.env) == 0 || name == "retry-sync-options" {
				// no parameters: the same as render (the app name only
				// matters for Helm release names, which the examples pin)
				out, errOut, code := run(t, wd, "render", ".")
				if code != 0 {
					t.Fatalf("render: exit %d: %s", code, errOut)
				}
				if out != first {
					t.Errorf("generate and render print different streams")
				}
			}
		})
	}
}

// TestGenerateCommandLines is a table of plugin-mode runs with a fake
// environment: exit codes, and what stdout and stderr hold.
func TestGenerateCommandLines(t *testing.T) {
	root := repoRoot(t)
	chart := appSource{name: "argocd_edge", namespace: "edge", path: "examples/chart-with-hooks/edge-ingress"}
	hookWave := appSource{name: "shop", namespace: "shop", path: "examples/sync-hook-wave"}
	empty := appSource{name: "empty", path: "internal/cli/testdata/empty/app"}
	v2, v3 := argoVersions[0], argoVersions[1]
	withParams := func(s appSource, params string) appSource { s.params = json.RawMessage(params); return s }
	withEnv := func(s appSource, kv ...string) appSource {
		s.env = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			s.env[kv[i]] = kv[i+1]
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		env     []string
		wd      string
		args    string
		code    int
		stdout  string // substring; "" with code 0 means empty output
		stderr  string // substring
		noStdin bool
	}{
		{name: "release name from ARGOCD_APP_NAME without its namespace prefix", env: v3.environ(chart), wd: chart.path, code: 0, stdout: "name: edge-edge-ingress\n"},
		{name: "release-name parameter", env: v2.environ(withParams(chart, `[{"name":"release-name","string":"web"}]`)), wd: chart.path, code: 0, stdout: "name: web-edge-ingress\n"},
		{name: "release name from plugin.env", env: v2.environ(withEnv(chart, "SYNCWAVE_RELEASE_NAME", "envrel")), wd: chart.path, code: 0, stdout: "name: envrel-edge-ingress\n"},
		{name: "release name from the sidecar", env: v3.environ(chart, "SYNCWAVE_RELEASE_NAME=side"), wd: chart.path, code: 0, stdout: "name: side-edge-ingress\n"},
		{name: "namespace from ARGOCD_APP_NAMESPACE", env: v2.environ(chart), wd: chart.path, code: 0, stdout: "namespace: edge\n"},
		{name: "helm-parameters", env: v3.environ(withParams(chart, `[{"name":"helm-parameters","map":{"replicaCount":"5"}}]`)), wd: chart.path, code: 0, stdout: "replicas: 5\n"},
		{name: "KUBE_VERSION below the chart's kubeVersion", env: append(v2.environ(chart), "KUBE_VERSION=1.24"), wd: chart.path, code: 1, stderr: "1.24"},
		{name: "KUBE_VERSION garbage", env: append(v2.environ(chart), "KUBE_VERSION=latest"), wd: chart.path, code: 1, stderr: `Error: KUBE_VERSION="latest": expected a Kubernetes version such as 1.29 or 1.29.3`},
		{name: "inline order with a cycle", env: v3.environ(withParams(chart, `[{"name":"order","string":"apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n  - {name: a, select: [{kind: Deployment}], after: [b]}\n  - {name: b, select: [{kind: Service}], after: [a]}\n"}]`)), wd: chart.path, code: 1, stderr: "a -> b (groups[0].after[0]) -> a (groups[1].after[0])"},
		// enough ../ to reach / from any clone's depth: the boundary is judged
		// on the path's text, so an existing and a missing file outside give
		// the same message
		{name: "order-file parameter outside the repository", env: v3.environ(withParams(hookWave, `[{"name":"order-file","string":"`+strings.Repeat("../", 64)+`etc/passwd"}]`)), wd: hookWave.path, code: 1, stderr: "Error: ordering file /etc/passwd is outside the repository root\n"},
		{name: "order-file parameter outside the repository, missing", env: v3.environ(withParams(hookWave, `[{"name":"order-file","string":"`+strings.Repeat("../", 64)+`no-such-dir/x.yaml"}]`)), wd: hookWave.path, code: 1, stderr: "Error: ordering file /no-such-dir/x.yaml is outside the repository root\n"},
		{name: "order-file parameter just outside the repository", env: v3.environ(withParams(hookWave, `[{"name":"order-file","string":"../../../syncwave.yaml"}]`)), wd: hookWave.path, code: 1, stderr: "is outside the repository root\n"},
		{name: "order-file parameter in .git", env: v3.environ(withParams(hookWave, `[{"name":"order-file","string":"/.git/config"}]`)), wd: hookWave.path, code: 1, stderr: "is in .git, which is never read\n"},
		{name: "order-file parameter from the repository root", env: v3.environ(withParams(hookWave, `[{"name":"order-file","string":"/examples/sync-hook-wave/syncwave.yaml"}]`)), wd: hookWave.path, code: 0, stdout: "argocd.argoproj.io/sync-wave: \"3\""},
		{name: "values-files escaping the repository", env: v3.environ(withParams(chart, `[{"name":"values-files","array":["`+strings.Repeat("../", 64)+`etc/hostname"]}]`)), wd: chart.path, code: 1, stderr: "repository root"},
		{name: "unknown parameter", env: v3.environ(withParams(hookWave, `[{"name":"valuesFiles","array":["a"]}]`)), wd: hookWave.path, code: 1, stderr: `Error: unknown parameter "valuesFiles" (known: order-file, order, values-files, values, helm-parameters, release-name, allow-empty, dependency-annotations, helm-version, argocd-version, plan-record)`},
		{name: "string where an array is expected", env: v2.environ(withParams(hookWave, `[{"name":"values-files","string":"a.yaml"}]`)), wd: hookWave.path, code: 1, stderr: `Error: parameter "values-files": expected an array (array: [...]), found a string (string: ...)`},
		{name: "malformed ARGOCD_APP_PARAMETERS", env: append(v2.environ(hookWave), `ARGOCD_APP_PARAMETERS=[{`), wd: hookWave.path, code: 1, stderr: "Error: ARGOCD_APP_PARAMETERS: malformed JSON"},
		{name: "empty output refused", env: v2.environ(empty), wd: empty.path, code: 1, stderr: "no resources rendered"},
		{name: "empty output allowed by parameter", env: v3.environ(withParams(empty, `[{"name":"allow-empty","string":"true"}]`)), wd: empty.path, code: 0},
		{name: "timeout", env: v3.environ(hookWave, "SYNCWAVE_TIMEOUT=1ns"), wd: hookWave.path, code: 1, stderr: "took longer than 1ns (--timeout, SYNCWAVE_TIMEOUT"}, // the download phase or the rendering: one deadline covers both
		{name: "unknown sidecar variable: a warning", env: v3.environ(hookWave, "SYNCWAVE_TOOLS=/cache"), wd: hookWave.path, code: 0, stdout: "kind: Service", stderr: "Warning: unknown variable SYNCWAVE_TOOLS; known: SYNCWAVE_ORDER_FILE,"},
		{name: "unknown plugin.env variable: an error", env: v3.environ(withEnv(hookWave, "SYNCWAVE_ORDERFILE", "x.yaml")), wd: hookWave.path, code: 1, stderr: "Error: unknown variable ARGOCD_ENV_SYNCWAVE_ORDERFILE; plugin.env may set:"},
		{name: "bad timeout", env: v3.environ(hookWave, "SYNCWAVE_TIMEOUT=forever"), wd: hookWave.path, code: 1, stderr: `SYNCWAVE_TIMEOUT="forever"`},
		{name: "no arguments", env: v3.environ(hookWave), wd: hookWave.path, args: "generate extra", code: 2, stderr: `unknown command "extra"`},
		{name: "help", wd: hookWave.path, args: "generate --help", code: 0, stdout: "ARGOCD_APP_PARAMETERS"},
		{name: "parameters help", wd: hookWave.path, args: "parameters --help", code: 0, stdout: "helm-parameters map"},
		{name: "parameters of a directory", env: v3.environ(hookWave), wd: hookWave.path, args: "parameters", code: 0, stdout: "[]\n"},
		{name: "parameters with a bad parameter", env: v3.environ(withParams(hookWave, `[{"name":"x"}]`)), wd: hookWave.path, args: "parameters", code: 1, stderr: `unknown parameter "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == "" {
				args = "generate"
			}
			out, errOut, code := runHost(t, tc.env, filepath.Join(root, filepath.FromSlash(tc.wd)), strings.Fields(args)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if code != 0 && out != "" {
				t.Errorf("exit %d with output on stdout", code)
			}
			if tc.stdout == "" && code == 0 && out != "" && !strings.Contains(args, "help") {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.stdout, out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.stderr)
			}
		})
	}
}

// TestParametersAnnouncement: the dynamic announcement of each Helm
// Application is golden (testdata/parameters/); it is valid as Argo CD's
// []ParameterAnnouncement.
func TestParametersAnnouncement(t *testing.T) {
	root := repoRoot(t)
	for _, name := range []string{"chart-with-hooks", "helm-parameters", "inline-order", "sync-hook-wave"} {
		t.Run(name, func(t *testing.T) {
			app := application(t, filepath.Join(root, "examples", "applications", name+".yaml"))
			out, errOut, code := runHost(t, argoVersions[1].environ(app), filepath.Join(root, filepath.FromSlash(app.path)), "parameters")
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var anns []plugin.Announcement
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&anns); err != nil {
				t.Fatalf("not a list of announcements: %v", err)
			}
			for _, a := range anns {
				if _, ok := plugin.Lookup(a.Name); !ok {
					t.Errorf("announces unknown parameter %q", a.Name)
				}
			}
			golden(t, filepath.Join(testdataDir(t), "parameters", name+".json"), out)
		})
	}
}

// TestContainedIgnoredContext: the deadline holds even when the rendering
// does not watch its context.
func TestContainedIgnoredContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	err := contained(context.Background(), limits{timeout: 20 * time.Millisecond}, "render x", func(context.Context) error {
		<-block
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "render x: rendering took longer than 20ms (--timeout, SYNCWAVE_TIMEOUT)") {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("returned after %s", d)
	}
}

func TestContainedInterrupted(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := contained(ctx, limits{timeout: time.Minute}, "render x", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

func TestGenerateWorkdirError(t *testing.T) {
	t.Parallel()

	h := host{environ: func() []string { return nil }, getwd: func() (string, error) { return "", errors.New("gone") }}
	var out, errb bytes.Buffer
	if code := mainWith(context.Background(), []string{"generate"}, &out, &errb, h); code != 1 || !strings.Contains(errb.String(), "working directory: gone") {
		t.Fatalf("exit %d stderr %q", code, errb.String())
	}
}
