package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gcPercent reads GOGC's percentage.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestDeferGC: deferGC raises the percentage so that the heap may grow by
// about the floor, and the first collection restores it; so does the
// returned function. GOGC=off stays off.
func TestDeferGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	// The floor must exceed the live heap that the package's other tests
	// left, or deferGC rightly keeps GOGC's pacing.
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	floor := max(int64(16<<20), 4*int64(s[0].Value.Uint64()))
	restore := deferGC(floor)
	if p := gcPercent(); p <= 100 {
		t.Fatalf("GOGC %d after deferGC, want more than 100", p)
	}
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for gcPercent() != 100 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after the first collection, want 100 again", p)
	}
	restore()

	restore = deferGC(floor)
	restore()
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after restore, want 100", p)
	}

	debug.SetGCPercent(-1)
	restore = deferGC(floor)
	if p := gcPercent(); p != -1 {
		t.Errorf("GOGC %d after deferGC with GOGC=off, want -1 (off)", p)
	}
	restore()
}
