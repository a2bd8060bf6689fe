package render

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is returned for any write kustomize attempts.
var errReadOnly = errors.New("the repository is read-only while rendering")

// rootFS is kustomize's on-disk filesystem confined to the repository root:
// every path, symlinks resolved, must stay inside it, and nothing is ever
// written.
type rootFS struct {
	root *Root
	disk filesys.FileSystem
}

func newRootFS(root *Root) *rootFS {
	return &rootFS{root: root, disk: filesys.MakeFsOnDisk()}
}

// check allows a path when it is lexically inside the root and not in
// .git, and its symlinks, followed one component at a time, stay there
// (Root.walk: nothing outside is looked at). A path missing inside the root
// is allowed: the operation itself reports it.
func (f *rootFS) check(p string) error {
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	rel, err := f.root.relReal(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if _, err := f.root.walk(rel); errors.Is(err, ErrEscape) {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

func (f *rootFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *rootFS) Mkdir(string) error                  { return errReadOnly }
func (f *rootFS) MkdirAll(string) error               { return errReadOnly }
func (f *rootFS) RemoveAll(string) error              { return errReadOnly }
func (f *rootFS) WriteFile(string, []byte) error      { return errReadOnly }

func (f *rootFS) Open(p string) (filesys.File, error) {
	if err := f.check(p); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", f.rel(p), ErrNotRegular)
	}
	return f.disk.Open(p)
}

func (f *rootFS) IsDir(p string) bool { return f.check(p) == nil && f.disk.IsDir(p) }

func (f *rootFS) Exists(p string) bool { return f.check(p) == nil && f.disk.Exists(p) }

func (f *rootFS) ReadDir(p string) ([]string, error) {
	if err := f.check(p); err != nil {
		return nil, err
	}
	return f.disk.ReadDir(p)
}

func (f *rootFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if err := f.check(p); err != nil {
		return "", "", err
	}
	d, name, err := f.disk.CleanedAbs(p)
	if err != nil {
		return d, name, err
	}
	if err := f.check(string(d)); err != nil {
		return "", "", err
	}
	return d, name, nil
}

func (f *rootFS) Glob(pattern string) ([]string, error) {
	if err := f.check(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	all, err := f.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range all {
		if f.check(m) == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// ReadFile reads a regular file only (never a FIFO or device, and without
// blocking on one), and refuses a YAML alias bomb before kustomize expands
// it.
func (f *rootFS) ReadFile(p string) ([]byte, error) {
	if err := f.check(p); err != nil {
		return nil, err
	}
	b, err := readRegular(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.rel(p), unwrapPath(err))
	}
	if err := checkAliases(b); err != nil {
		return nil, fmt.Errorf("%s: %w", f.rel(p), err)
	}
	return b, nil
}

// rel names a path in messages: relative to the repository root.
func (f *rootFS) rel(p string) string {
	if r, err := filepath.Rel(f.root.dir, p); err == nil && filepath.IsLocal(r) {
		return filepath.ToSlash(r)
	}
	return p
}

func (f *rootFS) Walk(p string, fn filepath.WalkFunc) error {
	if err := f.check(p); err != nil {
		return err
	}
	return f.disk.Walk(p, func(q string, info os.FileInfo, err error) error {
		if err == nil {
			if cerr := f.check(q); cerr != nil {
				return cerr
			}
		}
		return fn(q, info, err)
	})
}

// quietMu serialises the capture of the process's stderr and log output.
var quietMu sync.Mutex

// quietly runs fn with os.Stderr and the standard logger captured: krusty
// prints its deprecation warnings to os.Stderr and other warnings (vars
// never replaced) with log.Printf. Each captured line is passed to warn,
// except the deprecation messages, which checkKustomizations already
// reported with the file they come from.
func quietly(warn func(string), fn func() error) error {
	quietMu.Lock()
	defer quietMu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		return fn()
	}
	oldStderr, oldLog, oldFlags, oldPrefix := os.Stderr, log.Writer(), log.Flags(), log.Prefix()
	os.Stderr = w
	log.SetOutput(w)
	log.SetFlags(0)
	log.SetPrefix("")
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		_, _ = io.Copy(io.Discard, r)
		done <- b
	}()
	err = fn()
	os.Stderr = oldStderr
	log.SetOutput(oldLog)
	log.SetFlags(oldFlags)
	log.SetPrefix(oldPrefix)
	w.Close()
	captured := <-done
	r.Close()
	seen := map[string]bool{}
	for _, line := range strings.Split(string(captured), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] || strings.Contains(line, "is deprecated. Please use") {
			continue
		}
		seen[line] = true
		if warn != nil {
			warn("kustomize: " + strings.TrimPrefix(line, "# Warning: "))
		}
	}
	return err
}
