// Package sandbox holds the process-wide containment of a rendering: no
// network, a memory budget watched while the rendering runs, and the size
// parsing of the limits. The CLI installs it for the commands that render
// (render, plan, generate, parameters); init keeps its own HTTP client.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syncwave/syncwave/internal/sealproof"
)

// ErrNetwork is what every network access fails with while rendering.
var ErrNetwork = errors.New("network access is disabled while rendering (syncwave renders from the repository alone)")

// directTransport is http.DefaultTransport as the process started, before
// any refusal was installed: the transport of init's own client.
var directTransport = http.DefaultTransport

// Client returns an HTTP client that does not go through the refusing
// defaults: for init, the only command that downloads.
func Client(timeout time.Duration) *http.Client {
	t, ok := directTransport.(*http.Transport)
	if !ok {
		return &http.Client{Timeout: timeout, Transport: directTransport}
	}
	return &http.Client{Timeout: timeout, Transport: t.Clone()}
}

type refusing struct{}

func (refusing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Redacted(), ErrNetwork)
}

var (
	netMu    sync.Mutex
	netDepth int
	netSaved struct {
		transport http.RoundTripper
		client    *http.Client
		resolver  *net.Resolver
		git       string
		gitSet    bool
	}
)

// gitProtocols is what GIT_ALLOW_PROTOCOL is set to while the network is
// refused: a protocol that does not exist, so a git process (kustomize
// clones remote bases with the git binary) may use none.
const gitProtocols = "none"

// DenyNetwork makes http.DefaultTransport and http.DefaultClient (which
// every library client without a transport of its own uses, kustomize's
// remote file loader included) and net.DefaultResolver refuse, sets
// GIT_ALLOW_PROTOCOL so that a git child process may use no protocol, and
// returns the function that restores them. It does not depend on any
// library checking a URL first. Calls nest: the last restore restores. A
// restore that is never called (a rendering abandoned on a limit) leaves
// the network refused, which is the safe side.
func DenyNetwork() (restore func()) {
	if sealproof.Enabled {
		return func() {}
	}
	netMu.Lock()
	defer netMu.Unlock()
	if netDepth == 0 {
		netSaved.transport, netSaved.client, netSaved.resolver = http.DefaultTransport, http.DefaultClient, net.DefaultResolver
		netSaved.git, netSaved.gitSet = os.LookupEnv("GIT_ALLOW_PROTOCOL")
		http.DefaultTransport = refusing{}
		http.DefaultClient = &http.Client{Transport: refusing{}}
		net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, ErrNetwork
		}}
		os.Setenv("GIT_ALLOW_PROTOCOL", gitProtocols)
	}
	netDepth++
	var once sync.Once
	return func() {
		once.Do(func() {
			netMu.Lock()
			defer netMu.Unlock()
			if netDepth--; netDepth > 0 {
				return
			}
			http.DefaultTransport, http.DefaultClient, net.DefaultResolver = netSaved.transport, netSaved.client, netSaved.resolver
			if netSaved.gitSet {
				os.Setenv("GIT_ALLOW_PROTOCOL", netSaved.git)
			} else {
				os.Unsetenv("GIT_ALLOW_PROTOCOL")
			}
		})
	}
}

// MemoryError is the cause a watched context is cancelled with when the
// memory budget is exceeded.
type MemoryError struct {
	Budget, Used int64
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("memory budget of %s exceeded (%s in use)", FormatSize(e.Budget), FormatSize(e.Used))
}

var watchSamples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
	{Name: "/memory/classes/os-stacks:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// usage returns the live heap plus stacks, and the memory the runtime holds
// from the OS.
func usage() (live, held int64) {
	s := make([]metrics.Sample, len(watchSamples))
	copy(s, watchSamples)
	metrics.Read(s)
	v := func(i int) int64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[i].Value.Uint64())
	}
	return v(0) + v(1) + v(2), v(3) - v(4)
}

// WatchInterval is how often the budget is checked.
const WatchInterval = 5 * time.Millisecond

// headroom is the part of the budget kept free of the watch's limit: what
// the process may still take between a check and its exit (one interval
// of allocation, the copy of a growing stack or buffer that is under way).
func headroom(budget int64) int64 { return min(max(budget/8, 16<<20), 128<<20) }

// Watch runs until stop is called, cancelling with a *MemoryError when the
// process's resident memory (the kernel's count, /proc/self/statm, which
// is what a container's limit counts), the memory the Go runtime holds
// from the OS or the live heap and stacks pass the budget less a headroom
// (an eighth, from 16Mi to 128Mi), so that the peak resident memory stays
// within the budget although the process only stops after the check. It
// sets the Go runtime's soft memory limit to three quarters of the budget,
// so the collector works harder well before it, and the maximum goroutine
// stack above it, so that a runaway recursion is stopped by the budget and
// not by Go's fatal stack overflow. A budget <= 0 watches nothing.
func Watch(cancel context.CancelCauseFunc, budget int64) (stop func()) {
	if budget <= 0 {
		return func() {}
	}
	limit := budget - headroom(budget)
	oldLimit := debug.SetMemoryLimit(budget / 4 * 3)
	oldStack := debug.SetMaxStack(int(max(2*budget, 1<<30)))
	// Opened once: the check reads it again (pread) without a path lookup,
	// which a sealed process might not be allowed.
	statm, _ := os.Open("/proc/self/statm")
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(WatchInterval)
		defer t.Stop()
		for {
			live, held := usage()
			rss := residentBytes(statm)
			if live > limit || held > limit || rss > limit {
				cancel(&MemoryError{Budget: budget, Used: max(live, held, rss)})
				return
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if statm != nil {
			statm.Close()
		}
		debug.SetMemoryLimit(oldLimit)
		debug.SetMaxStack(oldStack)
	}
}

var pageSize = int64(os.Getpagesize())

// residentBytes reads the resident set size from an open
// /proc/self/statm ("size resident shared ..." in pages); 0 when f is nil
// or unreadable.
func residentBytes(f *os.File) int64 {
	if f == nil {
		return 0
	}
	var buf [128]byte
	n, err := f.ReadAt(buf[:], 0)
	if n == 0 && err != nil {
		return 0
	}
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * pageSize
}

// ParseSize reads a byte size: a number of bytes, or a number with a unit
// (K, M, G, T with optional i and B: 512Mi, 1GiB, 2G; KB, MB, GB are
// powers of 1000). "0" or "off" means no limit (returned as 0).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "off") || t == "0" {
		return 0, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, errors.New("expected a size such as 512Mi, 1Gi, a number of bytes, or off")
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "ki": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mi": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gi": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "ti": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q (expected Ki, Mi, Gi, Ti, KB, MB, GB or TB)", t[i:])
	}
	v := f * mult
	if v < 1 || v > 1<<62 {
		return 0, errors.New("out of range")
	}
	return int64(v), nil
}

// FormatSize prints a byte size the way ParseSize reads it.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGi", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMi", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMi", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%dKi", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// LimitError is returned by a LimitWriter past its limit.
type LimitError struct{ Limit int64 }

func (e *LimitError) Error() string {
	return fmt.Sprintf("output exceeds the limit of %s", FormatSize(e.Limit))
}

// LimitWriter is a writer that fails once more than Limit bytes were
// written to it (Limit <= 0: no limit).
type LimitWriter struct {
	W     interface{ Write([]byte) (int, error) }
	Limit int64
	n     int64
}

func (w *LimitWriter) Write(p []byte) (int, error) {
	if w.Limit > 0 && w.n+int64(len(p)) > w.Limit {
		return 0, &LimitError{Limit: w.Limit}
	}
	n, err := w.W.Write(p)
	w.n += int64(n)
	return n, err
}

// Grow passes a size hint to the underlying writer when it takes one (a
// bytes.Buffer: the whole output is then copied once instead of through
// repeated doublings). A hint past the limit is dropped: that write fails.
func (w *LimitWriter) Grow(n int) {
	if w.Limit > 0 && w.n+int64(n) > w.Limit {
		return
	}
	if g, ok := w.W.(interface{ Grow(int) }); ok {
		g.Grow(n)
	}
}
