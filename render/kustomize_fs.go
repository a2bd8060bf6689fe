package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// check allows a path when it is lexically inside the root and its longest
// existing prefix, symlinks resolved, is too.
func (f *rootFS) check(p string) error {
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	if _, err := f.root.relReal(abs); err != nil {
		return fmt.Errorf("%s: %w", p, ErrEscape)
	}
	for d := abs; ; {
		if real, err := filepath.EvalSymlinks(d); err == nil {
			if _, err := f.root.relReal(real); err != nil {
				return fmt.Errorf("%s: %w", p, ErrEscape)
			}
			return nil
		}
		parent := filepath.Dir(d)
		if parent == d || d == f.root.dir {
			return nil
		}
		d = parent
	}
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

func (f *rootFS) ReadFile(p string) ([]byte, error) {
	if err := f.check(p); err != nil {
		return nil, err
	}
	return f.disk.ReadFile(p)
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
