package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	goldenfile "github.com/syncwave/syncwave/internal/golden"
)

// run executes a whole command line as if started in dir ("" for the
// process's working directory) and returns stdout, stderr and the exit
// code. dir reaches the command through its host (testHostIn), not through
// the process's working directory, so commands can run in parallel tests.
func run(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := mainWith(context.Background(), args, &out, &errb, testHostIn(dir))
	return out.String(), errb.String(), code
}

// testHostIn is testHost(nil) working in dir: relative paths on the
// command line and the working directory generate reads are dir ("" for
// the process's).
func testHostIn(dir string) host {
	h := testHost(nil)
	if dir != "" {
		h.dir = dir
		h.getwd = func() (string, error) { return dir, nil }
	}
	return h
}

// golden compares got with the file, or rewrites it with -update. An empty
// got means the file must not exist.
func golden(t *testing.T, file, got string) {
	t.Helper()
	goldenfile.CheckString(t, file, got)
}

// TestCases runs every scenario under testdata/<case>/: the command line in
// its "cmd" file (default "render ."), run inside the case directory, must
// print expected.yaml on stdout and stderr.txt (with the exit code) on stderr.
func TestCases(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/*/cmd")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 20 {
		t.Fatalf("found only %d cases", len(dirs))
	}
	for _, c := range dirs {
		dir, _ := filepath.Abs(filepath.Dir(c))
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			cmd, err := os.ReadFile(filepath.Join(dir, "cmd"))
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Fields(string(cmd))
			out, errOut, code := run(t, filepath.Join(dir, "app"), args...)
			golden(t, filepath.Join(dir, "expected.yaml"), out)
			golden(t, filepath.Join(dir, "stderr.txt"), "exit "+itoa(code)+"\n"+errOut)
			if code != 0 && out != "" && args[0] != "lint" { // lint prints its findings and fails
				t.Errorf("exit %d with output on stdout", code)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestExamples renders every example; the output is a golden file.
func TestExamples(t *testing.T) {
	t.Parallel()
	examples, err := filepath.Glob("../../examples/*/syncwave.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Examples ordered by annotations alone have no syncwave.yaml.
	for _, d := range []string{"depends-on", "helm-sequencing"} {
		examples = append(examples, filepath.Join("../../examples", d, "syncwave.yaml"))
	}
	if len(examples) < 2 {
		t.Fatalf("found %d examples", len(examples))
	}
	for _, e := range examples {
		dir, _ := filepath.Abs(filepath.Dir(e))
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, dir, "render", ".")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if errOut != "" {
				t.Errorf("unexpected stderr: %s", errOut)
			}
			golden(t, filepath.Join(testdataDir(t), "examples", name+".yaml"), out)
			for format, ext := range map[string]string{"table": "txt", "json": "json", "mermaid": "mmd", "dot": "dot"} {
				pout, perr, code := run(t, dir, "plan", "-o", format, ".")
				if code != 0 || perr != "" {
					t.Fatalf("plan -o %s: exit %d: %s", format, code, perr)
				}
				golden(t, filepath.Join(testdataDir(t), "examples", name+".plan."+ext), pout)
			}
			// An example with Argo CD's argocd-cm: what the waves wait for
			// without it (above) and with it.
			lintArgs := []string{"lint", "--strict", "."}
			if _, err := os.Stat(filepath.Join(dir, "argocd-cm.yaml")); err == nil {
				pout, perr, code := run(t, dir, "plan", "--argocd-cm", "argocd-cm.yaml", ".")
				if code != 0 || perr != "" {
					t.Fatalf("plan --argocd-cm: exit %d: %s", code, perr)
				}
				golden(t, filepath.Join(testdataDir(t), "examples", name+".plan-argocd-cm.txt"), pout)
				lout, _, _ := run(t, dir, "lint", ".")
				golden(t, filepath.Join(testdataDir(t), "examples", name+".lint-without-argocd-cm.txt"), lout)
				lintArgs = []string{"lint", "--strict", "--argocd-cm", "argocd-cm.yaml", "."}
			}
			// lint: the examples have no errors or warnings, only information
			lout, lerr, code := run(t, dir, lintArgs...)
			if code != 0 || lerr != "" {
				t.Errorf("%s: exit %d: %s\n%s", strings.Join(lintArgs, " "), code, lerr, lout)
			}
			golden(t, filepath.Join(testdataDir(t), "examples", name+".lint.txt"), lout)
		})
	}
}

// testdataAbs is this package's testdata directory: go test starts in the
// package's directory (read at start-up, before any test changes it; and
// not from runtime.Caller, whose paths make test builds with -trimpath).
var testdataAbs, testdataErr = filepath.Abs("testdata")

func testdataDir(t *testing.T) string {
	if testdataErr != nil {
		t.Fatal(testdataErr)
	}
	return testdataAbs
}

// TestDeterministic renders the same input with different GOMAXPROCS. It
// stays sequential: GOMAXPROCS belongs to the whole process.
func TestDeterministic(t *testing.T) {
	dir, _ := filepath.Abs("../../examples/sync-hook-wave")
	var first string
	for _, procs := range []int{1, 2, 8, 1, 4} {
		old := runtime.GOMAXPROCS(procs)
		out, _, code := run(t, dir, "render")
		runtime.GOMAXPROCS(old)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Fatalf("output differs with GOMAXPROCS=%d", procs)
		}
	}
}

// TestCommandLines is a table of whole command lines: exit codes and the
// start of what they print.
func TestCommandLines(t *testing.T) {
	t.Parallel()
	ex, _ := filepath.Abs("../../examples/sync-hook-wave")
	for _, tc := range []struct {
		args       string
		code       int
		stdout     string // prefix
		stderr     string // substring
		stdoutNone bool
	}{
		{args: "--help", code: 0, stdout: "syncwave renders"},
		{args: "render --help", code: 0, stdout: "Render the application at PATH"},
		{args: "schema --help", code: 0, stdout: "Print the JSON Schema"},
		{args: "version --help", code: 0, stdout: "Print the version"},
		{args: "version", code: 0, stdout: "syncwave "},
		{args: "plan --help", code: 0, stdout: "Render PATH exactly as"},
		{args: "plan " + ex, code: 0, stdout: "PHASE     WAVE  KIND        NAMESPACE/NAME  GROUP     REASON\nSync      -1    Service     webhook-app     webhook   pinned wave -1\n"},
		{args: "plan -o yaml " + ex, code: 2, stderr: `--output "yaml": expected table, json, mermaid or dot`, stdoutNone: true},
		{args: "plan /nonexistent", code: 1, stderr: "no such file or directory", stdoutNone: true},
		{args: "lint --help", code: 0, stdout: "Render PATH exactly as \"syncwave render\" does, compute the plan and report"},
		{args: "lint " + ex, code: 0, stdout: "info     wave-cost  (application)\n"},
		{args: "lint -o yaml " + ex, code: 2, stderr: `--output "yaml": expected table, json or sarif`, stdoutNone: true},
		{args: "lint --argocd-cm /nonexistent.yaml " + ex, code: 1, stderr: "argocd-cm stat /nonexistent.yaml: no such file or directory", stdoutNone: true},
		{args: "plan --argocd-cm " + ex + "/syncwave.yaml " + ex, code: 1, stderr: `expected a v1 ConfigMap, found syncwave.io/v1alpha1 "SyncOrder"`, stdoutNone: true},
		{args: "schema", code: 0, stdout: "{"},
		{args: "render " + ex, code: 0, stdout: "apiVersion: v1\nkind: Service\nmetadata:\n  name: backend\n  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n"},
		{args: "render --bogus", code: 2, stderr: "unknown flag: --bogus", stdoutNone: true},
		{args: "render a b", code: 2, stderr: "accepts at most 1 arg", stdoutNone: true},
		{args: "frobnicate", code: 2, stderr: "unknown command \"frobnicate\"", stdoutNone: true},
		{args: "render /nonexistent/app", code: 1, stderr: "application path /nonexistent/app: no such file or directory", stdoutNone: true},
		{args: "render --order /nonexistent.yaml " + ex, code: 1, stderr: "ordering file /nonexistent.yaml is outside the repository root\n", stdoutNone: true},
		{args: "render --order /etc/hostname " + ex, code: 1, stderr: "ordering file /etc/hostname is outside the repository root", stdoutNone: true},
		{args: "render --repo-root " + ex + "/.. " + ex + "/../../manifest", code: 1, stderr: "is outside the repository root", stdoutNone: true},
		{args: "render --helm-version 5 " + ex, code: 2, stderr: `--helm-version: helm version "5": expected 3 or 4`, stdoutNone: true},
		{args: "plan --argocd-version 4.0 " + ex, code: 2, stderr: `--argocd-version: argo cd version "4.0": expected 2.x or 3.x`, stdoutNone: true},
		{args: "plan --argocd-version 2.14 " + ex, code: 0, stdout: "PHASE"},
		{args: "plan --argocd-version 2.9 " + ex, code: 0, stdout: "PHASE", stderr: "Argo CD 2.9 is older than the lines syncwave models; it is modelled as Argo CD 2.14"},
		{args: "lint --argocd-version 3.9 " + ex, code: 0, stderr: "Argo CD 3.9 is newer than the lines syncwave models; it is modelled as Argo CD 3.5"},
		{args: "render --helm-version 3 " + ex, code: 0, stdout: "apiVersion: v1\n"},
		{args: "schema extra", code: 2, stderr: "unknown command \"extra\"", stdoutNone: true},
	} {
		t.Run(tc.args, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, "", strings.Fields(tc.args)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if !strings.HasPrefix(out, tc.stdout) {
				t.Errorf("stdout %q does not start with %q", firstLine(out), tc.stdout)
			}
			if tc.stdoutNone && out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.stderr)
			}
		})
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
