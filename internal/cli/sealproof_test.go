package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// The kernel seal, proven on built binaries (a sealed test process could
// not go on testing). The proof build (-tags sealproof) has syncwave's own
// refusals switched off (DenyNetwork, the schema reference check) and
// probes the process right after sealing (sealproof_probe.go): everything
// the Go-level layer would have stopped must still fail, by the kernel.
// Each sealed run is paired with SYNCWAVE_SANDBOX=off, which must reach
// the server and read the files, so the test can fail.

// proofBinary builds cmd/syncwave with -tags sealproof, as the release is
// built otherwise, once per test run.
func proofBinary(t *testing.T) string {
	t.Helper()
	return buildSyncwave(t, "sealproof")
}

// proofWorld is the repository, a sibling directory outside it, a TMPDIR,
// a counting HTTP server and a counting UDP socket on 127.0.0.1, all
// readable by the sidecar's user 999.
type proofWorld struct {
	base, repo, outside, tmp string
	httpURL, udpAddr         string
	hits, packets            atomic.Int64
}

func newProofWorld(t *testing.T, schemaRef string) *proofWorld {
	t.Helper()
	w := &proofWorld{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		fmt.Fprint(rw, `{"type": "object"}`)
	}))
	t.Cleanup(srv.Close)
	w.httpURL = srv.URL
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			w.packets.Add(1)
		}
	}()
	w.udpAddr = pc.LocalAddr().String()
	if w.base, err = os.MkdirTemp("", "syncwave-sealproof-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(w.base) })
	w.repo, w.outside, w.tmp = filepath.Join(w.base, "repo"), filepath.Join(w.base, "outside"), filepath.Join(w.base, "tmp")
	for _, d := range []string{w.repo, w.outside, w.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{w.base, w.outside, w.tmp} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, w.outside, map[string]string{"secret.txt": "TOPSECRET\n", "schema.json": `{"type": "string"}`}, strings.NewReplacer())
	ref := strings.NewReplacer("{{URL}}", w.httpURL, "{{OUTSIDE}}", w.outside).Replace(schemaRef)
	writeTree(t, w.repo, chartOf(cm("x"), "values.yaml", "a: {b: 1}\n", "values.schema.json", `{"type": "object", "properties": {"a": {"$ref": "`+ref+`"}}}`), strings.NewReplacer())
	return w
}

// probes is what every run tries after sealing.
func (w *proofWorld) probes() []string {
	return []string{
		"tcp=" + strings.TrimPrefix(w.httpURL, "http://"),
		"udp=" + w.udpAddr,
		"dns=" + w.udpAddr,
		"read=/proc/self/environ",
		"read=" + filepath.Join(w.outside, "secret.txt"),
		"write=" + filepath.Join(w.repo, "w.txt"),
		"write=" + filepath.Join(w.outside, "w.txt"),
		"write=" + filepath.Join(w.tmp, "w.txt"),
		"exec=/bin/true",
	}
}

type proofResult struct {
	code           int
	stdout, stderr string
}

// run runs bin with args in the repository as uid (0: as this process;
// else through setpriv, as the sidecar's user).
func (w *proofWorld) run(t *testing.T, bin string, uid int, env []string, args ...string) proofResult {
	t.Helper()
	argv := append([]string{bin}, args...)
	if uid != 0 {
		argv = append([]string{"setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid), "--clear-groups", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = w.repo
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + w.tmp, "TMPDIR=" + w.tmp, "SYNCWAVE_TIMEOUT=60s",
		"ARGOCD_APP_NAME=app", "ARGOCD_APP_NAMESPACE=ns", "ARGOCD_APP_SOURCE_PATH=.",
		"SYNCWAVE_SEALPROOF=" + strings.Join(w.probes(), ";")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := proofResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// probeResults maps each probe to "ok" or its refusal.
func probeResults(stderr string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "sealproof: ")
		if !ok {
			continue
		}
		if i := strings.LastIndex(rest, ": ok"); i >= 0 && i == len(rest)-4 {
			out[rest[:i]] = "ok"
		} else if what, why, ok := strings.Cut(rest, ": refused: "); ok {
			out[what] = why
		}
	}
	return out
}

// sidecarUIDs are the users the proof runs as: root (this machine) and
// the sidecar's 999 when setpriv can switch to it.
func sidecarUIDs(t *testing.T) []int {
	if os.Getuid() != 0 {
		return []int{os.Getuid()}
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Log("setpriv not found: the proof runs as root only")
		return []int{0}
	}
	return []int{0, 999}
}

func TestSealProofHTTPRef(t *testing.T) {
	t.Parallel()

	if runtime.GOOS != "linux" {
		t.Skip("Landlock and seccomp: linux only")
	}
	bin := proofBinary(t)
	w := newProofWorld(t, "{{URL}}/x.json")
	for _, uid := range sidecarUIDs(t) {
		for _, args := range []string{"render .", "plan .", "lint .", "generate", "render --helm-version 3 ."} {
			t.Run(fmt.Sprintf("uid %d/%s", uid, args), func(t *testing.T) {
				r := w.run(t, bin, uid, []string{"SYNCWAVE_SANDBOX=require"}, strings.Fields(args)...)
				if r.code != 1 || r.stdout != "" {
					t.Errorf("exit %d, stdout %q; stderr:\n%s", r.code, firstLine(r.stdout), r.stderr)
				}
				if !strings.Contains(r.stderr, w.httpURL+"/x.json") || !strings.Contains(r.stderr, "socket: permission denied") {
					t.Errorf("stderr does not name the reference and the kernel's refusal:\n%s", r.stderr)
				}
				got := probeResults(r.stderr)
				for _, p := range w.probes() {
					if res, ok := got[p]; !ok || res == "ok" {
						t.Errorf("after sealing, %s: %q", p, res)
					}
				}
			})
		}
	}
	if n, p := w.hits.Load(), w.packets.Load(); n != 0 || p != 0 {
		t.Fatalf("sealed: the counting server received %d HTTP requests and %d UDP packets, want 0", n, p)
	}
	// the control: unsealed, the same build reaches the server
	r := w.run(t, bin, 0, []string{"SYNCWAVE_SANDBOX=off"}, "render", ".")
	if r.code != 0 || w.hits.Load() == 0 || w.packets.Load() == 0 {
		t.Fatalf("control (SYNCWAVE_SANDBOX=off): exit %d, %d requests, %d packets; stderr:\n%s", r.code, w.hits.Load(), w.packets.Load(), r.stderr)
	}
	for p, res := range probeResults(r.stderr) {
		// the counting UDP socket does not answer DNS: the lookup times
		// out after sending its query
		if res != "ok" && !(strings.HasPrefix(p, "dns=") && strings.Contains(res, "i/o timeout")) {
			t.Errorf("control: %s: %s", p, res)
		}
	}
}

func TestSealProofFileRef(t *testing.T) {
	t.Parallel()

	if runtime.GOOS != "linux" {
		t.Skip("Landlock and seccomp: linux only")
	}
	bin := proofBinary(t)
	w := newProofWorld(t, "file://{{OUTSIDE}}/schema.json")
	for _, uid := range sidecarUIDs(t) {
		for _, args := range []string{"render .", "generate"} {
			t.Run(fmt.Sprintf("uid %d/%s", uid, args), func(t *testing.T) {
				r := w.run(t, bin, uid, []string{"SYNCWAVE_SANDBOX=require"}, strings.Fields(args)...)
				if r.code != 1 || !strings.Contains(r.stderr, "permission denied") || strings.Contains(r.stderr, "want string") {
					t.Errorf("exit %d; the schema outside must not be read; stderr:\n%s", r.code, r.stderr)
				}
			})
		}
	}
	// the control: unsealed, the schema outside is read and fails the values
	r := w.run(t, bin, 0, []string{"SYNCWAVE_SANDBOX=off"}, "render", ".")
	if r.code != 1 || !strings.Contains(r.stderr, "want string") {
		t.Fatalf("control (SYNCWAVE_SANDBOX=off): exit %d; stderr:\n%s", r.code, r.stderr)
	}
}

// plan --diff seals after extracting the revision: the probes fail, and
// the revision's tree is removed (its empty directory stays).
func TestSealProofPlanDiff(t *testing.T) {
	t.Parallel()

	if runtime.GOOS != "linux" {
		t.Skip("Landlock and seccomp: linux only")
	}
	bin := proofBinary(t)
	w := newProofWorld(t, "#/$defs/none")
	os.Remove(filepath.Join(w.repo, "values.schema.json"))
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
		gitRun(t, w.repo, args...)
	}
	r := w.run(t, bin, 0, []string{"SYNCWAVE_SANDBOX=require"}, "plan", "--diff", "HEAD", ".")
	if r.code != 0 || !strings.Contains(r.stdout, "No step moved") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	got := probeResults(r.stderr)
	for _, p := range w.probes() {
		if res, ok := got[p]; !ok || res == "ok" {
			t.Errorf("after sealing, %s: %q", p, res)
		}
	}
	left, _ := filepath.Glob(filepath.Join(w.tmp, "syncwave-diff-*", "*"))
	if len(left) > 0 {
		t.Errorf("the revision's tree was not removed: %q", left)
	}
	if n, p := w.hits.Load(), w.packets.Load(); n != 0 || p != 0 {
		t.Errorf("%d HTTP requests and %d UDP packets, want 0", n, p)
	}
}

// The release build (CGO_ENABLED=0, no tag) under SYNCWAVE_SANDBOX=require
// runs on this machine, as root and as the sidecar's user, and says which
// layers it has.
func TestSealRequireReleaseBuild(t *testing.T) {
	t.Parallel()

	if runtime.GOOS != "linux" {
		t.Skip("Landlock and seccomp: linux only")
	}
	bin := syncwaveBinary(t)
	w := newProofWorld(t, "#/$defs/none")
	writeTree(t, w.repo, map[string]string{"values.schema.json": `{"type": "object"}`}, strings.NewReplacer())
	for _, uid := range sidecarUIDs(t) {
		r := w.run(t, bin, uid, []string{"SYNCWAVE_SANDBOX=require"}, "version")
		if r.code != 0 || !strings.Contains(r.stdout, "\nsandbox: landlock ABI ") || !strings.Contains(r.stdout, "seccomp (socket: unix only") {
			t.Errorf("uid %d: version: exit %d\n%s%s", uid, r.code, r.stdout, r.stderr)
		}
		t.Logf("uid %d: %s", uid, r.stdout[strings.Index(r.stdout, "sandbox:"):])
		for _, args := range []string{"render .", "plan .", "lint .", "generate", "parameters"} {
			r := w.run(t, bin, uid, []string{"SYNCWAVE_SANDBOX=require"}, strings.Fields(args)...)
			if r.code != 0 || r.stdout == "" || strings.Contains(r.stderr, "sealproof") {
				t.Errorf("uid %d: %s: exit %d\n%s", uid, args, r.code, r.stderr)
			}
		}
	}
}
