package manifest

import "bytes"

// validEntry reports whether region — one top-level entry of a document
// (a plain "key:" at column 0, see topEntries) with the lines of its value —
// is written in a small subset of block YAML that every reader involved
// (yaml.v3, and yaml.v2 under sigs.k8s.io/yaml, which Argo CD uses) parses
// without error and converts to JSON without error. The strict fast reader
// (decodeFastStrict) skips such an entry unparsed and still knows that the
// full reader would accept it; anything outside the subset goes to the full
// reader. FuzzDecodeFast checks that every document the strict reader
// accepts is accepted by the full reader with the same result.
//
// The subset: block mappings whose keys are plain words starting with a
// letter (not a YAML 1.1 boolean or null, not longer than maxKey) and are
// not repeated; block
// sequences of scalars or of such mappings ("- key: value"), also at their
// key's indentation; single-line scalars that are plain and start with a
// letter or digit (no "#", no ": " and no ":" at the end), quoted without
// escapes, or the empty flow collections {} and []; literal and folded
// block scalars (|, >, with - or + but no indentation indicator); blank
// lines and comment lines between entries. No tabs anywhere.
func validEntry(region []byte) bool {
	if bytes.IndexByte(region, '\t') >= 0 {
		return false
	}
	v := validator{text: region}
	l, _ := v.peek()
	if !v.mapping(0, l) {
		return false
	}
	v.skip()
	return v.off == len(v.text)
}

// validPreamble reports whether the text before a document's first entry
// holds only blank and comment lines (indented by spaces only: a tab goes
// to the full reader).
func validPreamble(text []byte) bool {
	return onlyComments(text, func(l []byte) []byte {
		return bytes.TrimLeft(bytes.TrimSuffix(l, []byte("\r")), " ")
	})
}

// validator walks the lines of a region; off is the start of the current
// line.
type validator struct {
	text []byte
	off  int
}

// peek returns the current line without its line break, and the offset of
// the next line; l is nil at the end.
func (v *validator) peek() (l []byte, next int) {
	if v.off >= len(v.text) {
		return nil, v.off
	}
	rest := v.text[v.off:]
	next = len(v.text)
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest, next = rest[:i], v.off+i+1
	}
	return bytes.TrimSuffix(rest, []byte("\r")), next
}

func (v *validator) advance() {
	_, next := v.peek()
	v.off = next
}

func indentOf(l []byte) int {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	return n
}

// skip moves past blank and comment lines.
func (v *validator) skip() {
	for v.off < len(v.text) {
		l, next := v.peek()
		t := l[indentOf(l):]
		if len(t) > 0 && t[0] != '#' {
			return
		}
		v.off = next
	}
}

// content returns the next line with content after blank and comment
// lines (without moving), its indentation, and whether there is one.
func (v *validator) content() ([]byte, int, bool) {
	v.skip()
	l, _ := v.peek()
	if l == nil {
		return nil, 0, false
	}
	return l, indentOf(l), true
}

// ends reports whether the value that ended on the current line (already
// consumed) has nothing on the following lines: the next line that is not
// blank, comment or not, is indented at most ind.
func (v *validator) ends(ind int) bool {
	for off := v.off; off < len(v.text); {
		rest := v.text[off:]
		next := len(v.text)
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest, next = rest[:i], off+i+1
		}
		rest = bytes.TrimSuffix(rest, []byte("\r"))
		n := indentOf(rest)
		if n < len(rest) {
			return n <= ind
		}
		off = next
	}
	return true
}

// mapping reads a block mapping at indentation ind whose first entry is on
// the current line, starting at column ind of first.
func (v *validator) mapping(ind int, first []byte) bool {
	var seen keySet
	t := first[ind:]
	for {
		if !v.entry(ind, t, &seen) {
			return false
		}
		l, n, ok := v.content()
		if !ok || n < ind {
			return true
		}
		if n > ind || isSeqItem(l[n:]) {
			return false
		}
		t = l[n:]
	}
}

// entry reads "key: value" (t starts at the key, column ind of the current
// line) and the lines of its value.
func (v *validator) entry(ind int, t []byte, seen *keySet) bool {
	k, rest, ok := validKey(t)
	if !ok || !seen.add(k) {
		return false
	}
	v.advance()
	if len(rest) == 0 {
		l, n, ok := v.content()
		switch {
		case !ok:
			return true // null
		case n > ind && isSeqItem(l[n:]), n == ind && isSeqItem(l[n:]):
			return v.sequence(n)
		case n > ind:
			return v.mapping(n, l)
		}
		return true // null
	}
	if rest[0] == '|' || rest[0] == '>' {
		if len(rest) > 2 || len(rest) == 2 && rest[1] != '-' && rest[1] != '+' {
			return false
		}
		return v.blockScalar(ind)
	}
	return validScalar(rest) && v.ends(ind)
}

// sequence reads a block sequence whose items start at column ind.
func (v *validator) sequence(ind int) bool {
	for {
		l, _ := v.peek()
		rest := l[ind+1:]
		col := ind + 1 + indentOf(rest)
		t := l[col:]
		if col == ind+1 || len(t) == 0 || isSeqItem(t) {
			return false // "-" alone, "-x", nested sequences
		}
		if _, _, isKey := validKey(t); isKey {
			if !v.mapping(col, l) {
				return false
			}
		} else {
			if !validScalar(t) {
				return false
			}
			v.advance()
			if !v.ends(ind) {
				return false
			}
		}
		l, n, ok := v.content()
		if !ok || n < ind {
			return true
		}
		if n > ind || !isSeqItem(l[n:]) {
			// a key at the sequence's indentation ends a sequence written
			// at its key's indentation; the caller checks it
			return n == ind
		}
	}
}

// blockScalar reads the lines of a literal or folded scalar whose header
// (already consumed) ended a key at indentation ind.
func (v *validator) blockScalar(ind int) bool {
	m := -1 // the content's indentation
	for v.off < len(v.text) {
		l, next := v.peek()
		n := indentOf(l)
		if n == len(l) {
			if m < 0 && n > 0 {
				return false // leading lines of spaces only: left to the full reader
			}
			v.off = next
			continue
		}
		if m < 0 {
			if n <= ind {
				return true // empty scalar
			}
			m = n
		}
		if n < m {
			return n <= ind
		}
		v.off = next
	}
	return true
}

// validKey splits "key:" or "key: rest" where key is a plain word that
// starts with a letter, is not a YAML 1.1 boolean or null and is not too
// long to be a key (maxKey); rest is trimmed.
func validKey(t []byte) ([]byte, []byte, bool) {
	i := 0
	for i < len(t) {
		c := t[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/' || c == '_') {
			i++
			continue
		}
		break
	}
	if i == 0 || i > maxKey || i >= len(t) || t[i] != ':' || i+1 < len(t) && t[i+1] != ' ' || yaml11Word(t[:i]) {
		return nil, nil, false
	}
	return t[:i], bytes.Trim(t[i+1:], " "), true
}

// validScalar reports whether a single-line scalar (trimmed) is one every
// reader accepts: a plain scalar of printable ASCII that starts with a
// letter or digit (or "-" and a letter, digit or "-"), with no "#", no ": "
// and no ":" at its end; a double-quoted string without escapes or a
// single-quoted one without quotes inside; or a flow collection on the line
// (validFlow).
func validScalar(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	switch c := s[0]; {
	case c == '"' || c == '\'':
		end := bytes.IndexByte(s[1:], c)
		if end < 0 || len(bytes.TrimRight(s[end+2:], " ")) != 0 {
			return false
		}
		return c == '\'' || bytes.IndexByte(s[1:end+1], '\\') < 0
	case c == '{' || c == '[':
		return validFlow(s)
	case c == '-':
		// -1, --port; not "- " (a sequence) nor -.inf
		if len(s) < 2 || !(isAlnum(s[1]) || s[1] == '-') {
			return false
		}
	case !isAlnum(c):
		return false
	}
	for i, c := range s {
		if c < 0x20 || c >= 0x7f || c == '#' || c == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return false
		}
	}
	return true
}

// validFlow reports whether s (trimmed) is one flow mapping or sequence
// of a small subset that every reader accepts alike: "{key: node, ...}"
// and "[node, ...]", nested at most maxFlowDepth deep, where a key is as
// validKey's (a plain word starting with a letter, not a YAML 1.1 boolean
// or null, not repeated in its mapping) followed by ": ", and a node is a
// flow collection, a quoted string as validScalar's, or a plain word of
// letters, digits and "-._/+=" that starts with a letter or digit (or "-"
// and one), and may hold a ":" followed by a letter or digit (nginx:1.27;
// any other ":" is where YAML 1.1 and 1.2 readers part in flow context).
// Single spaces, or none, around the punctuation; no trailing comma, no
// comment, nothing after the closing bracket but spaces.
func validFlow(s []byte) bool {
	f := flowScanner{s: bytes.TrimRight(s, " ")}
	return f.node(0) && f.i == len(f.s)
}

const maxFlowDepth = 8

type flowScanner struct {
	s []byte
	i int
}

func (f *flowScanner) space() {
	if f.i < len(f.s) && f.s[f.i] == ' ' {
		f.i++
	}
}

func (f *flowScanner) node(depth int) bool {
	if f.i >= len(f.s) {
		return false
	}
	switch c := f.s[f.i]; {
	case c == '{' || c == '[':
		if depth >= maxFlowDepth {
			return false
		}
		return f.collection(depth+1, c+2)
	case c == '"' || c == '\'':
		end := bytes.IndexByte(f.s[f.i+1:], c)
		if end < 0 || c == '"' && bytes.IndexByte(f.s[f.i+1:f.i+1+end], '\\') >= 0 {
			return false
		}
		for _, b := range f.s[f.i+1 : f.i+1+end] {
			if b < 0x20 || b >= 0x7f {
				return false
			}
		}
		f.i += end + 2
		return true
	}
	return f.word(false)
}

// collection reads a flow mapping or sequence after its opening bracket,
// up to its closing one.
func (f *flowScanner) collection(depth int, closing byte) bool {
	f.i++
	f.space()
	if f.i < len(f.s) && f.s[f.i] == closing {
		f.i++
		return true
	}
	var seen keySet
	for {
		if closing == '}' {
			start := f.i
			if !f.word(true) || !seen.add(f.s[start:f.i]) || yaml11Word(f.s[start:f.i]) {
				return false
			}
			if f.i+1 >= len(f.s) || f.s[f.i] != ':' || f.s[f.i+1] != ' ' {
				return false
			}
			f.i += 2
		}
		if !f.node(depth) {
			return false
		}
		f.space()
		if f.i >= len(f.s) {
			return false
		}
		switch f.s[f.i] {
		case closing:
			f.i++
			return true
		case ',':
			f.i++
			f.space()
			if f.i < len(f.s) && (f.s[f.i] == closing || f.s[f.i] == ',') {
				return false // trailing or doubled comma
			}
		default:
			return false
		}
	}
}

// word reads a plain scalar of the subset (a key when key is set: it
// starts with a letter and stops before ":").
func (f *flowScanner) word(key bool) bool {
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		first := f.i == start
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9':
			if key && first {
				return false
			}
		case c == '-':
			if first && (key || f.i+1 >= len(f.s) || !isAlnum(f.s[f.i+1])) {
				return false
			}
		case c == '.' || c == '_' || c == '/' || (!key && (c == '+' || c == '=')):
			if first {
				return false
			}
		case c == ':' && !key && !first && f.i+1 < len(f.s) && isAlnum(f.s[f.i+1]):
			// nginx:1.27: a ":" followed by a letter or digit continues
			// a plain scalar in flow context for YAML 1.1 and 1.2 alike
		default:
			n := f.i - start
			return n > 0 && n <= maxKey
		}
		f.i++
	}
	n := f.i - start
	return n > 0 && n <= maxKey
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// keySet is the keys of one mapping: in place while few.
type keySet struct {
	few [8][]byte
	n   int
	m   map[string]bool
}

// has reports whether k is in the set.
func (s *keySet) has(k string) bool {
	if s.m != nil {
		return s.m[k]
	}
	for _, e := range s.few[:s.n] {
		if string(e) == k {
			return true
		}
	}
	return false
}

// add records k and reports false when it was already there.
func (s *keySet) add(k []byte) bool {
	if s.m != nil {
		if s.m[string(k)] {
			return false
		}
		s.m[string(k)] = true
		return true
	}
	for _, e := range s.few[:s.n] {
		if bytes.Equal(e, k) {
			return false
		}
	}
	if s.n < len(s.few) {
		s.few[s.n] = k
		s.n++
		return true
	}
	s.m = make(map[string]bool, 2*len(s.few))
	for _, e := range s.few {
		s.m[string(e)] = true
	}
	s.m[string(k)] = true
	return true
}
