// Package redact is the one step every message passes through before it
// leaves syncwave (stderr: errors and warnings, which in the sidecar land
// in the Application's status): it scrubs the values of the credentials
// syncwave was given, and hides the user information and query values of
// every URL.
//
// Secrets are matched by value. A value shorter than MinLen is not
// matched (it would match ordinary words and make messages unreadable);
// one shorter than WordLen is matched only where it stands alone, not
// inside a longer run of letters and digits. Such short secrets are kept
// out of messages where they would arise instead: no syncwave message
// quotes a credential, and the library messages that did are replaced.
//
// It must not change output (manifests, plans), only messages. It does no
// I/O of its own and never panics.
package redact

import (
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

const (
	// MinLen is the length under which a secret is not matched by value.
	MinLen = 4
	// WordLen is the length under which a secret is matched only as a
	// whole word.
	WordLen = 8
	// Mask replaces what is hidden.
	Mask = "***"
)

// Secrets is a set of values never to print. The zero value is empty and
// ready; it is safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	values []string
	seen   map[string]bool
}

// Add registers secret values, and the forms in which messages may quote
// them (Go's %q escaping, URL escaping). Each line of a value with line
// breaks is also registered (messages are redacted line by line).
// Values shorter than MinLen, and values of nothing but the mask's
// character, are ignored.
func (s *Secrets) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		forms := []string{v, strings.TrimSpace(v)}
		if q := strconv.Quote(v); len(q) > 2 {
			forms = append(forms, q[1:len(q)-1])
		}
		forms = append(forms, url.QueryEscape(v), url.PathEscape(v))
		if strings.ContainsAny(v, "\r\n") {
			forms = append(forms, strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' })...)
		}
		for _, f := range forms {
			if len(f) < MinLen || strings.Trim(f, "*") == "" || strings.ContainsAny(f, "\r\n") || s.seen[f] {
				continue
			}
			if s.seen == nil {
				s.seen = map[string]bool{}
			}
			s.seen[f] = true
			s.values = append(s.values, f)
		}
	}
	// Longest first, so that a secret holding another is masked whole.
	sortByLength(s.values)
}

func sortByLength(v []string) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && len(v[j]) > len(v[j-1]); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// Redact returns msg with every registered secret masked and the user
// information and query values of every URL in it hidden.
func (s *Secrets) Redact(msg string) string {
	msg = URLs(msg)
	if s == nil {
		return msg
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Masking can join the text around a secret into the secret again
	// (a secret with the mask's character in it): repeat until no secret
	// is left. Each masking removes at least one character that is not
	// the mask's, so this ends.
	for changed := true; changed; {
		changed = false
		for _, v := range s.values {
			var m string
			if len(v) < WordLen {
				m = maskWords(msg, v)
			} else {
				m = strings.ReplaceAll(msg, v, Mask)
			}
			if m != msg {
				msg, changed = m, true
			}
		}
	}
	return msg
}

// maskWords masks the occurrences of v in msg that are not inside a
// longer run of letters and digits.
func maskWords(msg, v string) string {
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(msg[i:], v)
		if j < 0 {
			break
		}
		j += i
		end := j + len(v)
		if (j > 0 && isWord(msg[j-1]) && isWord(v[0])) || (end < len(msg) && isWord(msg[end]) && isWord(v[len(v)-1])) {
			b.WriteString(msg[i : j+1])
			i = j + 1
			continue
		}
		b.WriteString(msg[i:j])
		b.WriteString(Mask)
		i = end
	}
	if i == 0 {
		return msg
	}
	b.WriteString(msg[i:])
	return b.String()
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// urlPattern finds URLs in text: a scheme, "://", and what follows up to a
// space, a quote or a bracket.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>()\[\]{}` + "`" + `]+`)

// URLs hides the password (or the user name, when there is no password:
// a token) of every URL in msg, and the value of every query parameter:
// https://user:***@host/path?token=***.
func URLs(msg string) string {
	if !strings.Contains(msg, "://") {
		return msg
	}
	return urlPattern.ReplaceAllStringFunc(msg, hideURL)
}

func hideURL(s string) string {
	// Trailing punctuation belongs to the sentence, not the URL.
	trail := ""
	for len(s) > 0 && strings.ContainsRune(".,;:!", rune(s[len(s)-1])) {
		trail = s[len(s)-1:] + trail
		s = s[:len(s)-1]
	}
	scheme, rest, _ := strings.Cut(s, "://")
	auth, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth, path = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		user := auth[:at]
		if u, _, ok := strings.Cut(user, ":"); ok {
			user = u + ":" + Mask
		} else {
			user = Mask
		}
		auth = user + auth[at:]
	}
	if q := strings.IndexByte(path, '?'); q >= 0 {
		query, frag := path[q+1:], ""
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, frag = query[:h], query[h:]
		}
		parts := strings.Split(query, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[i] = k + "=" + Mask
			} else if p != "" {
				parts[i] = Mask
			}
		}
		path = path[:q+1] + strings.Join(parts, "&") + frag
	}
	return scheme + "://" + auth + path + trail
}

// Writer redacts what is written through it line by line: a line is
// passed on once it is complete, so a secret split over two writes is
// still masked. Flush passes on an unfinished last line.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	s   *Secrets
	buf []byte
}

// NewWriter returns a Writer that redacts with s and writes to w.
func NewWriter(w io.Writer, s *Secrets) *Writer { return &Writer{w: w, s: s} }

// Write buffers p and writes every complete line, redacted. It reports
// len(p) unless w fails.
func (rw *Writer) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	i := strings.LastIndexByte(string(rw.buf), '\n')
	if i < 0 {
		return len(p), nil
	}
	out := rw.redactLines(string(rw.buf[:i+1]))
	rw.buf = append(rw.buf[:0], rw.buf[i+1:]...)
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is left of an unfinished line, redacted.
func (rw *Writer) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	out := rw.redactLines(string(rw.buf))
	rw.buf = rw.buf[:0]
	_, err := io.WriteString(rw.w, out)
	return err
}

func (rw *Writer) redactLines(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = rw.s.Redact(l)
	}
	return strings.Join(lines, "")
}
