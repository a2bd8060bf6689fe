package order

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldError is a problem at one place in an ordering file. Its Error text is
// "<file>:<line>: <path>: <msg>", leaving out what is unknown. Other packages
// build FieldErrors for problems that need resources to be seen, e.g.
//
//	o.Errorf("groups[2]", "group %q selects no resource", "db")
type FieldError struct {
	File string // the ordering file as the user named it; may be empty
	Line int    // 1-based; 0 when unknown
	Path string // field path, e.g. groups[3].after[0]; empty for the document
	Msg  string
	Err  error // the underlying error, if any (Msg may then be empty)
}

func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		b.WriteString(e.Msg + ": " + e.Err.Error())
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// NewFieldError returns a FieldError with a formatted message. A %w verb in
// format wraps its argument as usual.
func NewFieldError(file string, line int, path, format string, args ...any) *FieldError {
	err := fmt.Errorf(format, args...)
	fe := &FieldError{File: file, Line: line, Path: path, Msg: err.Error()}
	if u := errors.Unwrap(err); u != nil {
		fe.Err = u
		fe.Msg = strings.TrimSuffix(strings.TrimSuffix(fe.Msg, u.Error()), ": ")
	}
	return fe
}

// errorList collects FieldErrors in the order they are found.
type errorList []*FieldError

// join returns the errors sorted by line (errors without a line last, order
// otherwise kept) as one error, or nil.
func (l errorList) join() error {
	if len(l) == 0 {
		return nil
	}
	s := slices.Clone(l)
	slices.SortStableFunc(s, func(a, b *FieldError) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = int(^uint(0) >> 1)
		}
		if lb == 0 {
			lb = int(^uint(0) >> 1)
		}
		return cmp.Compare(la, lb)
	})
	errs := make([]error, len(s))
	for i, e := range s {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// didYouMean returns ` (did you mean "x"?)` when one of known is close to
// word, else "".
func didYouMean(word string, known []string) string {
	if s := closest(word, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// closest returns the entry of known nearest to word by edit distance, when
// it is near enough to be a likely typo, else "".
func closest(word string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if k == word {
			continue
		}
		var d int
		if strings.EqualFold(k, word) {
			d = 0
		} else {
			d = levenshtein(word, k)
		}
		limit := 2
		if n := min(len(word), len(k)); n <= 4 {
			limit = 1
		}
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // not a typo; keeps the cost bounded
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList renders names as `"a", "b", "c"`.
func quoteList[S ~string](names []S) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(string(n))
	}
	return strings.Join(q, ", ")
}
