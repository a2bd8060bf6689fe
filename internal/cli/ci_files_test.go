package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// syncwaveCall is one syncwave command line found in a CI file.
type syncwaveCall struct {
	where string
	args  []string // after "syncwave"
}

var (
	callRE  = regexp.MustCompile(`(?:^|[;&|(]|\s)syncwave\s+([^|>;&]*)`)
	flagsRE = regexp.MustCompile(`flags\+=\(([^)]*)\)`)
)

// callsIn finds the syncwave command lines of a shell script, with the
// flags the script adds to its "${flags[@]}" array put in their place.
func callsIn(where, script string) []syncwaveCall {
	var added []string
	for _, m := range flagsRE.FindAllStringSubmatch(script, -1) {
		added = append(added, strings.Fields(m[1])...)
	}
	var calls []syncwaveCall
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "echo") || strings.Contains(line, "go install") {
			continue
		}
		for _, m := range callRE.FindAllStringSubmatch(line, -1) {
			var args []string
			for _, a := range strings.Fields(m[1]) {
				if a == `"${flags[@]}"` {
					args = append(args, added...)
					continue
				}
				args = append(args, strings.Trim(a, `"`))
			}
			calls = append(calls, syncwaveCall{where: where + ": " + line, args: args})
		}
	}
	return calls
}

// checkCall checks that the command exists and takes every flag given.
func checkCall(errorf func(string, ...any), root *cobra.Command, c syncwaveCall) {
	var words []string
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	if len(words) == 0 {
		errorf("%s: no subcommand", c.where)
		return
	}
	cmd, _, err := root.Find(words[:1])
	if err != nil || cmd == root {
		errorf("%s: no command %q", c.where, words[0])
		return
	}
	for _, a := range c.args {
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "$") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var ok bool
		if strings.HasPrefix(a, "--") {
			ok = cmd.Flags().Lookup(name) != nil
		} else {
			ok = cmd.Flags().ShorthandLookup(name) != nil
		}
		if !ok {
			errorf("%s: %s has no flag %s", c.where, cmd.CommandPath(), a)
		}
	}
}

// TestActionAndPreCommit: action.yml (a composite action) and
// .pre-commit-hooks.yaml parse, and every syncwave command they run
// exists with the flags they give it.
func TestActionAndPreCommit(t *testing.T) {
	t.Parallel()

	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{}, host{})
	top := filepath.Join("..", "..")

	data, err := os.ReadFile(filepath.Join(top, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Name, Description, Author string
		Branding                  map[string]string
		Inputs                    map[string]struct{ Description, Default string }
		Outputs                   map[string]struct{ Description, Value string }
		Runs                      struct {
			Using string
			Steps []struct {
				Name, ID, If, Uses, Run, Shell string
				With, Env                      map[string]string
			}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("action.yml: runs.using %q, want composite", action.Runs.Using)
	}
	var calls []syncwaveCall
	subcommands := map[string]bool{}
	for i, s := range action.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("action.yml: step %d (%s): a composite run step needs shell", i, s.Name)
		}
		for _, c := range callsIn("action.yml step "+s.Name, s.Run) {
			calls = append(calls, c)
			subcommands[c.args[0]] = true
		}
		for _, v := range s.Env {
			if m := regexp.MustCompile(`inputs\.([a-z-]+)`).FindStringSubmatch(v); m != nil {
				if _, ok := action.Inputs[m[1]]; !ok {
					t.Errorf("action.yml: step %s reads input %s, which is not declared", s.Name, m[1])
				}
			}
		}
	}
	for _, want := range []string{"lint", "plan"} {
		if !subcommands[want] {
			t.Errorf("action.yml runs no syncwave %s", want)
		}
	}

	data, err = os.ReadFile(filepath.Join(top, ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string   `yaml:"id"`
		Name          string   `yaml:"name"`
		Description   string   `yaml:"description"`
		Entry         string   `yaml:"entry"`
		Language      string   `yaml:"language"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		Files         string   `yaml:"files"`
		Args          []string `yaml:"args"`
	}
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&hooks); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	if len(hooks) == 0 {
		t.Fatal(".pre-commit-hooks.yaml: no hooks")
	}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry == "" || h.Language != "golang" {
			t.Errorf(".pre-commit-hooks.yaml: hook %+v lacks id, name, entry or language golang", h)
		}
		if h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf(".pre-commit-hooks.yaml: %s must set pass_filenames: false (syncwave takes one application path)", h.ID)
		}
		if _, err := regexp.Compile(h.Files); err != nil {
			t.Errorf(".pre-commit-hooks.yaml: %s: files: %v", h.ID, err)
		}
		f := strings.Fields(h.Entry)
		if f[0] != "syncwave" {
			t.Errorf(".pre-commit-hooks.yaml: %s runs %s, not syncwave", h.ID, f[0])
			continue
		}
		calls = append(calls, syncwaveCall{where: ".pre-commit-hooks.yaml " + h.ID, args: append(f[1:], h.Args...)})
	}
	// the workflow example runs the same commands
	data, err = os.ReadFile(filepath.Join(top, "examples", "ci", "plan-diff.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf map[string]any
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("examples/ci/plan-diff.yaml: %v", err)
	}
	for _, script := range runScripts(wf) {
		calls = append(calls, callsIn("examples/ci/plan-diff.yaml", script)...)
	}
	if len(calls) < 6 {
		t.Fatalf("found only %d syncwave command lines", len(calls))
	}
	for _, c := range calls {
		checkCall(t.Errorf, root, c)
	}
}

// TestCheckCallFails: the check catches a flag or command that does not
// exist.
func TestCheckCallFails(t *testing.T) {
	t.Parallel()

	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{}, host{})
	for _, script := range []string{"syncwave lint --no-such-flag .", "syncwave plann .", `flags+=(--bogus)
syncwave plan "${flags[@]}" .`} {
		failed := false
		for _, c := range callsIn("test", script) {
			checkCall(func(string, ...any) { failed = true }, root, c)
		}
		if !failed {
			t.Errorf("%q passed the check", script)
		}
	}
}

// runScripts collects the values of every "run" key in a decoded workflow.
func runScripts(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "run" {
				out = append(out, s)
				continue
			}
			out = append(out, runScripts(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, runScripts(e)...)
		}
	}
	return out
}
