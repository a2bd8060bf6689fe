package plugin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// buildBinary builds cmd/syncwave as the Dockerfile does (static, trimmed)
// into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "syncwave")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", bin, "./cmd/syncwave")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// copyTree copies a directory of this repository, then makes the copy
// read-only (effective when the tests do not run as root; the snapshot
// comparison below holds either way).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func makeReadOnly(t *testing.T, dir string) {
	t.Helper()
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			if d.IsDir() {
				dirs = append(dirs, p)
			} else {
				_ = os.Chmod(p, 0o444)
			}
		}
		return nil
	})
	for _, d := range dirs {
		_ = os.Chmod(d, 0o555)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			_ = os.Chmod(d, 0o755)
		}
	})
}

// snapshot lists every path under dir with a hash of its content.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	m := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		info, _ := d.Info()
		h := sha256.New()
		if d.Type().IsRegular() {
			f, err := os.Open(p)
			if err == nil {
				_, _ = io.Copy(h, f)
				f.Close()
			}
		}
		m[p] = info.Mode().String() + " " + hex.EncodeToString(h.Sum(nil))
		return nil
	})
	return m
}

// TestSidecarBinary runs the built binary the way the sidecar runs it: in
// the application directory of a read-only unpacked repository, with HOME
// unset and TMPDIR set, and the environment of an Argo CD request. It must
// succeed and write nothing outside TMPDIR.
func TestSidecarBinary(t *testing.T) {
	t.Parallel()

	bin := buildBinary(t)
	base := t.TempDir()
	repo := filepath.Join(base, "_cmp_server", "4b1f0c")
	for _, ex := range []string{"sync-hook-wave", "chart-with-hooks"} {
		copyTree(t, filepath.Join("..", "examples", ex), filepath.Join(repo, "examples", ex))
	}
	tmp := filepath.Join(base, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	makeReadOnly(t, repo)
	before := snapshot(t, base, tmp)
	strace := usableStrace()
	if strace == "" {
		t.Log("no usable strace: checking the file tree only")
	}

	inlineOrder := "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n  - {name: config, select: [{kind: ConfigMap}]}\n  - {name: controller, select: [{kind: Deployment}], after: [config]}\n"
	params, _ := argoParamEnvJSON(t, inlineOrder)
	for _, c := range []struct {
		path string
		args []string
		env  []string
		want string // substring of stdout
	}{
		// init: what a plugin.yaml of an older release runs before every generate
		{path: "examples/sync-hook-wave", args: []string{"init"}},
		{path: "examples/chart-with-hooks", args: []string{"init"}},
		{path: "examples/sync-hook-wave", args: []string{"generate"}, want: "argocd.argoproj.io/sync-wave: \"-1\""},
		{path: "examples/chart-with-hooks", args: []string{"generate"}, want: "kind: EdgeRoute"},
		{path: "examples/chart-with-hooks/edge-ingress", args: []string{"generate"}, env: []string{params}, want: "SkipDryRunOnMissingResource=true"},
		{path: "examples/chart-with-hooks", args: []string{"parameters"}, want: `"replicaCount": "2"`},
	} {
		t.Run(strings.Join(append([]string{c.path}, c.args...), " "), func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			trace := ""
			if strace != "" {
				trace = filepath.Join(base, "strace-"+strings.ReplaceAll(c.path, "/", "_")+"-"+c.args[0]+".log")
				cmd = exec.Command(strace, append([]string{"-f", "-qq", "-e", "trace=%file", "-o", trace, bin}, c.args...)...)
			}
			cmd.Dir = filepath.Join(repo, filepath.FromSlash(c.path))
			cmd.Env = append([]string{
				"PATH=/usr/local/bin",
				"TMPDIR=" + tmp,
				"ARGOCD_APP_NAME=argocd_example",
				"ARGOCD_APP_NAMESPACE=example",
				"ARGOCD_APP_SOURCE_PATH=" + c.path,
				"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/org/repo.git",
				"KUBE_VERSION=1.29",
				"KUBE_API_VERSIONS=apps/v1,v1",
			}, c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
			}
			if !strings.Contains(stdout.String(), c.want) {
				t.Errorf("stdout lacks %q", c.want)
			}
			if trace != "" {
				for _, w := range writesOutside(t, trace, tmp) {
					t.Errorf("writes outside TMPDIR: %s", w)
				}
				_ = os.Remove(trace)
			}
		})
	}
	after := snapshot(t, base, tmp)
	var changed []string
	for p, s := range after {
		if before[p] != s {
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changed = append(changed, p)
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("wrote outside TMPDIR: %q", changed)
	}
}

// usableStrace returns the strace command when it can trace here.
func usableStrace() string {
	p, err := exec.LookPath("strace")
	if err != nil {
		return ""
	}
	if exec.Command(p, "-qq", "-o", os.DevNull, "true").Run() != nil {
		return ""
	}
	return p
}

// writesOutside lists the successful file-changing system calls of an
// strace log whose path is not under dir (or /dev).
func writesOutside(t *testing.T, log, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "= -1 ") || !strings.Contains(line, "(") {
			continue
		}
		_, call, _ := strings.Cut(line, " ")
		call = strings.TrimSpace(call)
		name, args, _ := strings.Cut(call, "(")
		writes := false
		switch name {
		case "open", "openat", "openat2", "creat":
			writes = strings.Contains(args, "O_WRONLY") || strings.Contains(args, "O_RDWR") || strings.Contains(args, "O_CREAT") || strings.Contains(args, "O_TRUNC") || name == "creat"
		case "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2", "symlink", "symlinkat", "link", "linkat",
			"chmod", "fchmodat", "chown", "lchown", "fchownat", "truncate", "utime", "utimes", "utimensat", "mknod", "mknodat":
			writes = true
		}
		if !writes {
			continue
		}
		for _, f := range strings.Split(args, ", ") {
			if !strings.HasPrefix(f, `"`) {
				continue
			}
			p := strings.Trim(f, `"`)
			if !filepath.IsAbs(p) {
				out = append(out, line+" (relative to the working directory)")
				continue
			}
			if p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) && !strings.HasPrefix(p, "/dev/") {
				out = append(out, line)
			}
		}
	}
	return out
}

func argoParamEnvJSON(t *testing.T, order string) (string, error) {
	t.Helper()
	env := argoParamEnv([]param{{name: ParamOrder, str: &order}})
	return env[0], nil
}

func TestWritesOutside(t *testing.T) {
	t.Parallel()

	log := filepath.Join(t.TempDir(), "log")
	_ = os.WriteFile(log, []byte(`12 openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
12 openat(AT_FDCWD, "/tmp/x/t/a", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3
12 openat(AT_FDCWD, "/home/x/.cache/helm", O_RDWR|O_CREAT, 0666) = 3
12 mkdirat(AT_FDCWD, "/root/.config", 0777) = -1 EACCES (Permission denied)
12 mkdirat(AT_FDCWD, "/root/.config", 0777) = 0
12 openat(AT_FDCWD, "/dev/null", O_WRONLY) = 3
`), 0o644)
	got := writesOutside(t, log, "/tmp/x/t")
	if len(got) != 2 || !strings.Contains(got[0], ".cache/helm") || !strings.Contains(got[1], "/root/.config") {
		t.Fatalf("%q", got)
	}
}
