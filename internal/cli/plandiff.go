package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// planDiff computes the plan of opts in the working tree and at the git
// revision rev, and compares them. The revision's tree is read with the git
// binary (git archive into a temporary directory, removed afterwards); this
// is the only place syncwave runs a program, and only for this local
// command: generate never does.
//
// seal is called with the temporary directory once the revision is
// extracted, before either tree is rendered.
func planDiff(ctx context.Context, opts pipeline.Options, rev string, seal func(tmp string) error, stderr io.Writer) (*plan.Diff, error) {
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return nil, err
	}
	baseOpts, cleanup, err := atRevision(ctx, opts, rev)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := seal(baseOpts.RepoRoot); err != nil {
		return nil, err
	}
	head, err := pipeline.Run(ctx, opts)
	printWarnings(stderr, head.Warnings)
	if err != nil {
		return nil, err
	}
	headPlan, err := planOf(head, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
	if err != nil {
		return nil, err
	}

	base, err := pipeline.Run(ctx, baseOpts)
	for _, w := range base.Warnings {
		fmt.Fprintf(stderr, "Warning: at %s: %s\n", rev, w)
	}
	if err != nil {
		return nil, fmt.Errorf("at %s: %w", rev, err)
	}
	basePlan, err := planOf(base, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
	if err != nil {
		return nil, fmt.Errorf("at %s: %w", rev, err)
	}
	return plan.CompareWith(basePlan, headPlan, rev, "the working tree"), nil
}

// git runs git with args in dir and returns its stdout; the error carries
// git's own message.
func git(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &errb
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("--diff needs the git program: %w", err)
		}
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("git %s: %s", args[0], msg)
	}
	return nil
}

// atRevision extracts the tree of rev of the git repository holding
// opts.Path into a temporary directory and returns opts with every path in
// the repository moved there, and the function that removes it.
func atRevision(ctx context.Context, opts pipeline.Options, rev string) (pipeline.Options, func(), error) {
	none := func() {}
	app, err := filepath.Abs(opts.Path)
	if err == nil {
		app, err = filepath.EvalSymlinks(app)
	}
	if err != nil {
		return opts, none, fmt.Errorf("application path %s: %w", opts.Path, err)
	}
	var top bytes.Buffer
	if err := git(ctx, app, &top, "rev-parse", "--show-toplevel"); err != nil {
		return opts, none, fmt.Errorf("--diff %s: %s is not in a git work tree: %w", rev, opts.Path, err)
	}
	topDir, err := filepath.EvalSymlinks(strings.TrimSpace(top.String()))
	if err != nil {
		return opts, none, err
	}
	if strings.HasPrefix(rev, "-") {
		return opts, none, usageError{fmt.Errorf("--diff %q: not a revision", rev)}
	}
	var commit bytes.Buffer
	if err := git(ctx, topDir, &commit, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err != nil {
		return opts, none, fmt.Errorf("--diff %s: no such commit in %s", rev, topDir)
	}
	tmp, err := os.MkdirTemp("", "syncwave-diff-")
	if err != nil {
		return opts, none, err
	}
	cleanup := func() { removeScratch(tmp) }
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := extractTar(pr, tmp)
		if err != nil {
			pr.CloseWithError(err) // git's next write fails
		} else {
			_, _ = io.Copy(io.Discard, pr) // the archive's padding after its end marker
		}
		done <- err
	}()
	gerr := git(ctx, topDir, pw, "archive", "--format=tar", strings.TrimSpace(commit.String()))
	pw.CloseWithError(gerr)
	xerr := <-done
	if err := errors.Join(gerr, xerr); err != nil {
		cleanup()
		return opts, none, fmt.Errorf("--diff %s: read the tree: %w", rev, err)
	}

	// move a path of the work tree into the extracted tree
	move := func(p string) (string, error) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		rel, err := filepath.Rel(topDir, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf("%s is outside the git work tree %s", p, topDir)
		}
		return filepath.Join(tmp, rel), nil
	}
	out := opts
	if out.Path, err = move(app); err != nil {
		cleanup()
		return opts, none, err
	}
	if _, err := os.Stat(out.Path); err != nil {
		cleanup()
		return opts, none, fmt.Errorf("--diff %s: the application path %s does not exist at that revision", rev, opts.Path)
	}
	out.RepoRoot = tmp
	if opts.RepoRoot != "" {
		if out.RepoRoot, err = move(opts.RepoRoot); err != nil {
			cleanup()
			return opts, none, fmt.Errorf("--repo-root: %w", err)
		}
	}
	if opts.OrderFile != "" {
		if out.OrderFile, err = move(opts.OrderFile); err != nil {
			cleanup()
			return opts, none, fmt.Errorf("--order: %w", err)
		}
	}
	return out, cleanup, nil
}

// extractTar writes the regular files, directories and symbolic links of a
// git archive under dir. Names that would leave dir are refused.
func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			if h.Typeflag == tar.TypeXGlobalHeader || h.Typeflag == tar.TypeXHeader {
				continue
			}
			return fmt.Errorf("archive entry %q leaves the tree", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644|os.FileMode(h.Mode)&0o111)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			// kept as links: the pipeline's repository-root boundary judges
			// them as it does in the work tree
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		}
	}
}

func runPlanDiff(ctx context.Context, opts pipeline.Options, rev, format string, seal func(tmp string) error, stdout, stderr io.Writer) error {
	var write func(*plan.Diff, io.Writer) error
	switch format {
	case "table":
		write = (*plan.Diff).WriteTable
	case "json":
		write = (*plan.Diff).WriteJSON
	case "mermaid":
		write = (*plan.Diff).WriteMermaid
	default:
		return usageError{fmt.Errorf("--output %q with --diff: expected table, json or mermaid", format)}
	}
	d, err := planDiff(ctx, opts, rev, seal, stderr)
	if err != nil {
		return err
	}
	return write(d, stdout)
}
