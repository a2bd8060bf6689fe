package health

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/syncwave/syncwave/internal/sandbox"
)

// TestReadConfigMapRefusesFIFO: an argocd-cm path that is a FIFO (as a file,
// or inside a mounted directory) is refused at once instead of blocking.
func TestReadConfigMapRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "argocd-cm.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	mounted := filepath.Join(dir, "mount")
	if err := os.Mkdir(mounted, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(mounted, "resource.customizations"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, mounted} {
		done := make(chan error, 1)
		go func() { _, err := ReadConfigMap(p); done <- err }()
		select {
		case err := <-done:
			if p == fifo && !errors.Is(err, sandbox.ErrNotRegular) {
				t.Errorf("%s: %v, want %v", p, err, sandbox.ErrNotRegular)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ReadConfigMap blocks", p)
		}
	}
}
