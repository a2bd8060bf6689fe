package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/syncwave/syncwave/internal/sandbox/seal"
)

// fakeSeal stands in for the kernel seal in in-process tests (a sealed
// test binary could not go on testing): it records what each command
// would leave readable and reports what a kernel with both layers would.
// The real seal is proven on a built binary (sealproof_test.go) and in
// internal/sandbox/seal.
type fakeSeal struct {
	mu      sync.Mutex
	configs []seal.Config
	report  seal.Report
}

func (f *fakeSeal) seal(c seal.Config) seal.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configs = append(f.configs, c)
	return f.report
}

func bothLayers() seal.Report { return seal.Report{LandlockABI: 7, Seccomp: true} }

// testHost is the process's environment and working directory with a
// fake seal (f, or a fresh one).
func testHost(f *fakeSeal) host {
	if f == nil {
		f = &fakeSeal{report: bothLayers()}
	}
	return host{environ: os.Environ, getwd: os.Getwd, seal: f.seal}
}

// Every command that reads a repository seals itself once, with the
// repository root (and nothing else of the repository's choosing)
// readable; plan --diff also with the revision's temporary tree.
func TestCommandsSeal(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t, nil)
	app := filepath.Join(repo, "app")
	plugin := []string{"ARGOCD_APP_NAME=shop", "ARGOCD_APP_SOURCE_PATH=app"}
	for _, tc := range []struct {
		args    string
		environ []string
		scratch bool
	}{
		{args: "render app"},
		{args: "plan app"},
		{args: "plan -o json app"},
		{args: "lint app"},
		{args: "plan --diff HEAD app", scratch: true},
		{args: "generate", environ: plugin},
		{args: "parameters", environ: plugin},
	} {
		t.Run(tc.args, func(t *testing.T) {
			t.Parallel()
			f := &fakeSeal{report: bothLayers()}
			wd := repo
			if tc.environ != nil {
				wd = app
			}
			h := host{environ: func() []string { return tc.environ }, getwd: func() (string, error) { return wd, nil }, dir: repo, seal: f.seal}
			out, errOut, code := runWith(t, h, strings.Fields(tc.args)...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if out == "" {
				t.Error("no output")
			}
			if len(f.configs) != 1 {
				t.Fatalf("sealed %d times, want once", len(f.configs))
			}
			c := f.configs[0]
			var read []string
			for _, p := range c.Read {
				if p != "" {
					read = append(read, p)
				}
			}
			if len(read) != 1 || read[0] != repo {
				t.Errorf("readable after sealing: %q, want only the repository %s", read, repo)
			}
			if tc.scratch != (len(c.Scratch) == 1) {
				t.Errorf("scratch %q", c.Scratch)
			}
			for _, s := range c.Scratch {
				if !strings.Contains(filepath.Base(s), "syncwave-diff-") {
					t.Errorf("scratch %s is not the revision's temporary tree", s)
				}
			}
		})
	}
}

func runWith(t *testing.T, h host, args ...string) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	code := mainWith(t.Context(), args, &out, &errb, h)
	return out.String(), errb.String(), code
}

// SYNCWAVE_SANDBOX: the default warns once about a missing layer and
// renders, require refuses naming the layer (nothing on stdout), off does
// not seal; version reports the layers.
func TestSandboxModes(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t, nil)
	noSeccomp := seal.Report{LandlockABI: 7, SeccompErr: errors.New("seccomp(2) refused (by the runtime's seccomp profile?): operation not permitted")}
	for _, tc := range []struct {
		name, mode, args string
		report           seal.Report
		code             int
		stdout, stderr   string
		sealed           bool
	}{
		{name: "default, both layers", args: "render app", report: bothLayers(), code: 0, stdout: "apiVersion", sealed: true},
		{name: "default, seccomp missing", args: "render app", report: noSeccomp, code: 0, stdout: "apiVersion", sealed: true,
			stderr: "Warning: sandbox: missing seccomp (seccomp(2) refused (by the runtime's seccomp profile?): operation not permitted); running with the other layers and syncwave's own refusals (SYNCWAVE_SANDBOX=require refuses to run)\n"},
		{name: "require, seccomp missing", mode: "require", args: "plan app", report: noSeccomp, code: 1, sealed: true,
			stderr: "Error: SYNCWAVE_SANDBOX=require: the kernel sandbox is missing seccomp (seccomp(2) refused"},
		{name: "require, landlock missing", mode: "require", args: "lint app", report: seal.Report{LandlockErr: errors.New("the kernel has no Landlock"), Seccomp: true}, code: 1, sealed: true,
			stderr: "missing landlock (the kernel has no Landlock)"},
		{name: "require, both layers", mode: "require", args: "render app", report: bothLayers(), code: 0, stdout: "apiVersion", sealed: true},
		{name: "off", mode: "off", args: "render app", report: noSeccomp, code: 0, stdout: "apiVersion"},
		{name: "bad value", mode: "strict", args: "render app", code: 1, stderr: `Error: SYNCWAVE_SANDBOX="strict": expected require, off or nothing`},
		{name: "version", args: "version", report: bothLayers(), code: 0, stdout: "syncwave ", sealed: true},
		{name: "version, require, missing", mode: "require", args: "version", report: noSeccomp, code: 1, sealed: true, stderr: "SYNCWAVE_SANDBOX=require"},
		{name: "version, off", mode: "off", args: "version", code: 0, stdout: "syncwave "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSeal{report: tc.report}
			var env []string
			if tc.mode != "" {
				env = append(env, "SYNCWAVE_SANDBOX="+tc.mode)
			}
			h := host{environ: func() []string { return env }, getwd: func() (string, error) { return repo, nil }, dir: repo, seal: f.seal}
			out, errOut, code := runWith(t, h, strings.Fields(tc.args)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if !strings.HasPrefix(out, tc.stdout) || (tc.code != 0 && out != "") {
				t.Errorf("stdout %q", firstLine(out))
			}
			if tc.stderr == "" && errOut != "" || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr %q, want %q", errOut, tc.stderr)
			}
			if got := len(f.configs) == 1; got != tc.sealed {
				t.Errorf("sealed %d times", len(f.configs))
			}
			if tc.args == "version" && tc.code == 0 {
				want := "\nsandbox: " + tc.report.String() + "\n"
				if tc.mode == "off" {
					want = "\nsandbox: off\n"
				}
				if !strings.HasSuffix(out, want) {
					t.Errorf("version output %q does not end with %q", out, want)
				}
			}
		})
	}
}

// The sidecar prints the sandbox line with its first generation only (a
// marker in its TMPDIR), and not at all without a TMPDIR.
func TestGenerateReportsSandboxOnce(t *testing.T) {
	repo := gitRepo(t, nil)
	tmp := t.TempDir()
	env := []string{"ARGOCD_APP_NAME=shop", "ARGOCD_APP_SOURCE_PATH=app", "TMPDIR=" + tmp}
	h := host{environ: func() []string { return env }, getwd: func() (string, error) { return filepath.Join(repo, "app"), nil }, seal: (&fakeSeal{report: bothLayers()}).seal}
	want := "syncwave " + version + ": sandbox: " + bothLayers().String() + "\n"
	for i, wantErr := range []string{want, ""} {
		out, errOut, code := runWith(t, h, "generate")
		if code != 0 || out == "" || errOut != wantErr {
			t.Errorf("generation %d: exit %d, stderr %q, want %q", i+1, code, errOut, wantErr)
		}
	}
	env = env[:2]
	if _, errOut, _ := runWith(t, h, "generate"); errOut != "" {
		t.Errorf("without TMPDIR: stderr %q", errOut)
	}
}

// A tenant cannot switch the seal off: SYNCWAVE_SANDBOX is the sidecar's,
// and an Application's plugin.env naming it is refused.
func TestTenantCannotUnseal(t *testing.T) {
	repo := gitRepo(t, nil)
	f := &fakeSeal{report: bothLayers()}
	env := []string{"ARGOCD_APP_NAME=shop", "ARGOCD_APP_SOURCE_PATH=app", "ARGOCD_ENV_SYNCWAVE_SANDBOX=off"}
	h := host{environ: func() []string { return env }, getwd: func() (string, error) { return filepath.Join(repo, "app"), nil }, seal: f.seal}
	out, errOut, code := runWith(t, h, "generate")
	if code != 1 || out != "" || !strings.Contains(errOut, "ARGOCD_ENV_SYNCWAVE_SANDBOX: SYNCWAVE_SANDBOX is set in the sidecar's environment by the operator") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
