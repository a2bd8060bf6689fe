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

// ErrGitDir is returned for a path that names or passes through a .git
// directory or file: nothing under .git is input (a CI checkout keeps its
// token in .git/config). errors.Is(ErrGitDir, ErrEscape) holds, so every
// caller that refuses an escape refuses it too.
var ErrGitDir error = gitDirError{}

type gitDirError struct{}

func (gitDirError) Error() string        { return "path enters .git, which is never read" }
func (gitDirError) Is(target error) bool { return target == ErrEscape }

// Root is the repository root: the boundary no path may leave. Paths given
// to its methods are slash separated and relative to it; symlinks are
// resolved (absolute ones too, as Argo CD v2.14 writes them when it unpacks
// a repository) and must stay inside.
//
// Resolution walks a path one component at a time and follows symlinks
// itself: every step is judged lexically (inside the root, no .git
// component) before it is looked at on disk. A path outside the root, or in
// .git, gives the same error whether or not it exists: nothing outside is
// ever stat'ed, so the answer says nothing about what is there.
type Root struct {
	dir   string // absolute, symlinks resolved
	given string // absolute, as given (may differ from dir by symlinks above it)
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
	return &Root{dir: real, given: abs}, nil
}

// Dir is the root's absolute path.
func (r *Root) Dir() string { return r.dir }

// Rel turns a path on disk into a slash-separated path relative to the root,
// resolving symlinks; it fails with ErrEscape when the path is outside, and
// judges that from the path's text before looking at the disk.
func (r *Root) Rel(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rel, ok := r.lexical(abs)
	if !ok {
		return "", ErrEscape
	}
	real, err := r.walk(rel)
	if err != nil {
		return "", err
	}
	return r.relReal(real)
}

// lexical returns abs (clean) relative to the root, slash separated, when
// it is lexically inside the root as resolved or as given.
func (r *Root) lexical(abs string) (string, bool) {
	for _, base := range []string{r.dir, r.given} {
		rel, err := filepath.Rel(base, abs)
		if err == nil && filepath.IsLocal(rel) || rel == "." {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// relReal turns a resolved absolute path into a root-relative one, refusing
// one outside the root (ErrEscape) or in .git (ErrGitDir).
func (r *Root) relReal(real string) (string, error) {
	rel, err := filepath.Rel(r.dir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", ErrEscape
	}
	rel = filepath.ToSlash(rel)
	if inGit(rel) {
		return "", ErrGitDir
	}
	return rel, nil
}

// inGit reports whether a slash path has a .git component (any case: the
// file systems of macOS and Windows fold it).
func inGit(rel string) bool {
	for _, c := range strings.Split(rel, "/") {
		if strings.EqualFold(c, ".git") {
			return true
		}
	}
	return false
}

// maxLinks bounds the symlinks followed while resolving one path, as the
// kernel's own limit (40 on Linux) does.
const maxLinks = 40

// walk resolves a slash path relative to the root, following symlinks one
// component at a time, and returns the absolute path on disk. Each
// component is judged before it is looked at: ".." above the root, a
// symlink whose target is outside, and a .git component fail with
// ErrEscape (ErrGitDir) without any stat of what they name. A component
// that does not exist inside the root gives fs.ErrNotExist.
func (r *Root) walk(rel string) (string, error) {
	pending := splitPath(rel)
	var cur []string // resolved components below the root, none a symlink
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", ErrEscape
			}
			cur = cur[:len(cur)-1]
			continue
		}
		if strings.EqualFold(c, ".git") {
			return "", ErrGitDir
		}
		full := filepath.Join(r.dir, filepath.FromSlash(path.Join(append(cur, c)...)))
		fi, err := os.Lstat(full)
		if err != nil {
			return "", unwrapPath(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", path.Join(append(cur, c)...))
		}
		target, err := os.Readlink(full)
		if err != nil {
			return "", unwrapPath(err)
		}
		if filepath.IsAbs(target) {
			t, ok := r.lexical(filepath.Clean(target))
			if !ok {
				return "", ErrEscape
			}
			cur = nil
			pending = append(splitPath(t), pending...)
		} else {
			pending = append(splitPath(filepath.ToSlash(target)), pending...)
		}
	}
	return filepath.Join(r.dir, filepath.FromSlash(path.Join(cur...))), nil
}

func splitPath(p string) []string {
	if p == "" || p == "." {
		return nil
	}
	return strings.Split(p, "/")
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
	if inGit(clean) {
		return "", ErrGitDir
	}
	return r.walk(clean)
}

// Where says where an escape error (ErrEscape, ErrGitDir) points, for
// messages: "outside the repository root" or "into .git".
func Where(err error) string {
	if errors.Is(err, ErrGitDir) {
		return "in .git, which is never read"
	}
	return "outside the repository root"
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
