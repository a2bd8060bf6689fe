package pipeline

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/render"
)

// InitResult lists what Init downloaded, per chart.
type InitResult struct {
	Charts []InitChart
}

// InitChart is one chart Init looked at.
type InitChart struct {
	// Path is the chart directory relative to the repository root.
	Path       string
	Downloaded []render.Downloaded
}

// Init downloads the chart dependencies that the application's Helm sources
// declare but do not vendor (Argo CD's CMP init step). It uses the same
// inputs as Run to find the charts: the sources of the ordering file, or
// PATH itself when it holds a Chart.yaml. Nothing else is written.
func Init(ctx context.Context, opts Options, fo render.FetchOptions) (*InitResult, error) {
	app, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(app); err != nil {
		return nil, fmt.Errorf("application path %s: %w", opts.Path, unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("application path %s: not a directory", opts.Path)
	}
	rootDir := opts.RepoRoot
	if rootDir == "" {
		rootDir = gitWorkTree(app)
	}
	root, err := render.OpenRoot(rootDir)
	if err != nil {
		return nil, err
	}
	appRel, err := root.Rel(app)
	if err != nil {
		return nil, fmt.Errorf("application path %s is outside the repository root %s", opts.Path, rootDir)
	}
	so, _, err := loadOrder(root, appRel, opts)
	if err != nil {
		return nil, err
	}
	var sources []order.Source
	if so != nil && len(so.Sources) > 0 {
		sources = so.Sources
	} else {
		src, err := detect(root, appRel)
		if err != nil {
			return nil, err
		}
		sources = []order.Source{src}
	}
	res := &InitResult{}
	for _, src := range sources {
		if src.Helm == nil {
			continue
		}
		dir := path.Join(appRel, src.Helm.Path)
		if escapes(dir) {
			return res, fmt.Errorf("helm chart %s: %w", src.Helm.Path, render.ErrEscape)
		}
		dl, err := render.FetchDependencies(ctx, root, dir, fo)
		if err != nil {
			return res, fmt.Errorf("helm chart %s: %w", displayPath(dir), err)
		}
		res.Charts = append(res.Charts, InitChart{Path: displayPath(dir), Downloaded: dl})
	}
	return res, nil
}
