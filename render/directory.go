package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gobwas/glob"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// DirectoryOptions mirror Argo CD's directory source.
type DirectoryOptions struct {
	// Path is the directory, slash separated and relative to the repository
	// root ("." for the root itself).
	Path    string
	Recurse bool
	Include string
	Exclude string
	// Skip lists files (relative to the repository root) never rendered,
	// such as the ordering file.
	Skip []string
}

// manifestFile is Argo CD's candidate pattern without jsonnet (out of scope).
var manifestFile = regexp.MustCompile(`^.*\.(yaml|yml|json)$`)

// Directory renders a directory of manifests with Argo CD's directory-source
// semantics: only .yaml/.yml/.json files, subdirectories only with Recurse,
// exclude then include (gobwas globs without separators on the path relative
// to the directory), hidden files included, symlinked directories not
// followed, file symlinks followed but never out of the repository root.
// Files are read in lexical order, as Argo CD's walk does.
func Directory(ctx context.Context, root *Root, o DirectoryOptions, warn func(string)) ([]*manifest.Resource, error) {
	var include, exclude glob.Glob
	var err error
	if o.Include != "" {
		if include, err = order.CompileGlob(o.Include); err != nil {
			return nil, fmt.Errorf("directory %s: include: %v", o.Path, err)
		}
	}
	if o.Exclude != "" {
		if exclude, err = order.CompileGlob(o.Exclude); err != nil {
			return nil, fmt.Errorf("directory %s: exclude: %v", o.Path, err)
		}
	}
	dir := path.Clean(o.Path)
	fi, err := root.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("directory %s: not a directory", dir)
	}
	skip := map[string]bool{}
	for _, s := range o.Skip {
		skip[path.Clean(s)] = true
	}
	// The walk reads the files in lexical order; their documents are
	// decoded in parallel (at most GOMAXPROCS at a time), and the results
	// are taken in walk order up to the first error, so the output, the
	// warnings and the error are those of a decoding one file at a time.
	var files []dirFile
	fsys := os.DirFS(root.Dir())
	walkErr := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if strings.EqualFold(d.Name(), ".git") {
				return fs.SkipDir // nothing under .git is input
			}
			if p != dir && !o.Recurse {
				return fs.SkipDir
			}
			return nil
		}
		if !manifestFile.MatchString(d.Name()) || skip[p] {
			return nil
		}
		rel := relTo(dir, p)
		if exclude != nil && exclude.Match(rel) {
			return nil
		}
		if include != nil && !include.Match(rel) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := root.Stat(p)
			switch {
			case errors.Is(err, ErrEscape):
				return fmt.Errorf("%s: symlink points %s", p, Where(err))
			case errors.Is(err, fs.ErrNotExist):
				files = append(files, dirFile{warnings: []string{fmt.Sprintf("%s: dangling symlink ignored", p)}})
				return nil
			case err != nil:
				return fmt.Errorf("%s: %w", p, err)
			case target.IsDir():
				return nil // a symlinked directory is not followed
			case !target.Mode().IsRegular():
				return fmt.Errorf("%s: %w", p, ErrNotRegular)
			}
		} else if !d.Type().IsRegular() {
			return fmt.Errorf("%s: %w", p, ErrNotRegular)
		}
		data, err := root.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		files = append(files, dirFile{rel: rel, data: data, decode: true})
		return nil
	})
	decodeFiles(ctx, files)
	var out []*manifest.Resource
	for _, f := range files {
		for _, w := range f.warnings {
			warn(w)
		}
		if f.err != nil {
			return nil, f.err
		}
		out = append(out, f.res...)
	}
	if walkErr != nil {
		return nil, walkErr
	}
	return out, nil
}

// dirFile is one file of a directory source, in walk order: its text and,
// once decoded, its resources, warnings and error.
type dirFile struct {
	rel      string
	data     []byte
	decode   bool
	res      []*manifest.Resource
	warnings []string
	err      error
}

// decodeFiles decodes the files with at most GOMAXPROCS goroutines, each
// taking the next file not yet taken. A file after one that failed may be
// decoded for nothing.
func decodeFiles(ctx context.Context, files []dirFile) {
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(files) {
				return
			}
			f := &files[i]
			if !f.decode {
				continue
			}
			if err := ctx.Err(); err != nil {
				f.err = err
				continue
			}
			f.res, f.err = decodeFile(f.rel, f.data, func(w string) { f.warnings = append(f.warnings, w) })
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(files))
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// decodeFile parses one candidate file as Argo CD does: a .json file holds
// one object; a YAML file whose first document fails to parse is an error
// only when it looks like a manifest (contains apiVersion:, kind: and
// metadata:), otherwise it is some other YAML file and is ignored.
func decodeFile(rel string, data []byte, warn func(string)) ([]*manifest.Resource, error) {
	if strings.HasSuffix(rel, ".json") {
		return manifest.Decode(rel, data, manifest.Options{Format: manifest.OneJSON, AnyVersion: true})
	}
	// Argo CD requires a kind but not an apiVersion of a directory source's
	// objects: one without is passed on, as Argo CD does.
	rs, err := manifest.Decode(rel, data, manifest.Options{AnyVersion: true, Reader: manifest.FastStrict})
	if err == nil {
		return rs, nil
	}
	// Argo CD's leniency applies only when nothing before the failure parsed.
	var good int
	for _, d := range manifest.SplitYAML(data) {
		r, derr := manifest.Decode(rel, d.Text, manifest.Options{Format: manifest.OneDocument, Line: d.Line, AnyVersion: true})
		if derr != nil {
			break
		}
		good += len(r)
	}
	s := string(data)
	if good == 0 && !(strings.Contains(s, "apiVersion:") && strings.Contains(s, "kind:") && strings.Contains(s, "metadata:")) {
		warn(fmt.Sprintf("%s: ignored: not a Kubernetes manifest (%v)", rel, err))
		return nil, nil
	}
	return nil, err
}

func relTo(dir, p string) string {
	if dir == "." {
		return p
	}
	return strings.TrimPrefix(p, dir+"/")
}
