package pipeline

import (
	"context"
	"fmt"

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
	a, err := Resolve(opts)
	if err != nil {
		return nil, err
	}
	res := &InitResult{}
	for _, src := range a.Charts() {
		dir := src.Dir
		if escapes(dir) {
			return res, fmt.Errorf("helm chart %s: %w", src.Helm.Path, render.ErrEscape)
		}
		dl, err := render.FetchDependencies(ctx, a.Root, dir, fo)
		if err != nil {
			return res, fmt.Errorf("helm chart %s: %w", displayPath(dir), err)
		}
		res.Charts = append(res.Charts, InitChart{Path: displayPath(dir), Downloaded: dl})
	}
	return res, nil
}
