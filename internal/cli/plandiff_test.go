package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// gitRepo makes a git repository in a temporary directory holding
// examples/sync-hook-wave at app/ plus files, commits it, and returns the
// repository's directory.
func gitRepo(t *testing.T, extra map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed for plan --diff and its test")
	}
	repo := t.TempDir()
	app := filepath.Join(repo, "app")
	if err := os.CopyFS(app, os.DirFS("../../examples/sync-hook-wave")); err != nil {
		t.Fatal(err)
	}
	for name, text := range extra {
		writeFile(t, filepath.Join(app, name), text)
	}
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "base")
	return repo
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func writeFile(t *testing.T, file, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func editFile(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	writeFile(t, file, strings.Replace(string(b), old, new, 1))
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

// TestPlanDiff: a real repository, a commit, then a working tree where a
// group moved, a hook group's delete policy changed, one file was removed
// and one added: each output format is a golden file. Committing the change
// and comparing against HEAD~1 gives the same diff.
func TestPlanDiff(t *testing.T) {
	repo := gitRepo(t, map[string]string{"old.yaml": strings.Replace(configMap, "%s", "old-settings", 1)})
	app := filepath.Join(repo, "app")

	// a clean tree: nothing changed
	out, errOut, code := run(t, app, "plan", "--diff", "HEAD", ".")
	if code != 0 || !strings.Contains(out, "No step moved, appeared, disappeared or changed (11 steps).") {
		t.Fatalf("clean tree: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	editFile(t, filepath.Join(app, "syncwave.yaml"), "    select: [{name: frontend}]\n    after: [backend]\n", "    select: [{name: frontend}]\n    wave: 5\n")
	editFile(t, filepath.Join(app, "syncwave.yaml"), "    select: [{kind: Job, name: restore-data}]\n    hook: PostSync\n    hookDeletePolicy: BeforeHookCreation,HookSucceeded\n", "    select: [{kind: Job, name: restore-data}]\n    hook: PostSync\n    hookDeletePolicy: HookFailed\n")
	if err := os.Remove(filepath.Join(app, "old.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(app, "new.yaml"), strings.Replace(configMap, "%s", "new-settings", 1))

	dir := filepath.Join(testdataDir(t), "plan-diff")
	for _, f := range []struct{ format, file string }{{"table", "diff.txt"}, {"json", "diff.json"}, {"mermaid", "diff.mmd"}, {"table --reasons", "diff-reasons.txt"}} {
		out, errOut, code := run(t, app, append([]string{"plan", "--diff", "main", "-o"}, append(strings.Fields(f.format), ".")...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", f.format, code, errOut)
		}
		golden(t, filepath.Join(dir, f.file), out)
	}

	// from the repository root, the same diff; after committing, against HEAD~1
	top, _, _ := run(t, repo, "plan", "--diff", "main", "app")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "move frontend")
	again, _, _ := run(t, repo, "plan", "--diff", "HEAD~1", "app")
	if again != strings.Replace(top, "against main", "against HEAD~1", 1) {
		t.Errorf("against HEAD~1 after committing:\n%s\nbefore committing, against main:\n%s", again, top)
	}
}

func TestPlanDiffErrors(t *testing.T) {
	repo := gitRepo(t, nil)
	notGit := t.TempDir()
	if err := os.CopyFS(notGit, os.DirFS("../../examples/sync-hook-wave")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "mv", "app", "moved")
	gitRun(t, repo, "commit", "-q", "-m", "move app")
	moved := filepath.Join(repo, "moved")
	for _, tc := range []struct {
		name, dir string
		args      []string
		code      int
		stderr    string
	}{
		{"unknown revision", moved, []string{"plan", "--diff", "no-such-branch", "."}, 1, "--diff no-such-branch: no such commit in"},
		{"option as revision", moved, []string{"plan", "--diff=--output=x", "."}, 2, "not a revision"},
		{"not a git work tree", notGit, []string{"plan", "--diff", "HEAD", "."}, 1, "is not in a git work tree"},
		{"path absent at the revision", moved, []string{"plan", "--diff", "HEAD~1", "."}, 1, "--diff HEAD~1: the application path . does not exist at that revision"},
		{"dot output", moved, []string{"plan", "--diff", "HEAD", "-o", "dot", "."}, 2, `--output "dot" with --diff: expected table, json or mermaid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.dir, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, errOut, tc.stderr)
			}
		})
	}
}

// TestPlanDiffWorkflow: the example CI job is valid YAML, fetches the whole
// history and runs plan --diff in each output it posts.
func TestPlanDiffWorkflow(t *testing.T) {
	data, err := os.ReadFile("../../examples/ci/plan-diff.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		// YAML 1.1 reads the key on as true; GitHub reads it as on.
		On   map[string]any `json:"true"`
		Jobs map[string]struct {
			Steps []struct {
				Uses string         `json:"uses"`
				With map[string]any `json:"with"`
				Run  string         `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("not run on pull requests")
	}
	var runs string
	depth := false
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			runs += s.Run
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] == float64(0) {
				depth = true
			}
		}
	}
	if !depth {
		t.Error("checkout without fetch-depth: 0: the base commit is missing")
	}
	for _, want := range []string{`syncwave plan --diff "$BASE" "$app"`, `syncwave plan --diff "$BASE" -o mermaid "$app"`, "gh pr comment"} {
		if !strings.Contains(runs, want) {
			t.Errorf("workflow does not run %q", want)
		}
	}
}
