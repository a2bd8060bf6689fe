package manifest

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// lexer follows a YAML document line by line just far enough to know, at
// the start of each line, whether the line is inside a quoted scalar, a flow
// collection ([...] or {...}) or a block scalar (| or >). The fast reader
// trusts a line at column 0 (or at a mapping's indentation) to be a key only
// when the lexer says it is outside all of those: a quoted scalar that
// continues at column 0 can hold text that looks like "kind: Secret".
//
// It is conservative: anything it does not follow exactly (a directive, an
// explicit indentation indicator, text after a closed quote or bracket, a
// quote where a plain scalar continues) makes it fail, and the document goes
// to the full reader.
type lexer struct {
	quote byte // '"' or '\'' inside a quoted scalar, else 0
	flow  int  // depth of flow collections
	block int  // inside a block scalar: content is indented more than this; else -1
	plain int  // a plain scalar may continue on lines indented more than this; else -1
}

func newLexer() lexer { return lexer{block: -1, plain: -1} }

// clean reports whether the lexer is in block context, outside any quoted
// scalar or flow collection.
func (s *lexer) clean() bool { return s.quote == 0 && s.flow == 0 }

// line reads one line (without its line break). It returns false when it
// cannot follow the line.
func (s *lexer) line(l []byte) bool {
	l = bytes.TrimSuffix(l, []byte("\r"))
	ind := 0
	for ind < len(l) && l[ind] == ' ' {
		ind++
	}
	if s.block >= 0 {
		if ind == len(l) || ind > s.block {
			return true
		}
		s.block = -1
	}
	if !s.clean() {
		return s.inline(l, 0)
	}
	if ind == len(l) || l[ind] == '#' {
		return true
	}
	if s.plain >= 0 && ind > s.plain {
		// the continuation of a plain scalar: text, whatever it holds
		return true
	}
	s.plain = -1
	return s.node(l, ind, ind)
}

// node reads from a node's start at l[pos] in block context; col is the
// column of the collection entry the node belongs to.
func (s *lexer) node(l []byte, pos, col int) bool {
	value := false // after a key's ": "
	for {
		for pos < len(l) && l[pos] == ' ' {
			pos++
		}
		if pos == len(l) {
			return true
		}
		c := l[pos]
		switch c {
		case '#':
			return true
		case '-', '?', ':':
			if pos+1 == len(l) || l[pos+1] == ' ' {
				if c == '-' {
					col = pos
				}
				value = c == ':'
				pos++
				continue
			}
		case '"', '\'':
			s.quote = c
			return s.inline(l, pos+1)
		case '[', '{':
			s.flow = 1
			return s.inline(l, pos+1)
		case '|', '>':
			for pos++; pos < len(l) && (l[pos] == '+' || l[pos] == '-'); pos++ {
			}
			for pos < len(l) && l[pos] == ' ' {
				pos++
			}
			if pos < len(l) && l[pos] != '#' {
				return false // an indentation indicator, or text after the header
			}
			s.block = col
			return true
		case '&', '!':
			for pos < len(l) && l[pos] != ' ' {
				pos++
			}
			continue
		case '%', '@', '`', '\t':
			return false
		}
		if value {
			// A plain value after a key: it runs to the end of the line
			// (another ": " there is not YAML).
			s.plain = col
			return true
		}
		// A plain scalar, or a plain key followed by ": ".
		start := pos
		pos = plainEnd(l, pos)
		if pos < 0 {
			return true // a comment ends the line
		}
		if pos == len(l) {
			s.plain = col
			return true
		}
		col = start
		pos++
		value = true
	}
}

// plainEnd returns the position of the ": " (or ":" at the end of the line)
// that ends a plain key starting at l[pos], len(l) when the plain scalar
// runs to the end of the line, or -1 when a comment (" #") comes first.
func plainEnd(l []byte, pos int) int {
	from := pos
	for {
		i := bytes.IndexByte(l[pos:], ':')
		if i < 0 {
			if bytes.Contains(l[from:], []byte(" #")) {
				return -1
			}
			return len(l)
		}
		pos += i
		if pos+1 == len(l) || l[pos+1] == ' ' {
			if bytes.Contains(l[from:pos], []byte(" #")) {
				return -1
			}
			return pos
		}
		pos++
	}
}

// inline continues a quoted scalar or flow collection from l[pos].
func (s *lexer) inline(l []byte, pos int) bool {
	for pos < len(l) {
		switch s.quote {
		case '"':
			i := bytes.IndexAny(l[pos:], "\"\\")
			if i < 0 {
				return true
			}
			pos += i
			if l[pos] == '\\' {
				pos += 2
				continue
			}
			s.quote = 0
			pos++
			if s.flow == 0 {
				return s.after(l, pos)
			}
			continue
		case '\'':
			i := bytes.IndexByte(l[pos:], '\'')
			if i < 0 {
				return true
			}
			pos += i + 1
			if pos < len(l) && l[pos] == '\'' {
				pos++
				continue
			}
			s.quote = 0
			if s.flow == 0 {
				return s.after(l, pos)
			}
			continue
		}
		c := l[pos]
		switch c {
		case '"', '\'':
			if pos == 0 || bytes.IndexByte([]byte(" [{,:"), l[pos-1]) >= 0 {
				s.quote = c
			}
		case '[', '{':
			s.flow++
		case ']', '}':
			s.flow--
			if s.flow == 0 {
				return s.after(l, pos+1)
			}
		case '#':
			if pos == 0 || l[pos-1] == ' ' {
				return true
			}
		}
		pos++
	}
	return true
}

// after reads what follows a quoted scalar or flow collection that closed in
// block context: nothing, a comment, or ": " and a value (it was a key).
func (s *lexer) after(l []byte, pos int) bool {
	for pos < len(l) && l[pos] == ' ' {
		pos++
	}
	switch {
	case pos == len(l) || l[pos] == '#':
		return true
	case l[pos] == ':' && (pos+1 == len(l) || l[pos+1] == ' '):
		return s.node(l, pos+1, pos)
	}
	return false
}

// plainText reports whether text holds only what YAML reads the same way
// whatever the reader: valid UTF-8, printable characters, tabs, and \n or
// \r\n line breaks (no lone \r, NEL, LS or PS, no control bytes, no byte
// order mark inside).
func plainText(text []byte) bool {
	for i := 0; i < len(text); i++ {
		// eight bytes at a time while all are printable ASCII
		for i+8 <= len(text) {
			w := binary.LittleEndian.Uint64(text[i:])
			const lo, hi = 0x2020202020202020, 0x8080808080808080
			// a byte < 0x20 or >= 0x7f sets its high bit in one of these
			if ((w-lo)|(w+0x0101010101010101)|w)&hi != 0 {
				break
			}
			i += 8
		}
		if i >= len(text) {
			break
		}
		c := text[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		switch {
		case c == '\n' || c == '\t':
		case c == '\r':
			if i+1 >= len(text) || text[i+1] != '\n' {
				return false
			}
		case c < 0x80:
			return false
		default:
			r, n := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError || r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r >= 0xfffe && r <= 0xffff {
				return false
			}
			i += n - 1
		}
	}
	return true
}
