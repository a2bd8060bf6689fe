// Package cli turns command lines into pipeline options and prints results.
// It is the only place that knows about flags, stdout and exit codes.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError marks a mistake in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs syncwave with args and returns the exit code. stdout receives
// output only when the whole command succeeded.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return mainWith(ctx, args, stdout, stderr, processHost())
}

// mainWith is Main with the process's environment and working directory
// passed in, so that tests never touch the real ones.
func mainWith(ctx context.Context, args []string, stdout, stderr io.Writer, h host) int {
	if len(args) > 0 && args[0] == "generate" {
		// the sidecar's command (plugin.yaml), before anything allocates
		defer deferGC(gcFloor)()
	}
	var out bytes.Buffer
	root := newRoot(&out, stderr, h)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(stderr)
	ran := markRuns(root)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\n", shorten(strings.TrimRight(err.Error(), "\n")))
		var ue usageError
		if errors.As(err, &ue) || !*ran {
			if cmd != nil {
				fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
			}
			return ExitUsage
		}
		var fe findingsError
		if errors.As(err, &fe) {
			// lint: the findings are the output even when they fail the command
			_, _ = stdout.Write(out.Bytes())
		}
		return ExitError
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "Error: write output: %v\n", err)
		return ExitError
	}
	return ExitOK
}

// maxMessage bounds an error message: Argo CD stores a plugin's error in
// the Application's status, and a template error can nest without end.
const maxMessage = 16 << 10

// shorten keeps the start and the end of a message longer than
// maxMessage.
func shorten(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	head, tail := msg[:maxMessage-2048], msg[len(msg)-2048:]
	return fmt.Sprintf("%s … (%d bytes omitted) … %s", strings.ToValidUTF8(head, ""), len(msg)-len(head)-len(tail), strings.ToValidUTF8(tail, ""))
}

// markRuns wraps the RunE of every command so that the returned flag
// says whether a command's own code ran. An error before that (unknown
// command or flag, wrong number of arguments: cobra's checks) is a usage
// error; an error from the command's code is one only when it says so
// (usageError). Nothing is classified by its text, so a chart's message
// that happens to read "requires ..." is an ordinary error.
func markRuns(root *cobra.Command) *bool {
	ran := new(bool)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error {
				*ran = true
				return run(c, args)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return ran
}

func newRoot(stdout, stderr io.Writer, h host) *cobra.Command {
	root := &cobra.Command{
		Use:   "syncwave",
		Short: "Order Argo CD syncs: compute sync waves and hooks from dependencies",
		Long: `syncwave renders an application (a directory of manifests, a Helm chart, a
Kustomize overlay, or several of them named in syncwave.yaml), assigns every
resource its Argo CD sync phase, wave, hook and sync options from the
declarative ordering file (syncwave.yaml) when there is one and from the
resources' own dependency annotations (depends-on, Helm's, kapp's), and
prints the annotated stream that Argo CD's sync engine applies in that order.

It runs locally (render, plan, lint, init) and as an Argo CD Config Management
Plugin (a repo-server sidecar: generate, parameters), with the same code
path. "syncwave completion SHELL" prints a shell completion script.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRender(stdout, stderr, h), newPlan(stdout, stderr, h), newSchema(stdout), newVersion(stdout), newGenerate(stdout, stderr, h), newParameters(stdout, stderr, h), newInit(stdout, stderr), newLint(stdout, stderr, h))
	// cobra's completion commands write where the root writes at this point.
	root.SetOut(stdout)
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		// cobra's parent command prints its help for any argument; an
		// unknown shell is a usage error.
		c.Args = cobra.NoArgs
		c.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	}
	return root
}
