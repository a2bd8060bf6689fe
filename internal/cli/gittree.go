package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/syncwave/syncwave/internal/sandbox"
)

// Limits of the tree plan --diff materialises; the operator changes them
// with SYNCWAVE_DIFF_MAX_SIZE and SYNCWAVE_DIFF_MAX_FILES (the environment
// of the one running syncwave, never the repository).
const (
	DefaultDiffMaxSize  int64 = 256 << 20
	DefaultDiffMaxFiles       = 100_000

	envDiffMaxSize  = "SYNCWAVE_DIFF_MAX_SIZE"
	envDiffMaxFiles = "SYNCWAVE_DIFF_MAX_FILES"
)

// treeLimits bound what one revision may write: the bytes of its files and
// symlinks, and its entries (every entry git lists counts, skipped ones
// too).
type treeLimits struct {
	size    int64
	entries int
}

// diffLimits reads the limits from the environment, else the defaults.
func diffLimits(getenv func(string) string) (treeLimits, error) {
	l := treeLimits{size: DefaultDiffMaxSize, entries: DefaultDiffMaxFiles}
	var errs []error
	if v := getenv(envDiffMaxSize); v != "" {
		n, err := sandbox.ParseSize(v)
		if err == nil && n <= 0 {
			err = errors.New("expected a positive size such as 512Mi")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", envDiffMaxSize, v, err))
		}
		l.size = n
	}
	if v := getenv(envDiffMaxFiles); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: expected a positive number of entries such as 200000", envDiffMaxFiles, v))
		}
		l.entries = n
	}
	return l, errors.Join(errs...)
}

// treeEntry is one line of git ls-tree -r -l: a blob, symlink or gitlink.
type treeEntry struct {
	mode, typ, oid string
	size           int64
	path           string
}

// materialise writes the tree of commit, read from git's object database,
// into the empty directory dir, and returns notes on what it left out.
//
// Only git's object model is read (ls-tree and cat-file --batch, which run
// no filter, textconv, hook or other program the repository names); the
// view is built by syncwave:
//   - regular files (100644, 100755) are written with O_CREATE|O_EXCL
//     through an os.Root, parent directories created one at a time;
//   - every path is checked first: no absolute path, no . or .. component,
//     no .git component, no duplicate, and no entry that is both a file or
//     symlink and a directory (git mktree and hash-object --literally can
//     make such trees), so no write can pass through a symlink;
//   - symlinks are created last, and only those whose target, read
//     relative to the link, stays inside the tree and out of .git; the
//     others are left out with a note (the working tree's rendering refuses
//     them anyway, so a revision cannot use one to read outside);
//   - gitlinks (submodules) are left out with a note;
//   - the total size and the entry count are bounded (treeLimits), checked
//     on git's listing before anything is written.
func materialise(ctx context.Context, top, commit, dir string, lim treeLimits) ([]string, error) {
	var list bytes.Buffer
	if err := gitObjects(ctx, top, nil, &list, "ls-tree", "-r", "-z", "-l", "--full-tree", commit); err != nil {
		return nil, err
	}
	entries, err := parseTree(list.Bytes(), lim)
	if err != nil {
		return nil, err
	}
	var notes []string
	var files, links []treeEntry
	var total int64
	for _, e := range entries {
		switch {
		case e.mode == "160000":
			notes = append(notes, fmt.Sprintf("submodule %s skipped: its tree is not part of this repository", e.path))
		case e.mode == "120000":
			links = append(links, e)
		default:
			files = append(files, e)
		}
		total += e.size
		if total > lim.size {
			return nil, fmt.Errorf("its files are larger than %s in all (raise the limit with %s)", sandbox.FormatSize(lim.size), envDiffMaxSize)
		}
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	made := map[string]bool{"": true}
	mkdirs := func(p string) error {
		var cur string
		for _, c := range strings.Split(path.Dir(p), "/") {
			if c == "." {
				break
			}
			cur = path.Join(cur, c)
			if made[cur] {
				continue
			}
			if err := root.Mkdir(cur, 0o755); err != nil {
				return err
			}
			made[cur] = true
		}
		return nil
	}

	// the blobs, in the order asked, from one cat-file --batch
	want := append(append([]treeEntry{}, files...), links...)
	var targets = map[string]string{}
	err = catBlobs(ctx, top, want, func(e treeEntry, r io.Reader) error {
		if e.mode == "120000" {
			b, err := io.ReadAll(r)
			targets[e.path] = string(b)
			return err
		}
		if err := mkdirs(e.path); err != nil {
			return err
		}
		perm := os.FileMode(0o644)
		if e.mode == "100755" {
			perm = 0o755
		}
		f, err := root.OpenFile(e.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, e := range links {
		t := targets[e.path]
		if !linkInside(e.path, t) {
			notes = append(notes, fmt.Sprintf("symlink %s -> %s not reproduced: it points outside the tree", e.path, t))
			continue
		}
		if err := mkdirs(e.path); err != nil {
			return nil, err
		}
		if err := root.Symlink(t, e.path); err != nil {
			return nil, err
		}
	}
	return notes, nil
}

// linkInside reports whether a relative symlink target, read from the
// link's directory, stays inside the tree and out of .git. The target is
// judged on its raw components: ".." only at its start, and no more of
// them than the link is deep. Every directory above a link is a real one
// (parseTree refuses an entry below a symlink), so climbing is the same on
// disk as on paper, and a name after the climb descends; a symlink it meets
// was judged the same way. (A lexical clean would accept "s/../../x", which
// climbs from wherever the symlink s points.)
func linkInside(link, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsAny(target, "\\\x00") {
		return false
	}
	depth := strings.Count(link, "/")
	descended := false
	for _, c := range strings.Split(target, "/") {
		switch {
		case c == "" || c == ".":
		case c == "..":
			if descended || depth == 0 {
				return false
			}
			depth--
		case strings.EqualFold(c, ".git"):
			return false
		default:
			descended = true
		}
	}
	return descended
}

// parseTree reads git ls-tree -r -z -l output and checks every path; see
// materialise.
func parseTree(out []byte, lim treeLimits) ([]treeEntry, error) {
	var entries []treeEntry
	for len(out) > 0 {
		i := bytes.IndexByte(out, 0)
		if i < 0 {
			return nil, errors.New("git ls-tree: unterminated entry")
		}
		line := string(out[:i])
		out = out[i+1:]
		if len(entries) == lim.entries {
			return nil, fmt.Errorf("it has more than %d entries (raise the limit with %s)", lim.entries, envDiffMaxFiles)
		}
		meta, name, ok := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", line)
		}
		e := treeEntry{mode: f[0], typ: f[1], oid: f[2], path: name}
		switch {
		case e.mode == "160000" && e.typ == "commit":
		case (e.mode == "100644" || e.mode == "100755" || e.mode == "120000") && e.typ == "blob":
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("git ls-tree: unexpected size in %q", line)
			}
			e.size = n
		default:
			return nil, fmt.Errorf("entry %q: mode %s %s is not a file, symlink or submodule", name, e.mode, e.typ)
		}
		if err := checkTreePath(name); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	// a path listed twice, or both a leaf (file, symlink, submodule) and
	// the directory of another entry, could make one write go through
	// another's symlink: refused
	sorted := append([]treeEntry{}, entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	leaf := map[string]string{}
	for _, e := range sorted {
		if prev, ok := leaf[e.path]; ok {
			return nil, fmt.Errorf("entry %q appears twice (%s and %s)", e.path, prev, kindOf(e.mode))
		}
		leaf[e.path] = kindOf(e.mode)
	}
	for _, e := range sorted {
		for d := path.Dir(e.path); d != "."; d = path.Dir(d) {
			if k, ok := leaf[d]; ok {
				return nil, fmt.Errorf("entry %q is both a %s and a directory (of %s)", d, k, e.path)
			}
		}
	}
	return entries, nil
}

func kindOf(mode string) string {
	switch mode {
	case "120000":
		return "symlink"
	case "160000":
		return "submodule"
	}
	return "file"
}

// checkTreePath refuses a path that is absolute, empty, has a ., .. or
// empty component, a .git component in any case, or a NUL or backslash
// (which Windows reads as a separator).
func checkTreePath(p string) error {
	if !fs.ValidPath(p) || p == "." || strings.ContainsAny(p, "\\") {
		return fmt.Errorf("entry %q: not a relative path inside the tree", p)
	}
	for _, c := range strings.Split(p, "/") {
		if strings.EqualFold(c, ".git") {
			return fmt.Errorf("entry %q: a .git component is never written", p)
		}
	}
	return nil
}

// catBlobs reads the blobs of entries with one git cat-file --batch and
// gives each, in order, to fn; a blob larger than its listed size is an
// error.
func catBlobs(ctx context.Context, top string, entries []treeEntry, fn func(treeEntry, io.Reader) error) error {
	if len(entries) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, e := range entries {
		in.WriteString(e.oid + "\n")
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := gitObjects(ctx, top, &in, pw, "cat-file", "--batch")
		pw.CloseWithError(err)
		done <- err
	}()
	br := bufio.NewReader(pr)
	err := func() error {
		for _, e := range entries {
			head, err := br.ReadString('\n')
			if err != nil {
				return fmt.Errorf("git cat-file: %w", err)
			}
			f := strings.Fields(head)
			if len(f) != 3 || f[0] != e.oid || f[1] != "blob" {
				return fmt.Errorf("git cat-file: object %s of %s: %q", e.oid, e.path, strings.TrimSpace(head))
			}
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || n != e.size {
				return fmt.Errorf("git cat-file: object %s of %s: size %s, listed %d", e.oid, e.path, f[2], e.size)
			}
			lr := &io.LimitedReader{R: br, N: n}
			if err := fn(e, lr); err != nil {
				return fmt.Errorf("%s: %w", e.path, err)
			}
			if _, err := io.Copy(io.Discard, lr); err != nil {
				return err
			}
			if lr.N != 0 {
				return fmt.Errorf("git cat-file: object %s of %s: short", e.oid, e.path)
			}
			if b, err := br.ReadByte(); err != nil || b != '\n' {
				return fmt.Errorf("git cat-file: object %s of %s: no end of object", e.oid, e.path)
			}
		}
		return nil
	}()
	pr.CloseWithError(errors.New("stopped reading"))
	gerr := <-done
	if err != nil {
		return err
	}
	return gerr
}

// gitObjects runs git in top for a command that reads the object database
// only, in an environment syncwave chooses: no GIT_* variable from outside
// but GIT_NO_REPLACE_OBJECTS (so refs/replace cannot swap objects), no
// fsmonitor, no hooks, no attributes, no pager, no prompt.
func gitObjects(ctx context.Context, top string, stdin io.Reader, stdout io.Writer, args ...string) error {
	base := []string{"-C", top,
		"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.attributesFile=/dev/null",
		"--no-pager", "--no-replace-objects"}
	cmd := exec.CommandContext(ctx, "git", append(base, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_NO_REPLACE_OBJECTS=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("--diff needs the git program: %w", err)
		}
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("git %s: %s", args[0], msg)
	}
	return nil
}
