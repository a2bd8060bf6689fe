package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcFloor is how much the heap of generate may grow before its first
// garbage collection.
const gcFloor = 16 << 20

// deferGC lets the heap grow by about floor bytes before the next garbage
// collection, then hands the collector back to its usual pacing (GOGC).
// generate is a short process: a small application's rendering makes a
// few MB of garbage, which Go would otherwise collect several times (a
// third of the CPU time of a generation of 200 manifests); a large one is
// collected as before once past floor, so its peak memory grows by at most
// about floor. The memory limit (sandbox.Watch) still applies. The returned
// function restores the collector if no collection ran.
func deferGC(floor int64) (restore func()) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := int64(1 << 20)
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = max(live, int64(s[0].Value.Uint64()))
	}
	lax := int(floor * 100 / live)
	pct := debug.SetGCPercent(lax)
	if pct < 0 || pct >= lax {
		debug.SetGCPercent(pct) // GOGC=off, or already as lax
		return func() {}
	}
	var once sync.Once
	restore = func() { once.Do(func() { debug.SetGCPercent(pct) }) }
	// The next collection frees the sentinel and runs its cleanup, which
	// restores GOGC's pacing.
	sentinel := new(struct{ _ *int })
	runtime.AddCleanup(sentinel, func(struct{}) { restore() }, struct{}{})
	return restore
}
