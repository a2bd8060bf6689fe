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

	"github.com/syncwave/syncwave/annotate"
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
	// AllowEmpty accepts a rendering with no resources.
	AllowEmpty bool
}

// Output is a successful rendering.
type Output struct {
	Resources  []*manifest.Resource
	Placements []annotate.Placement // one per resource
	Warnings   []string
	Order      *order.SyncOrder // nil when no ordering file applies
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
	app, err := filepath.Abs(opts.Path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(app); err != nil {
		return fmt.Errorf("application path %s: %w", opts.Path, unwrap(err))
	} else if !fi.IsDir() {
		return fmt.Errorf("application path %s: not a directory", opts.Path)
	}
	rootDir := opts.RepoRoot
	if rootDir == "" {
		rootDir = gitWorkTree(app)
	}
	root, err := render.OpenRoot(rootDir)
	if err != nil {
		return err
	}
	appRel, err := root.Rel(app)
	if err != nil {
		return fmt.Errorf("application path %s is outside the repository root %s", opts.Path, rootDir)
	}
	warn := func(s string) { out.Warnings = append(out.Warnings, s) }

	so, orderRel, err := loadOrder(root, appRel, opts)
	if err != nil {
		return err
	}
	out.Order = so

	var sources []order.Source
	if so != nil && len(so.Sources) > 0 {
		sources = so.Sources
	} else {
		src, err := detect(root, appRel)
		if err != nil {
			return err
		}
		sources = []order.Source{src}
	}
	var skip []string
	if orderRel != "" {
		skip = append(skip, orderRel)
	}
	var res []*manifest.Resource
	for i, src := range sources {
		rs, err := renderSource(ctx, root, appRel, src, skip, warn)
		if err != nil {
			if so != nil && len(so.Sources) > 0 {
				return fmt.Errorf("sources[%d]: %w", i, err)
			}
			return err
		}
		res = append(res, rs...)
	}
	if len(res) == 0 && !opts.AllowEmpty && (so == nil || !so.AllowEmpty) {
		return fmt.Errorf("%w from %s: an empty manifest set makes Argo CD prune the whole application; pass --allow-empty (or allowEmpty: true in the ordering file) if that is intended", ErrEmpty, displayPath(appRel))
	}
	ann, err := annotate.Apply(so, res)
	if err != nil {
		return err
	}
	out.Resources = ann.Resources
	out.Placements = ann.Placements
	out.Warnings = append(out.Warnings, ann.Warnings...)
	return nil
}

func loadOrder(root *render.Root, appRel string, opts Options) (*order.SyncOrder, string, error) {
	if opts.Order != nil {
		so, err := order.Decode("inline order", opts.Order)
		return so, "", err
	}
	var rel string
	if opts.OrderFile != "" {
		abs, err := filepath.Abs(opts.OrderFile)
		if err != nil {
			return nil, "", err
		}
		if rel, err = root.Rel(abs); err != nil {
			if errors.Is(err, render.ErrEscape) {
				return nil, "", fmt.Errorf("ordering file %s is outside the repository root", opts.OrderFile)
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
	so, err := order.Decode(displayPath(rel), data)
	if err != nil {
		return nil, "", err
	}
	return so, rel, nil
}

// detect chooses the source kind of the application directory the way the
// product defines it: Chart.yaml → Helm, a kustomization → Kustomize, else a
// directory of manifests.
func detect(root *render.Root, appRel string) (order.Source, error) {
	for _, f := range []string{"Chart.yaml"} {
		if _, err := root.Stat(path.Join(appRel, f)); err == nil {
			return order.Source{Helm: &order.HelmSource{Path: "."}}, nil
		}
	}
	for _, f := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := root.Stat(path.Join(appRel, f)); err == nil {
			return order.Source{Kustomize: &order.KustomizeSource{Path: "."}}, nil
		}
	}
	return order.Source{Directory: &order.DirectorySource{Path: "."}}, nil
}

func renderSource(ctx context.Context, root *render.Root, appRel string, src order.Source, skip []string, warn func(string)) ([]*manifest.Resource, error) {
	switch {
	case src.Directory != nil:
		d := src.Directory
		dir := path.Join(appRel, d.Path)
		if dir == ".." || len(dir) > 2 && dir[:3] == "../" {
			return nil, fmt.Errorf("directory %s: %w", d.Path, render.ErrEscape)
		}
		rs, err := render.Directory(ctx, root, render.DirectoryOptions{
			Path: dir, Recurse: d.Recurse, Include: d.Include, Exclude: d.Exclude, Skip: skip,
		}, warn)
		if err != nil {
			return nil, err
		}
		prefix := relPrefix(appRel, dir)
		for _, r := range rs {
			r.Source = path.Join(prefix, r.Source)
		}
		return rs, nil
	case src.Helm != nil:
		return nil, fmt.Errorf("helm chart %s: Helm sources are not supported by this build of syncwave yet", displayPath(path.Join(appRel, src.Helm.Path)))
	case src.Kustomize != nil:
		return nil, fmt.Errorf("kustomization %s: Kustomize sources are not supported by this build of syncwave yet", displayPath(path.Join(appRel, src.Kustomize.Path)))
	}
	return nil, errors.New("empty source entry")
}

// relPrefix is dir relative to the application directory ("" for itself).
func relPrefix(appRel, dir string) string {
	if appRel == dir {
		return ""
	}
	if appRel == "." {
		return dir
	}
	if r, err := filepath.Rel(appRel, dir); err == nil {
		return filepath.ToSlash(r)
	}
	return dir
}

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
