package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/render"
)

// DefaultOrderFile is the ordering file read from the application path when
// no other is named.
const DefaultOrderFile = "syncwave.yaml"

// ErrEmpty is returned when nothing was rendered and empty output was not
// allowed: an empty manifest set with auto-prune deletes the application.
var ErrEmpty = errors.New("no resources rendered")

// Options are the inputs of one rendering, the same whether they come from
// flags or from Argo CD's environment.
type Options struct {
	// Path is the application directory.
	Path string
	// RepoRoot bounds every path; "" means the git work tree holding Path,
	// else Path itself.
	RepoRoot string
	// OrderFile names the ordering file ("" means Path/syncwave.yaml when it
	// exists). Order, when set, is an inline ordering document and wins.
	OrderFile string
	Order     []byte
	// Dir is the working directory a relative Path, RepoRoot or OrderFile
	// is taken from; "" means the process's. Messages name those paths as
	// given.
	Dir string
	// AllowEmpty, when set, says whether a rendering with no resources is
	// accepted; nil leaves it to the ordering file's allowEmpty (default
	// false). A flag or plugin parameter set to false wins over the file.
	AllowEmpty *bool
	// Dependencies, when set, says which dependency annotations become
	// edges, over the ordering file's dependencies block.
	Dependencies *order.Dependencies

	// Helm inputs. They apply to every helm source. Like Argo CD's
	// Application parameters they extend or override the source's entry:
	// ValueFiles are read after the entry's valueFiles (relative to the
	// chart; absolute paths from the repository root), Values (a YAML
	// document) after its inline values, Set and SetString after its
	// parameters; ReleaseName replaces its releaseName. Like Argo CD's
	// environment (ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, KUBE_VERSION,
	// KUBE_API_VERSIONS), AppName, Namespace, KubeVersion and APIVersions
	// are defaults that the entry's own fields win over; AppName may be
	// "<namespace>_<name>", and the release name defaults to it without the
	// prefix, else to the chart name. HelmVersion ("3", "4", "v3", "v4")
	// wins over a helm entry's version; "" leaves it to the entry, else
	// Helm 4.
	render.HelmInputs
	// ArgoCDVersion is the Argo CD line whose sync-option vocabulary the
	// ordering file is checked against ("2.14", "3.5"; "" the current 3.x).
	ArgoCDVersion string
}

// Output is a successful rendering.
type Output struct {
	Resources  []*manifest.Resource
	Placements []annotate.Placement // one per resource
	Warnings   []string
	Order      *order.SyncOrder // nil when no ordering file applies
	// After reports whether the ordering graph puts Resources[i] after
	// Resources[j] (annotate.Result.After); nil before annotating.
	After func(i, j int) bool
}

// Write prints the annotated stream.
func (o *Output) Write(w io.Writer) error { return manifest.Write(w, o.Resources) }

// Run renders the application, applies the ordering and returns the result.
// It reads nothing outside the repository root and writes nothing. The
// Output is never nil: on error it still carries the warnings seen so far.
func Run(ctx context.Context, opts Options) (*Output, error) {
	out := &Output{}
	err := run(ctx, opts, out)
	return out, err
}

func run(ctx context.Context, opts Options, out *Output) error {
	a, err := Resolve(opts)
	if err != nil {
		return err
	}
	root, appRel, so, orderRel := a.Root, a.Rel, a.Order, a.OrderRel
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return err
	}
	if so != nil {
		if err := so.CheckArgoCD(argo); err != nil {
			return err
		}
	}
	out.Order = so
	warn := func(s string) { out.Warnings = append(out.Warnings, s) }
	if _, note := argo.Modelled(); note != "" {
		warn(note)
	}
	var skip []string
	if orderRel != "" {
		skip = append(skip, orderRel)
	}
	var res []*manifest.Resource
	for _, src := range a.Sources {
		rs, err := renderSource(ctx, root, appRel, src.Source, skip, &opts, warn)
		if err != nil {
			if src.Listed() {
				return fmt.Errorf("sources[%d]: %w", src.Index, err)
			}
			return err
		}
		for _, r := range rs {
			if r.Kind == order.Kind && strings.HasPrefix(r.APIVersion, "syncwave.io/") {
				warn(fmt.Sprintf("%s: ordering file of another application skipped; only %s is used", r.Where(), orderName(orderRel)))
				continue
			}
			res = append(res, r)
		}
	}
	allowEmpty := so != nil && so.AllowEmpty
	if opts.AllowEmpty != nil {
		allowEmpty = *opts.AllowEmpty
	}
	if len(res) == 0 && !allowEmpty {
		return fmt.Errorf("%w from %s: an empty manifest set makes Argo CD prune the whole application; if that is intended, allow it with allowEmpty: true in the ordering file, --allow-empty on the command line, or the allow-empty plugin parameter", ErrEmpty, displayPath(appRel))
	}
	var charts []annotate.ChartOrder
	for _, c := range a.Charts() {
		charts = append(charts, chartOrders(root, c.Dir, "", 0, warn)...)
	}
	ann, err := annotate.ApplyWith(so, res, annotate.Options{Namespace: opts.Namespace, Dependencies: opts.Dependencies, Charts: charts})
	if err != nil {
		return err
	}
	out.Resources = ann.Resources
	out.Placements = ann.Placements
	out.After = ann.After
	out.Warnings = append(out.Warnings, ann.Warnings...)
	return nil
}

func loadOrder(root *render.Root, appRel string, opts Options) (*order.SyncOrder, string, error) {
	if opts.Order != nil {
		so, err := order.Decode("inline order", opts.Order, annotate.SyntaxNames())
		return so, "", err
	}
	var rel string
	if opts.OrderFile != "" {
		abs, err := opts.Abs(opts.OrderFile)
		if err != nil {
			return nil, "", err
		}
		if rel, err = root.Rel(abs); err != nil {
			if errors.Is(err, render.ErrEscape) {
				return nil, "", fmt.Errorf("ordering file %s is %s", opts.OrderFile, render.Where(err))
			}
			return nil, "", fmt.Errorf("ordering file %s: %w", opts.OrderFile, err)
		}
	} else {
		rel = path.Join(appRel, DefaultOrderFile)
		if _, err := root.Stat(rel); errors.Is(err, fs.ErrNotExist) {
			return nil, "", nil
		}
	}
	data, err := root.ReadFile(rel)
	if err != nil {
		return nil, "", fmt.Errorf("ordering file %s: %w", displayPath(rel), err)
	}
	so, err := order.Decode(displayPath(rel), data, annotate.SyntaxNames())
	if err != nil {
		return nil, "", err
	}
	return so, rel, nil
}

// detect chooses the source kind of the application directory the way the
// product defines it: Chart.yaml → Helm, a kustomization → Kustomize, else a
// directory of manifests (order.DetectSource).
func detect(root *render.Root, appRel string) (order.Source, error) {
	return order.DetectSource(func(f string) bool {
		_, err := root.Stat(path.Join(appRel, f))
		return err == nil
	}), nil
}

// renderSource renders one source with the renderer its kind registered
// (render.RegisterSource): the pipeline knows no kind by name.
func renderSource(ctx context.Context, root *render.Root, appRel string, src order.Source, skip []string, opts *Options, warn func(string)) ([]*manifest.Resource, error) {
	return render.RenderSource(ctx, root, render.SourceRequest{
		AppRel: appRel, Source: src, Skip: skip, Warn: warn,
		Helm: opts.HelmInputs,
	})
}

func escapes(dir string) bool { return dir == ".." || strings.HasPrefix(dir, "../") }

// gitWorkTree returns the nearest directory at or above dir that holds .git,
// else dir itself. It runs no git command.
func gitWorkTree(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func orderName(rel string) string {
	if rel == "" {
		return "the ordering given"
	}
	return rel
}

func displayPath(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
