package redact

import (
	"bytes"
	"strings"
	"testing"

	_ "github.com/syncwave/syncwave/internal/golden"
)

func TestRedact(t *testing.T) {
	var s Secrets
	s.Add("hunter2-long-password", "tok3n", "ab", "a\"quoted\"secret", "line-one-of\nline-two-of-it")
	for _, tc := range []struct{ in, want string }{
		{"wrong password hunter2-long-password here", "wrong password *** here"},
		{"auth 'hunter2-long-password' does not conform", "auth '***' does not conform"},
		{"token tok3n refused", "token *** refused"},
		{"tok3nizer and mytok3n stay", "tok3nizer and mytok3n stay"},
		{"(tok3n)", "(***)"},
		{"ab is too short to mask", "ab is too short to mask"},
		{`value "a\"quoted\"secret"`, `value "***"`},
		{"url-escaped hunter2-long-password%21", "url-escaped ***%21"},
		{"line-two-of-it leaked", "*** leaked"},
		{"get https://user:pw@charts.example.com/x/index.yaml?token=abc&b=1: 401", "get https://user:***@charts.example.com/x/index.yaml?token=***&b=***: 401"},
		{"get https://ghp_token@example.com/a.", "get https://***@example.com/a."},
		{"oci://registry.example.com/charts stays", "oci://registry.example.com/charts stays"},
		{"no urls here", "no urls here"},
	} {
		if got := s.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactRejoined(t *testing.T) {
	var s Secrets
	s.Add("xx*****yy-long")
	in := "xx*xx*****yy-long****yy-long"
	if got := s.Redact(in); strings.Contains(got, "xx*****yy-long") {
		t.Fatalf("Redact(%q) = %q", in, got)
	}
}

func TestWriterSplitWrites(t *testing.T) {
	var s Secrets
	s.Add("split-across-writes")
	var out bytes.Buffer
	w := NewWriter(&out, &s)
	for _, p := range []string{"Error: split-acr", "oss-writes in\nWarning: part", "ial split-across-writes"} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(out.String(), "Warning") {
		t.Fatalf("an unfinished line was written: %q", out.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "Error: *** in\nWarning: partial ***"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// FuzzRedact: Redact never panics, never outputs a registered secret of
// WordLen or more, nor one of MinLen or more standing as a word, and
// leaves a message without secrets or URLs as it is.
func FuzzRedact(f *testing.F) {
	f.Add("password hunter2-long-password in https://u:p@h/x?t=1", "hunter2-long-password")
	f.Add("xx*xx*****yy-long****yy-long", "xx*****yy-long")
	f.Add("auth 'tok3n' does not conform", "tok3n")
	f.Add("a\nb://@?#&=", "\n\n\n\n")
	f.Fuzz(func(t *testing.T, msg, secret string) {
		var s Secrets
		s.Add(secret)
		got := s.Redact(msg)
		for _, v := range s.values {
			if len(v) >= WordLen && strings.Contains(got, v) {
				t.Fatalf("Redact(%q) with %q = %q, holds %q", msg, secret, got, v)
			}
			if len(v) >= MinLen && maskWords(got, v) != got {
				t.Fatalf("Redact(%q) with %q = %q, holds the word %q", msg, secret, got, v)
			}
		}
		if len(s.values) == 0 && !strings.Contains(msg, "://") && got != msg {
			t.Fatalf("Redact(%q) changed a message with nothing to hide: %q", msg, got)
		}
		var out bytes.Buffer
		w := NewWriter(&out, &s)
		half := len(msg) / 2
		w.Write([]byte(msg[:half]))
		w.Write([]byte(msg[half:]))
		w.Flush()
		for _, v := range s.values {
			if len(v) >= WordLen && strings.Contains(out.String(), v) {
				t.Fatalf("Writer wrote %q with %q: holds %q", out.String(), secret, v)
			}
		}
	})
}
