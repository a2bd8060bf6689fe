package cli

import (
	"bytes"
	"encoding/hex"
	"fmt"
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
	t.Parallel()

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

// gitOut runs git in dir with stdin and returns its trimmed stdout.
func gitOut(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = bytes.NewReader(stdin)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(string(out))
}

// rawTree builds a tree object byte by byte, as git hash-object
// --literally stores it without any check: entries are "mode name oid",
// written in the order given.
func rawTree(t *testing.T, repo string, entries ...[3]string) string {
	t.Helper()
	var b bytes.Buffer
	for _, e := range entries {
		raw, err := hex.DecodeString(e[2])
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e[0] + " " + e[1] + "\x00")
		b.Write(raw)
	}
	return gitOut(t, repo, b.Bytes(), "hash-object", "-t", "tree", "--literally", "-w", "--stdin")
}

// commitTree commits tree on top of HEAD and returns the commit.
func commitTree(t *testing.T, repo, tree string) string {
	t.Helper()
	return gitOut(t, repo, nil, "commit-tree", tree, "-p", "HEAD", "-m", "crafted")
}

// TestPlanDiffHostileTrees: trees no git checkout would write but git's
// object model holds. Every one is refused before a byte is written, and
// nothing appears outside the temporary directory.
func TestPlanDiffHostileTrees(t *testing.T) {
	repo := gitRepo(t, nil)
	outside := t.TempDir()
	app := gitOut(t, repo, nil, "rev-parse", "HEAD:app")
	blob := func(s string) string { return gitOut(t, repo, []byte(s), "hash-object", "-w", "--stdin") }
	pwned := blob(strings.Replace(configMap, "%s", "pwned", 1))
	sub := gitOut(t, repo, []byte("100644 blob "+pwned+"\tpwned.yaml\n"), "mktree")

	for _, tc := range []struct {
		name   string
		tree   func() string
		stderr string
	}{
		{"symlink and directory of one name, to an outside path", func() string {
			// git sorts a directory as "x/", after the symlink "x"
			return rawTree(t, repo, [3]string{"40000", "app", app}, [3]string{"120000", "x", blob(outside)}, [3]string{"40000", "x", sub})
		}, `entry "x" is both a symlink and a directory (of x/pwned.yaml)`},
		{"symlink and directory of one name, relative", func() string {
			return rawTree(t, repo, [3]string{"40000", "app", app}, [3]string{"120000", "x", blob("../../../../../../../../" + outside)}, [3]string{"40000", "x", sub})
		}, `entry "x" is both a symlink and a directory`},
		{"one name twice", func() string {
			return rawTree(t, repo, [3]string{"40000", "app", app}, [3]string{"100644", "x", pwned}, [3]string{"120000", "x", blob(outside)})
		}, `entry "x" appears twice`},
		{".git directory", func() string {
			hooks := gitOut(t, repo, []byte("100755 blob "+pwned+"\tpost-checkout\n"), "mktree")
			dotgit := rawTree(t, repo, [3]string{"40000", "hooks", hooks})
			return rawTree(t, repo, [3]string{"40000", ".git", dotgit}, [3]string{"40000", "app", app})
		}, `entry ".git/hooks/post-checkout": a .git component is never written`},
		{".GIT in another case", func() string {
			return rawTree(t, repo, [3]string{"40000", ".GIT", sub}, [3]string{"40000", "app", app})
		}, `entry ".GIT/pwned.yaml": a .git component is never written`},
		{"dot-dot entry", func() string {
			return rawTree(t, repo, [3]string{"40000", "..", sub}, [3]string{"40000", "app", app})
		}, `entry "../pwned.yaml": not a relative path inside the tree`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			commit := commitTree(t, repo, tc.tree())
			out, errOut, code := run(t, repo, "plan", "--diff", commit, "app")
			if code != 1 || out != "" || !strings.Contains(errOut, "--diff "+commit+": read the tree: "+tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, tc.stderr)
			}
			if left, _ := os.ReadDir(outside); len(left) != 0 {
				t.Errorf("written outside: %v", left)
			}
			if _, err := os.Stat(filepath.Join(repo, ".git", "hooks", "post-checkout")); err == nil {
				t.Error("a hook was written into the repository's .git")
			}
		})
	}
}

// TestPlanDiffRunsNoFilter: a smudge filter the revision's .gitattributes
// names, configured in the repository (as a tenant's pull request cannot,
// but a reviewer's clone might), does not run: the tree is read from git's
// objects, not checked out or archived.
func TestPlanDiffRunsNoFilter(t *testing.T) {
	repo := gitRepo(t, nil)
	marker := filepath.Join(t.TempDir(), "smudged")
	gitRun(t, repo, "config", "filter.marker.smudge", "touch "+marker+"; cat")
	gitRun(t, repo, "config", "filter.marker.clean", "cat")
	gitRun(t, repo, "config", "filter.marker.required", "true")
	writeFile(t, filepath.Join(repo, ".gitattributes"), "* filter=marker\n")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "attributes")
	// git archive would run it: the test's filter works
	if b, err := exec.Command("git", "-C", repo, "archive", "HEAD").Output(); err != nil || len(b) == 0 {
		t.Fatalf("git archive: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the smudge filter did not run under git archive: %v", err)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, repo, "plan", "--diff", "HEAD", "app")
	if code != 0 || !strings.Contains(out, "No step moved") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("plan --diff ran the smudge filter")
	}
}

// TestPlanDiffLimits: a tree over the size or entry limit is refused
// before anything is written; both defaults are met by real trees, and
// the operator moves them with SYNCWAVE_DIFF_MAX_*.
func TestPlanDiffLimits(t *testing.T) {
	repo := gitRepo(t, nil)
	head := gitOut(t, repo, nil, "ls-tree", "HEAD")
	withDir := func(name, tree string) string {
		root := gitOut(t, repo, []byte(head+"\n040000 tree "+tree+"\t"+name+"\n"), "mktree")
		return commitTree(t, repo, root)
	}
	// 300 names for one 1 MiB blob: 300 MiB to write, a few KiB in git
	mib := gitOut(t, repo, make([]byte, 1<<20), "hash-object", "-w", "--stdin")
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "100644 blob %s\tf%03d\n", mib, i)
	}
	bomb := withDir("bomb", gitOut(t, repo, []byte(b.String()), "mktree"))
	three := withDir("three", gitOut(t, repo, []byte(strings.Join(strings.SplitAfter(b.String(), "\n")[:3], "")), "mktree"))
	// 100,001 empty files
	empty := gitOut(t, repo, nil, "hash-object", "-w", "--stdin")
	b.Reset()
	for i := range DefaultDiffMaxFiles + 1 {
		fmt.Fprintf(&b, "100644 blob %s\tf%06d\n", empty, i)
	}
	many := withDir("many", gitOut(t, repo, []byte(b.String()), "mktree"))

	for _, tc := range []struct {
		name, rev string
		env       []string
		code      int
		stderr    string
	}{
		{"300 MiB of files", bomb, nil, 1, "read the tree: its files are larger than 256Mi in all (raise the limit with SYNCWAVE_DIFF_MAX_SIZE)"},
		{"3 MiB under an operator's 2Mi", three, []string{"SYNCWAVE_DIFF_MAX_SIZE=2Mi"}, 1, "its files are larger than 2Mi in all"},
		{"3 MiB under an operator's 4Mi", three, []string{"SYNCWAVE_DIFF_MAX_SIZE=4Mi"}, 0, ""},
		{"100,001 entries", many, nil, 1, "read the tree: it has more than 100000 entries (raise the limit with SYNCWAVE_DIFF_MAX_FILES)"},
		{"a small limit", "HEAD", []string{"SYNCWAVE_DIFF_MAX_FILES=3"}, 1, "it has more than 3 entries"},
		{"a bad limit", "HEAD", []string{"SYNCWAVE_DIFF_MAX_SIZE=lots"}, 1, `SYNCWAVE_DIFF_MAX_SIZE="lots"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runHost(t, append(os.Environ(), tc.env...), repo, "plan", "--diff", tc.rev, filepath.Join(repo, "app"))
			if code != tc.code || !strings.Contains(errOut, tc.stderr) || (code != 0) != (out == "") {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, errOut, tc.stderr)
			}
		})
	}
}

// TestPlanDiffSymlinks: a symlink that stays inside the tree is
// reproduced and followed as in the working tree; one that leaves it, or
// enters .git, is left out with a warning; a submodule is skipped with one.
func TestPlanDiffSymlinks(t *testing.T) {
	repo := gitRepo(t, nil)
	writeFile(t, filepath.Join(repo, "shared", "extra.yaml"), strings.Replace(configMap, "%s", "shared-extra", 1))
	for link, target := range map[string]string{
		"app/extra.yaml":  "../shared/extra.yaml",
		"app/gone.yaml":   "../../outside.yaml",
		"app/climb.yaml":  "sub/../../shared/extra.yaml",
		"app/config.yaml": "../.git/config",
	} {
		if err := os.Symlink(target, filepath.Join(repo, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "links")
	sub := gitOut(t, repo, nil, "rev-parse", "HEAD")
	tree := gitOut(t, repo, []byte(gitOut(t, repo, nil, "ls-tree", "HEAD")+"\n160000 commit "+sub+"\tvendor\n"), "mktree")
	commit := commitTree(t, repo, tree)
	// the working tree fails on the outside links; remove them there
	for _, l := range []string{"gone.yaml", "climb.yaml", "config.yaml"} {
		if err := os.Remove(filepath.Join(repo, "app", l)); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := run(t, repo, "plan", "--diff", commit, "app")
	if code != 0 || !strings.Contains(out, "No step moved") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, w := range []string{
		"Warning: at " + commit + ": symlink app/gone.yaml -> ../../outside.yaml not reproduced: it points outside the tree\n",
		"Warning: at " + commit + ": symlink app/climb.yaml -> sub/../../shared/extra.yaml not reproduced: it points outside the tree\n",
		"Warning: at " + commit + ": symlink app/config.yaml -> ../.git/config not reproduced: it points outside the tree\n",
		"Warning: at " + commit + ": submodule vendor skipped: its tree is not part of this repository\n",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if strings.Contains(errOut, "extra.yaml ->") {
		t.Errorf("the inside link was left out:\n%s", errOut)
	}
}
