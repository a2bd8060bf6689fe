package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Limits of what a download reads. An index file is parsed whole and costs
// many times its size in memory, so its limit follows the memory budget
// (FetchOptions.MaxIndexSize); the others are fixed.
const (
	// DefaultMaxIndexSize is the index limit without a memory budget.
	DefaultMaxIndexSize int64 = 64 << 20
	// maxArchiveSize bounds a chart archive (an OCI chart layer too).
	maxArchiveSize int64 = 64 << 20
	// maxOCIMetadataSize bounds an OCI manifest, config blob or one page of
	// a tag list.
	maxOCIMetadataSize int64 = 4 << 20
	// maxTagPages and maxTagBytes bound the tag list of one repository:
	// the pages a registry may answer with, and their total size.
	maxTagPages       = 50
	maxTagBytes int64 = 8 << 20
)

// IndexSizeFor returns the index size limit under a memory budget (0: no
// budget): a 48th of the budget (parsing an index takes 20 to 100 times
// its size), from 2 MiB to DefaultMaxIndexSize.
func IndexSizeFor(budget int64) int64 {
	if budget <= 0 {
		return DefaultMaxIndexSize
	}
	return min(max(budget/48, 2<<20), DefaultMaxIndexSize)
}

// LimitExceededError is a download larger than its limit.
type LimitExceededError struct {
	What  string // "index", "chart archive", ...
	URL   string // redacted
	Limit int64
	Pages int // for a tag list: the page limit that was passed, else 0
}

func (e *LimitExceededError) Error() string {
	if e.Pages > 0 {
		return fmt.Sprintf("%s %s: more than %d pages; syncwave reads at most %d", e.What, e.URL, e.Pages, e.Pages)
	}
	return fmt.Sprintf("%s %s: larger than %s, the limit of a download", e.What, e.URL, formatBytes(e.Limit))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// boundTransport binds every request to the download's context, whatever
// context its caller used (Helm's registry client uses
// context.Background()), so that no request outlives the command's
// deadline; and, for OCI registries, limits what each response may hold
// (limits != nil).
type boundTransport struct {
	ctx    context.Context
	next   http.RoundTripper
	limits *ociLimits
}

// bindClient returns a copy of c whose requests are bound to ctx.
func bindClient(ctx context.Context, c *http.Client, limits *ociLimits) *http.Client {
	cl := *c
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cl.Transport = &boundTransport{ctx: ctx, next: next, limits: limits}
	return &cl
}

func (t *boundTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.ctx.Err(); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, t.deadlineError(r, err)
	}
	limit, what := int64(0), ""
	if t.limits != nil {
		var err error
		if limit, what, err = t.limits.admit(r); err != nil {
			if r.Body != nil {
				r.Body.Close()
			}
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		if t.ctx.Err() != nil {
			return nil, t.deadlineError(r, t.ctx.Err())
		}
		return nil, err
	}
	if limit > 0 && resp.ContentLength > limit {
		resp.Body.Close()
		stop()
		cancel()
		return nil, &LimitExceededError{What: what, URL: redact(r.URL.String()), Limit: limit}
	}
	resp.Body = &boundBody{ReadCloser: resp.Body, t: t, r: r, limit: limit, what: what, done: func() { stop(); cancel() }}
	return resp, nil
}

// deadlineError names the host that did not answer in time.
func (t *boundTransport) deadlineError(r *http.Request, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no complete answer from %s before the deadline: %w", r.URL.Host, err)
	}
	return err
}

// boundBody ends the request's context when closed, turns a read cut by
// the deadline into a message naming the host, and enforces the limit.
type boundBody struct {
	io.ReadCloser
	t     *boundTransport
	r     *http.Request
	limit int64
	what  string
	n     int64
	once  sync.Once
	done  func()
}

func (b *boundBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.limit > 0 && b.n > b.limit {
		return 0, &LimitExceededError{What: b.what, URL: redact(b.r.URL.String()), Limit: b.limit}
	}
	if b.t.limits != nil && b.what == "tag list" {
		if err := b.t.limits.countTagBytes(b.r, int64(n)); err != nil {
			return 0, err
		}
	}
	if err != nil && err != io.EOF && b.t.ctx.Err() != nil {
		return n, b.t.deadlineError(b.r, b.t.ctx.Err())
	}
	return n, err
}

func (b *boundBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// ociLimits counts the tag-list pages and bytes of a download and gives
// each registry response its size limit, by the path of the request
// (the OCI distribution API: /v2/<name>/tags/list, /manifests/, /blobs/).
type ociLimits struct {
	mu       sync.Mutex
	pages    map[string]int
	tagBytes map[string]int64
}

func newOCILimits() *ociLimits {
	return &ociLimits{pages: map[string]int{}, tagBytes: map[string]int64{}}
}

func (l *ociLimits) admit(r *http.Request) (int64, string, error) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/tags/list"):
		key := r.URL.Host + p
		l.mu.Lock()
		l.pages[key]++
		n := l.pages[key]
		l.mu.Unlock()
		if n > maxTagPages {
			return 0, "", &LimitExceededError{What: "tag list", URL: redact(r.URL.Scheme + "://" + r.URL.Host + p), Pages: maxTagPages}
		}
		return maxOCIMetadataSize, "tag list", nil
	case strings.Contains(p, "/manifests/"):
		return maxOCIMetadataSize, "manifest", nil
	case strings.Contains(p, "/blobs/"):
		return maxArchiveSize, "blob", nil
	}
	return maxOCIMetadataSize, "registry response", nil
}

func (l *ociLimits) countTagBytes(r *http.Request, n int64) error {
	key := r.URL.Host + r.URL.Path
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tagBytes[key] += n
	if l.tagBytes[key] > maxTagBytes {
		return &LimitExceededError{What: "tag list", URL: redact(r.URL.Scheme + "://" + r.URL.Host + r.URL.Path), Limit: maxTagBytes}
	}
	return nil
}
