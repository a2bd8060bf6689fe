package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

	"github.com/syncwave/syncwave/internal/sandbox"
)

// maxLocalDependencyDepth bounds file:// dependency chains (and so cycles).
const maxLocalDependencyDepth = 10

// ErrMissingDependency is returned when Chart.yaml declares a dependency that
// is neither vendored under charts/ nor a local file:// chart; `syncwave
// init` downloads those.
var ErrMissingDependency = errors.New("dependency declared in Chart.yaml but missing in charts/")

// chartFiles reads the files of the chart in the root-relative directory
// dir as helm's loader.LoadDir does, through the root (see loadChartWith).
func chartFiles(root *Root, dir string) ([]*loader.BufferedFile, error) {
	real, err := root.Resolve(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.IsDir() {
		return nil, errors.New("not a directory")
	}
	rules := ignore.Empty()
	if data, err := root.ReadFile(path.Join(dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
	}
	rules.AddDefaults()

	w := chartWalker{root: root, rules: rules, seen: map[string]bool{real: true}}
	if err := w.walk(dir, ""); err != nil {
		return nil, err
	}
	return w.files, nil
}

type chartWalker struct {
	root  *Root
	rules *ignore.Rules
	seen  map[string]bool // real directories entered (symlink loops)
	files []*loader.BufferedFile
}

// walk reads the directory at root-relative path p, whose name inside the
// chart is rel ("" for the chart directory). The directory is resolved
// once; its entries are classified from the listing (no stat each) and its
// files read through the open directory, one openat(2) each.
func (w *chartWalker) walk(p, rel string) error {
	real, err := w.root.Resolve(p)
	if err != nil {
		return err
	}
	d, err := os.OpenRoot(real)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, unwrapPath(err))
	}
	defer d.Close()
	entries, err := os.ReadDir(real)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, unwrapPath(err))
	}
	for _, e := range entries { // sorted by name, as helm's walk
		if strings.EqualFold(e.Name(), ".git") {
			continue // nothing under .git is input (a chart at the root of its repository)
		}
		ep, erel := path.Join(p, e.Name()), path.Join(rel, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			target, err := w.root.Resolve(ep)
			switch {
			case errors.Is(err, ErrEscape):
				return fmt.Errorf("%s: symlink points %s", erel, Where(err))
			case err != nil:
				return fmt.Errorf("%s: symlink: %w", erel, err)
			}
			fi, err := os.Stat(target)
			if err != nil {
				return fmt.Errorf("%s: %w", erel, unwrapPath(err))
			}
			if fi.IsDir() {
				if w.seen[target] {
					return fmt.Errorf("%s: symlink loop", erel)
				}
				w.seen[target] = true
			}
			typ = fi.Mode().Type()
		}
		// helm's ignore rules look at nothing but the name and IsDir.
		info := entryInfo{name: e.Name(), typ: typ}
		if typ.IsDir() {
			if w.rules.Ignore(erel, info) {
				continue
			}
			if err := w.walk(ep, erel); err != nil {
				return err
			}
			continue
		}
		if w.rules.Ignore(erel, info) {
			continue
		}
		if !typ.IsRegular() {
			return fmt.Errorf("%s: cannot load an irregular file", erel)
		}
		var data []byte
		if e.Type()&fs.ModeSymlink != 0 {
			data, err = w.root.ReadFile(ep)
		} else {
			data, err = sandbox.ReadRegularIn(d, e.Name(), min(MaxFileSize, loader.MaxDecompressedFileSize))
		}
		var se *sandbox.SizeError
		switch {
		case errors.Is(err, sandbox.ErrNotRegular):
			return fmt.Errorf("%s: cannot load an irregular file", erel)
		case errors.As(err, &se) && se.Max == loader.MaxDecompressedFileSize,
			err == nil && int64(len(data)) > loader.MaxDecompressedFileSize:
			return fmt.Errorf("%s: larger than the maximum file size %d", erel, loader.MaxDecompressedFileSize)
		case err != nil:
			return fmt.Errorf("read %s: %w", erel, unwrapPath(err))
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		w.files = append(w.files, &loader.BufferedFile{Name: erel, Data: data})
	}
	return nil
}

// entryInfo is the fs.FileInfo helm's ignore rules are given: a directory
// entry's name and type, without a stat.
type entryInfo struct {
	name string
	typ  fs.FileMode
}

func (i entryInfo) Name() string       { return i.name }
func (i entryInfo) Size() int64        { return 0 }
func (i entryInfo) Mode() fs.FileMode  { return i.typ }
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.typ.IsDir() }
func (i entryInfo) Sys() any           { return nil }
