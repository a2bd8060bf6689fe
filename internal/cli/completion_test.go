package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCompletion: each shell's script is printed on stdout, names the
// program, and parses in its shell (bash always; zsh, fish and pwsh when
// installed, else the check is only structural).
func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		shell, marker string
		check         []string // syntax-only check command, the script file appended
	}{
		{"bash", "complete -o default -F __start_syncwave syncwave", []string{"bash", "-n"}},
		{"zsh", "#compdef syncwave", []string{"zsh", "-n"}},
		{"fish", "complete -c syncwave", []string{"fish", "--no-execute"}},
		{"powershell", "Register-ArgumentCompleter", nil},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			out, errOut, code := run(t, "", "completion", tc.shell)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.Contains(out, tc.marker) {
				t.Errorf("script lacks %q", tc.marker)
			}
			if tc.check == nil {
				return
			}
			if _, err := exec.LookPath(tc.check[0]); err != nil {
				if tc.shell == "bash" {
					t.Fatal("bash not found: the bash script must be checked")
				}
				t.Logf("%s not installed: syntax not checked", tc.check[0])
				return
			}
			file := filepath.Join(t.TempDir(), "syncwave."+tc.shell)
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tc.check[0], append(tc.check[1:], file)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", strings.Join(tc.check, " "), err, b)
			}
		})
	}
	if _, _, code := run(t, "", "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
}

// TestMain lets the test binary stand in for the syncwave binary: with
// SYNCWAVE_TEST_AS_MAIN=1 it runs Main on its arguments and exits.
func TestMain(m *testing.M) {
	if os.Getenv("SYNCWAVE_TEST_AS_MAIN") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestCompletionBashRuns sources the bash script and asks it to complete a
// command line as bash does on TAB: the script calls the program's hidden
// __complete command, here this test binary standing in for syncwave.
func TestCompletionBashRuns(t *testing.T) {
	script, _, code := run(t, "", "completion", "bash")
	if code != 0 {
		t.Fatal("completion bash failed")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "syncwave.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ line, want string }{
		{"syncwave pl", "plan"},
		{"syncwave completion z", "zsh"},
		{"syncwave plan --out", "--output"},
	} {
		words := strings.Fields(tc.line)
		sh := `syncwave() { SYNCWAVE_TEST_AS_MAIN=1 "$SELF" "$@"; }
if [ -r /usr/share/bash-completion/bash_completion ]; then
  source /usr/share/bash-completion/bash_completion
else # the bash-completion package's helper, for words without special breaks
  _get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source "$SCRIPT"
COMP_WORDS=(` + tc.line + `); COMP_CWORD=` + strconv.Itoa(len(words)-1) + `
COMP_LINE="` + tc.line + `"; COMP_POINT=${#COMP_LINE}
__start_syncwave syncwave "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", sh)
		cmd.Env = append(os.Environ(), "SELF="+self, "SCRIPT="+file)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.line, err, b)
		}
		if !slices.Contains(strings.Fields(string(b)), tc.want) {
			t.Errorf("%q completes to %q, want %q among them", tc.line, b, tc.want)
		}
	}
}

// TestHelpEverywhere: every command, hidden ones aside, has a short and a
// long description and answers --help on stdout with exit 0.
func TestHelpEverywhere(t *testing.T) {
	var out bytes.Buffer
	root := newRoot(&out, &out, host{})
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			path := strings.Fields(sub.CommandPath())[1:]
			t.Run(strings.Join(path, " "), func(t *testing.T) {
				if sub.Short == "" || sub.Long == "" {
					t.Errorf("%s: Short %q, Long %q", sub.CommandPath(), sub.Short, sub.Long)
				}
				stdout, stderr, code := run(t, "", append(path, "--help")...)
				if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage:") {
					t.Errorf("--help: exit %d, stderr %q, stdout %q", code, stderr, firstLine(stdout))
				}
			})
			walk(sub)
		}
	}
	walk(root)
	if len(root.Commands()) < 8 {
		t.Errorf("only %d commands", len(root.Commands()))
	}
}
