package seal

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The sealing runs in a child process (this test binary run again with
// sealChild set): a sealed test process could not go on testing.
const sealChild = "SYNCWAVE_SEAL_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(sealChild); dir != "" {
		os.Exit(child(dir))
	}
	os.Exit(m.Run())
}

// probe is what the child found after sealing: each attempt's error, ""
// when it succeeded.
type probe struct {
	Report       string
	Missing      string
	ReadInside   string
	ReadOutside  string
	ReadProc     string
	WriteInside  string
	WriteTmp     string
	Exec         string
	DialTCP      string
	SocketUDP    string
	SocketInet6  string
	SocketUnix   string
	SocketNetlnk string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func child(arg string) int {
	inside, outside, _ := strings.Cut(arg, "|")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	r := Seal(Config{Read: []string{inside}})
	var p probe
	p.Report = r.String()
	p.Missing = errText(r.Missing())
	_, err = os.ReadFile(filepath.Join(inside, "in.txt"))
	p.ReadInside = errText(err)
	_, err = os.ReadFile(filepath.Join(outside, "out.txt"))
	p.ReadOutside = errText(err)
	_, err = os.ReadFile("/proc/self/environ")
	p.ReadProc = errText(err)
	p.WriteInside = errText(os.WriteFile(filepath.Join(inside, "new.txt"), []byte("x"), 0o644))
	p.WriteTmp = errText(os.WriteFile(filepath.Join(os.TempDir(), "syncwave-seal-test"), []byte("x"), 0o644))
	p.Exec = errText(exec.Command("/bin/true").Run())
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err == nil {
		c.Close()
	}
	p.DialTCP = errText(err)
	sock := func(family, typ int) string {
		fd, err := syscall.Socket(family, typ, 0)
		if err == nil {
			syscall.Close(fd)
		}
		return errText(err)
	}
	p.SocketUDP = sock(syscall.AF_INET, syscall.SOCK_DGRAM)
	p.SocketInet6 = sock(syscall.AF_INET6, syscall.SOCK_STREAM)
	p.SocketUnix = sock(syscall.AF_UNIX, syscall.SOCK_STREAM)
	p.SocketNetlnk = sock(syscall.AF_NETLINK, syscall.SOCK_RAW)
	_ = json.NewEncoder(os.Stdout).Encode(p)
	return 0
}

func TestSealInChild(t *testing.T) {
	inside, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(inside, "in.txt"), []byte("in"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "out.txt"), []byte("out"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sealChild+"="+inside+"|"+outside)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	t.Logf("sandbox: %s", p.Report)
	if p.Missing != "" {
		// This machine's kernel offers both layers; a kernel without
		// them cannot prove anything here.
		t.Fatalf("layers missing on this kernel: %s", p.Missing)
	}
	if p.ReadInside != "" || p.SocketUnix != "" {
		t.Errorf("allowed access failed: read inside %q, unix socket %q", p.ReadInside, p.SocketUnix)
	}
	for name, got := range map[string]string{
		"read a file outside": p.ReadOutside, "read /proc/self/environ": p.ReadProc,
		"write inside": p.WriteInside, "write TMPDIR": p.WriteTmp, "exec": p.Exec,
		"TCP connect": p.DialTCP, "UDP socket": p.SocketUDP, "IPv6 socket": p.SocketInet6,
		"netlink socket": p.SocketNetlnk,
	} {
		if got == "" {
			t.Errorf("%s succeeded after sealing", name)
		} else if !strings.Contains(got, "permission denied") {
			t.Errorf("%s: %s, expected permission denied", name, got)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Degrade, "require": Require, " Off ": Off} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseMode("strict"); err == nil {
		t.Error("ParseMode(strict): no error")
	}
}

func TestReportString(t *testing.T) {
	r := Report{LandlockABI: 7, Seccomp: true}
	if got, want := r.String(), "landlock ABI 7 (fs read-only, tcp, scoped: abstract unix, signals), seccomp (socket: unix only, no io_uring)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	r = Report{LandlockABI: 3, SeccompErr: fmt.Errorf("seccomp(2) refused")}
	if got := r.String(); !strings.Contains(got, "landlock ABI 3 (fs read-only)") || !strings.Contains(got, "missing: seccomp (seccomp(2) refused)") {
		t.Errorf("got %q", got)
	}
}
