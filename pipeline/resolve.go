package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/render"
)

// App is an application resolved from Options: the repository root, the
// application path, the ordering file and the sources, found once for Run,
// Init and the plugin's parameter announcement alike.
type App struct {
	Root *render.Root
	// Rel is the application directory relative to the root ("." for the
	// root itself).
	Rel string
	// Order is the ordering file (nil when none applies); OrderRel its
	// root-relative path ("" for an inline order or none).
	Order    *order.SyncOrder
	OrderRel string
	// Sources are the ordering file's sources, else the one detected in
	// the application directory.
	Sources []Source
}

// Source is one source of the application.
type Source struct {
	order.Source
	// Index is the entry's place in the ordering file's sources; -1 for a
	// detected source.
	Index int
	// Dir is the source's directory relative to the repository root.
	Dir string
}

// Listed reports whether the source is an entry of the ordering file (its
// errors are then prefixed by sources[i]).
func (s Source) Listed() bool { return s.Index >= 0 }

// Resolve finds the repository root, the application directory, the
// ordering file and the sources. Every path stays inside the root.
func Resolve(opts Options) (*App, error) {
	abs, err := opts.Abs(opts.Path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("application path %s: %w", opts.Path, unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("application path %s: not a directory", opts.Path)
	}
	rootDir := rootDir(opts, abs)
	root, err := render.OpenRoot(rootDir)
	if err != nil {
		return nil, err
	}
	a := &App{Root: root}
	// the application directory is the caller's own (stat'ed above): its
	// symlinks are resolved first, so a root named through another symlink
	// still holds it; every other path is judged on its text (Root.Rel)
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if a.Rel, err = root.Rel(abs); err != nil {
		if errors.Is(err, render.ErrGitDir) {
			return nil, fmt.Errorf("application path %s is %s", opts.Path, render.Where(err))
		}
		shown := rootDir // named as given, whatever opts.Dir
		if opts.RepoRoot != "" {
			shown = opts.RepoRoot
		}
		return nil, fmt.Errorf("application path %s is outside the repository root %s", opts.Path, shown)
	}
	if a.Order, a.OrderRel, err = loadOrder(root, a.Rel, opts); err != nil {
		return nil, err
	}
	if a.Order != nil && len(a.Order.Sources) > 0 {
		for i, s := range a.Order.Sources {
			a.Sources = append(a.Sources, Source{Source: s, Index: i, Dir: path.Join(a.Rel, s.Path())})
		}
		return a, nil
	}
	s, err := detect(root, a.Rel)
	if err != nil {
		return nil, err
	}
	a.Sources = []Source{{Source: s, Index: -1, Dir: path.Join(a.Rel, s.Path())}}
	return a, nil
}

// RootDir is the directory Resolve takes as the repository root:
// opts.RepoRoot, else the git work tree holding opts.Path, else opts.Path.
// It reads nothing but the file names on the way up (the CLI makes it the
// one tree a sealed process may read).
func RootDir(opts Options) (string, error) {
	abs, err := opts.Abs(opts.Path)
	if err != nil {
		return "", err
	}
	return rootDir(opts, abs), nil
}

// rootDir is RootDir with the application path already absolute. A
// relative RepoRoot is taken from opts.Dir when it is set, else returned
// as given (the process's working directory resolves it).
func rootDir(opts Options, absPath string) string {
	switch {
	case opts.RepoRoot == "":
		return gitWorkTree(absPath)
	case opts.Dir == "" || filepath.IsAbs(opts.RepoRoot):
		return opts.RepoRoot
	}
	return filepath.Join(opts.Dir, opts.RepoRoot)
}

// Abs returns p as an absolute path: a relative p is taken from o.Dir, or
// from the process's working directory when o.Dir is "" (filepath.Abs).
func (o Options) Abs(p string) (string, error) {
	if o.Dir == "" || filepath.IsAbs(p) {
		return filepath.Abs(p)
	}
	return filepath.Abs(filepath.Join(o.Dir, p))
}

// Charts returns the Helm sources.
func (a *App) Charts() []Source {
	var out []Source
	for _, s := range a.Sources {
		if s.Helm != nil {
			out = append(out, s)
		}
	}
	return out
}

// ValueFiles returns the root-relative paths of a Helm source's value
// files, the entry's own then extra, resolved as the renderer (and Argo
// CD's repo-server) resolves them. A file that cannot be resolved is
// returned with the error, in order.
func (a *App) ValueFiles(s Source, extra []string) (paths []string, errs []error) {
	for _, f := range append(append([]string(nil), s.Helm.ValueFiles...), extra...) {
		p, err := render.ValueFilePath(a.Root, s.Dir, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("values file %s: %w", f, err))
			continue
		}
		paths = append(paths, p)
	}
	return paths, errs
}
