package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/internal/sandbox/seal"
	"github.com/syncwave/syncwave/plugin"
)

// Defaults of the limits every rendering command runs under. Real charts
// are far below them: kube-prometheus-stack renders 5 MB with a peak of
// about 150 MiB. The memory budget's default comes from the container
// (plugin.DefaultMemoryBudget): DefaultMaxMemory outside one.
const (
	DefaultMaxMemory int64 = plugin.MaxDerivedBudget
	DefaultMaxOutput int64 = 128 << 20
)

// limits bound one rendering command: wall time, memory and output size.
// Zero means no limit.
type limits struct {
	timeout        time.Duration
	memory, output int64
	sandbox        seal.Mode // SYNCWAVE_SANDBOX

	// flag values, as given
	timeoutFlag, memoryFlag, outputFlag string

	// sys is the file system the container's memory limit is read from
	// (nil: the process's own, "/").
	sys fs.FS
}

// registerLimits adds the limit flags to a command that takes flags.
func (l *limits) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&l.timeoutFlag, "timeout", "", "deadline of the rendering: 45s, 2m or seconds (default "+plugin.EnvTimeout+", else "+plugin.DefaultTimeout.String()+")")
	fl.StringVar(&l.memoryFlag, "max-memory", "", "memory budget of the rendering: 512Mi, 2Gi, or off (default "+plugin.EnvMaxMemory+", else derived from the container's memory limit and "+plugin.EnvParallelism+", at most "+sandbox.FormatSize(DefaultMaxMemory)+")")
	fl.StringVar(&l.outputFlag, "max-output", "", "largest output: 64Mi, 1Gi, or off (default "+plugin.EnvMaxOutput+", else "+sandbox.FormatSize(DefaultMaxOutput)+")")
}

// resolve fills the limits from the flags, else the sidecar's SYNCWAVE_*
// variables, else the defaults. A tenant's Application (plugin.env or
// parameters) cannot change them.
func (l *limits) resolve(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				env[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	l.timeout, l.memory, l.output = plugin.DefaultTimeout, DefaultMaxMemory, DefaultMaxOutput
	var errs []error
	if l.memoryFlag == "" && env[plugin.EnvMaxMemory] == "" {
		parallelism := 1
		if s := env[plugin.EnvParallelism]; s != "" {
			n, err := plugin.ParseParallelism(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", plugin.EnvParallelism, s, err))
			}
			parallelism = max(n, 1)
		}
		sys := l.sys
		if sys == nil {
			sys = os.DirFS("/")
		}
		l.memory = plugin.DefaultMemoryBudget(containerMemoryMax(sys), parallelism)
	}
	for _, x := range []struct {
		flag, flagName, env string
		set                 func(string) error
	}{
		{l.timeoutFlag, "timeout", plugin.EnvTimeout, func(s string) (err error) { l.timeout, err = plugin.ParseTimeout(s); return }},
		{l.memoryFlag, "max-memory", plugin.EnvMaxMemory, func(s string) (err error) { l.memory, err = sandbox.ParseSize(s); return }},
		{l.outputFlag, "max-output", plugin.EnvMaxOutput, func(s string) (err error) { l.output, err = sandbox.ParseSize(s); return }},
	} {
		v, from := x.flag, "--"+x.flagName
		if v == "" {
			v, from = env[x.env], x.env
		}
		if v == "" {
			continue
		}
		if err := x.set(v); err != nil {
			if from == x.env {
				errs = append(errs, fmt.Errorf("%s=%q: %w", x.env, v, err))
			} else {
				errs = append(errs, usageError{fmt.Errorf("%s %q: %w", from, v, err)})
			}
		}
	}
	if v := env[plugin.EnvSandbox]; v != "" {
		m, err := seal.ParseMode(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", plugin.EnvSandbox, v, err))
		}
		l.sandbox = m
	}
	return errors.Join(errs...)
}

// removeScratch removes a temporary directory of the command, also after
// sealing (seal.Config.Scratch): os.RemoveAll opens the directory's parent,
// which a sealed process may not, so each entry is removed from the
// directory itself. The empty directory stays when the process is sealed.
func removeScratch(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	_ = os.Remove(dir)
}

// sealProcess seals the process by the kernel (h.seal: Landlock and
// seccomp, internal/sandbox/seal) with only cfg left readable: nothing
// written, executed or connected to from here on. A command calls it once
// its inputs are known and any download is done, before anything of the
// repository is evaluated. A missing layer is a warning, or an error under
// SYNCWAVE_SANDBOX=require; SYNCWAVE_SANDBOX=off skips sealing.
func sealProcess(h host, l limits, stderr io.Writer, cfg seal.Config) (seal.Report, error) {
	if h.environ != nil {
		defer proveSeal(h.environ(), stderr)
	}
	if l.sandbox == seal.Off {
		return seal.Report{Off: true}, nil
	}
	var r seal.Report
	if h.seal != nil {
		r = h.seal(cfg)
	} else {
		notHere := errors.New("no sealer in this process")
		r = seal.Report{LandlockErr: notHere, SeccompErr: notHere}
	}
	if m := r.Missing(); m != nil {
		if l.sandbox == seal.Require {
			return r, fmt.Errorf("%s=require: the kernel sandbox is missing %v; run where the kernel and the container runtime let the process use Landlock and seccomp (see the README's Security section), or unset %s to run with the layers there are", plugin.EnvSandbox, m, plugin.EnvSandbox)
		}
		printWarnings(stderr, []string{fmt.Sprintf("sandbox: missing %v; running with the other layers and syncwave's own refusals (%s=require refuses to run)", m, plugin.EnvSandbox)})
	}
	return r, nil
}

// contained runs a rendering under the limits, with the network refused
// for the whole process (whatever a library does), and fails with a clear
// message when a limit is hit. what names the input ("render apps/shop").
// The rendering runs in its own goroutine so that a limit holds even where
// a library watches neither the context nor its memory: on a limit the
// command fails at once and the process exits, ending the goroutine.
func contained(ctx context.Context, l limits, what string, run func(context.Context) error) error {
	return bounded(ctx, l, what, phaseRender, run)
}

// downloading runs the dependency download of a command: the same memory
// watch and deadline as a rendering, the process's default clients refused
// (the download's own client, egress.Client, is the only way out). It
// returns before anything is rendered: the rendering, sealed, follows.
func downloading(ctx context.Context, l limits, what string, run func(context.Context) error) error {
	return bounded(ctx, l, what, phaseDownload, run)
}

type phase int

const (
	phaseRender phase = iota
	phaseDownload
)

// downloadGrace is how long a download that passed the deadline is given
// to return its own error (its requests are bound to the deadline, so it
// returns at once), which names the host that did not answer.
const downloadGrace = 2 * time.Second

func bounded(ctx context.Context, l limits, what string, ph phase, run func(context.Context) error) error {
	restore := sandbox.DenyNetwork()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopWatch := sandbox.Watch(cancel, l.memory)
	if l.timeout > 0 {
		// Under a command's one deadline (generate: download then
		// render), the earlier deadline holds.
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, l.timeout)
		defer c()
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%s: internal error: %v\n%s", what, r, debug.Stack())
			}
		}()
		done <- run(ctx)
	}()
	var err error
	select {
	case err = <-done:
		stopWatch()
		restore()
	case <-ctx.Done():
		// The goroutine is abandoned: the network stays refused and the
		// budget watch ends. A download is given a moment to say which
		// host it was waiting for.
		stopWatch()
		if ph == phaseDownload && errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			select {
			case err = <-done:
			case <-time.After(downloadGrace):
			}
		}
	}
	cause := context.Cause(ctx)
	var me *sandbox.MemoryError
	var le *sandbox.LimitError
	doing := "rendering"
	if ph == phaseDownload {
		doing = "downloading the chart dependencies"
	}
	switch {
	case errors.As(cause, &me):
		if ph == phaseDownload {
			return fmt.Errorf("%s: %s: %w: stopped (an index, tag list or archive too large for the budget?); the budget is set with --max-memory or %s", what, doing, me, plugin.EnvMaxMemory)
		}
		return fmt.Errorf("%s: %w: stopped (a runaway template, tpl recursion, an output flood or a YAML alias bomb?); the budget is set with --max-memory or %s", what, me, plugin.EnvMaxMemory)
	case errors.Is(cause, context.DeadlineExceeded):
		if ph == phaseDownload {
			if err != nil {
				return fmt.Errorf("%s: %s took longer than %s (--timeout, %s, covers the download and the rendering): %w", what, doing, l.timeout, plugin.EnvTimeout, err)
			}
			return fmt.Errorf("%s: %s took longer than %s (--timeout, %s, covers the download and the rendering)", what, doing, l.timeout, plugin.EnvTimeout)
		}
		return fmt.Errorf("%s: rendering took longer than %s (--timeout, %s); Argo CD's repo-server gives up at 60s by default", what, l.timeout, plugin.EnvTimeout)
	case cause != nil && err == nil:
		return fmt.Errorf("%s: interrupted: %w", what, cause)
	case errors.As(err, &le):
		return fmt.Errorf("%s: %w (--max-output, %s)", what, le, plugin.EnvMaxOutput)
	case err != nil && ph == phaseDownload:
		return fmt.Errorf("%s: %s: %w", what, doing, err)
	}
	return err
}
