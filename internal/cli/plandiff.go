package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// planDiff computes the plan of opts in the working tree and at the git
// revision rev, and compares them. The revision's tree is read from git's
// objects into a private temporary directory (materialise), removed
// afterwards; this is the only place syncwave runs a program, and only for
// this local command: generate never does.
//
// seal is called with the temporary directory once the revision is
// extracted, before either tree is rendered.
func planDiff(ctx context.Context, opts pipeline.Options, rev string, lim treeLimits, seal func(tmp string) error, stderr io.Writer) (*plan.Diff, error) {
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return nil, err
	}
	baseOpts, cleanup, notes, err := atRevision(ctx, opts, rev, lim)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	for _, n := range notes {
		fmt.Fprintf(stderr, "Warning: at %s: %s\n", rev, n)
	}
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

// atRevision materialises the tree of rev of the git repository holding
// opts.Path into a private temporary directory (see materialise) and
// returns opts with every path in the repository moved there, the function
// that removes it, and notes on what the tree held but was left out.
func atRevision(ctx context.Context, opts pipeline.Options, rev string, lim treeLimits) (pipeline.Options, func(), []string, error) {
	none := func() {}
	app, err := opts.Abs(opts.Path)
	if err == nil {
		app, err = filepath.EvalSymlinks(app)
	}
	if err != nil {
		return opts, none, nil, fmt.Errorf("application path %s: %w", opts.Path, err)
	}
	var top bytes.Buffer
	if err := gitObjects(ctx, app, nil, &top, "rev-parse", "--show-toplevel"); err != nil {
		return opts, none, nil, fmt.Errorf("--diff %s: %s is not in a git work tree: %w", rev, opts.Path, err)
	}
	topDir, err := filepath.EvalSymlinks(strings.TrimSpace(top.String()))
	if err != nil {
		return opts, none, nil, err
	}
	if strings.HasPrefix(rev, "-") {
		return opts, none, nil, usageError{fmt.Errorf("--diff %q: not a revision", rev)}
	}
	var commit bytes.Buffer
	if err := gitObjects(ctx, topDir, nil, &commit, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err != nil {
		return opts, none, nil, fmt.Errorf("--diff %s: no such commit in %s", rev, topDir)
	}
	tmp, err := os.MkdirTemp("", "syncwave-diff-")
	if err != nil {
		return opts, none, nil, err
	}
	cleanup := func() { removeScratch(tmp) }
	notes, err := materialise(ctx, topDir, strings.TrimSpace(commit.String()), tmp, lim)
	if err != nil {
		cleanup()
		return opts, none, nil, fmt.Errorf("--diff %s: read the tree: %w", rev, err)
	}

	// move a path of the work tree into the extracted tree
	move := func(p string) (string, error) {
		abs, err := opts.Abs(p)
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
		return opts, none, nil, err
	}
	if _, err := os.Stat(out.Path); err != nil {
		cleanup()
		return opts, none, nil, fmt.Errorf("--diff %s: the application path %s does not exist at that revision", rev, opts.Path)
	}
	out.RepoRoot = tmp
	if opts.RepoRoot != "" {
		if out.RepoRoot, err = move(opts.RepoRoot); err != nil {
			cleanup()
			return opts, none, nil, fmt.Errorf("--repo-root: %w", err)
		}
	}
	if opts.OrderFile != "" {
		if out.OrderFile, err = move(opts.OrderFile); err != nil {
			cleanup()
			return opts, none, nil, fmt.Errorf("--order: %w", err)
		}
	}
	return out, cleanup, notes, nil
}

func runPlanDiff(ctx context.Context, opts pipeline.Options, rev, format string, reasons bool, lim treeLimits, seal func(tmp string) error, stdout, stderr io.Writer) error {
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
	d, err := planDiff(ctx, opts, rev, lim, seal, stderr)
	if err != nil {
		return err
	}
	if !reasons {
		d.SyncOnly()
	}
	return write(d, stdout)
}
