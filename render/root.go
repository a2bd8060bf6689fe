package render

import (
	"errors"
	"fmt"
	"github.com/syncwave/syncwave/internal/sandbox"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrEscape is returned for a path that leaves the repository root, directly
// or through a symlink.
var ErrEscape = errors.New("path leaves the repository root")

// Root is the repository root: the boundary no path may leave. Paths given
// to its methods are slash separated and relative to it; symlinks are
// resolved (absolute ones too, as Argo CD v2.14 writes them when it unpacks
// a repository) and must stay inside.
type Root struct {
	dir string // absolute, symlinks resolved
}

// OpenRoot returns the root for a directory.
func OpenRoot(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("repository root %s: %w", dir, unwrapPath(err))
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("repository root %s: %w", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("repository root %s: not a directory", dir)
	}
	return &Root{dir: real}, nil
}

// Dir is the root's absolute path.
func (r *Root) Dir() string { return r.dir }

// Rel turns a path on disk into a slash-separated path relative to the root,
// resolving symlinks; it fails with ErrEscape when the path is outside.
func (r *Root) Rel(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", unwrapPath(err)
	}
	return r.relReal(real)
}

func (r *Root) relReal(real string) (string, error) {
	rel, err := filepath.Rel(r.dir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", ErrEscape
	}
	return filepath.ToSlash(rel), nil
}

// Resolve checks a root-relative path lexically and through its symlinks and
// returns the absolute path on disk.
func (r *Root) Resolve(p string) (string, error) {
	if path.IsAbs(p) || filepath.IsAbs(p) {
		return "", fmt.Errorf("%s: %w (absolute path)", p, ErrEscape)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", ErrEscape
	}
	full := filepath.Join(r.dir, filepath.FromSlash(clean))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", unwrapPath(err)
	}
	if _, err := r.relReal(real); err != nil {
		return "", err
	}
	return real, nil
}

// Stat follows symlinks inside the root.
func (r *Root) Stat(p string) (fs.FileInfo, error) {
	real, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	return fi, unwrapPath(err)
}

// ReadFile reads a regular file inside the root; see readRegular.
func (r *Root) ReadFile(p string) ([]byte, error) {
	real, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	b, err := readRegular(real)
	return b, unwrapPath(err)
}

// MaxFileSize is the largest file syncwave reads from a repository.
const MaxFileSize = 256 << 20

// ErrNotRegular is returned for a FIFO, socket, device or other file that
// is not a regular file: reading one could block forever or never end.
var ErrNotRegular = sandbox.ErrNotRegular

// readRegular reads a regular file of at most MaxFileSize without blocking
// (sandbox.ReadRegular).
func readRegular(name string) ([]byte, error) { return sandbox.ReadRegular(name, MaxFileSize) }

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
