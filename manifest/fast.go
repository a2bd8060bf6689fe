package manifest

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// DecodeDocumentFast decodes a document by parsing only what syncwave reads:
// the top-level apiVersion and kind lines and the metadata block. The rest
// of the document is kept as text and never parsed, which makes it several
// times faster than DecodeDocument on rendered charts, where most bytes are
// specs and CRD schemas.
//
// It handles the common block-style shape only: every line at column 0 is
// a comment or a plain "key:" entry, keys are not repeated, metadata is a
// block mapping, and the object is neither a List (items) nor a
// CustomResourceDefinition (whose spec is read). Anything else — and any
// error — goes to DecodeDocument, so errors are DecodeDocument's. The
// result equals DecodeDocument's for every document it accepts
// (FuzzDecodeFast checks this); what it does not do is validate the YAML of
// the parts it skips.
func DecodeDocumentFast(source string, d Document) ([]*Resource, error) {
	if r, ok := decodeFast(source, d); ok {
		return []*Resource{r}, nil
	}
	return DecodeDocument(source, d)
}

// entry is one top-level key of a document and the lines of its value.
type entry struct {
	key        string
	line       int // 0-based
	start, end int // byte offsets of the entry's lines [start, end)
}

// topEntries splits a document into its top-level entries, or reports false
// when it cannot prove where they are (see decodeFast).
//
// dirty lists the offsets of the lines that start inside a quoted scalar or
// a flow collection (none of them can be a key).
func topEntries(text []byte) (entries []entry, dirty []int, ok bool) {
	if bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) || bytes.IndexByte(text, '\t') >= 0 && hasTabIndent(text) || !plainText(text) {
		return nil, nil, false
	}
	seen := map[string]bool{}
	lex := newLexer()
	off := 0
	for ln := 0; off < len(text); ln++ {
		nl := bytes.IndexByte(text[off:], '\n')
		end := len(text)
		if nl >= 0 {
			end = off + nl + 1
		}
		line := text[off:end]
		col0 := len(line) > 0 && line[0] != ' ' && line[0] != '\n' && line[0] != '\r'
		if !lex.clean() {
			if col0 {
				// a quoted scalar or flow collection continues at column 0
				return nil, nil, false
			}
			dirty = append(dirty, off)
		}
		top := col0 && line[0] != '#'
		if !lex.line(bytes.TrimSuffix(line, []byte("\n"))) {
			return nil, nil, false
		}
		// "- item" at column 0 continues the previous key's value: a
		// sequence written at its key's indentation, as yaml/v2 writes it.
		if top && !(len(entries) > 0 && isSeqItem(line)) {
			k, ok := plainTopKey(line)
			if !ok || seen[k] {
				return nil, nil, false
			}
			seen[k] = true
			if n := len(entries); n > 0 {
				entries[n-1].end = off
			}
			entries = append(entries, entry{key: k, line: ln, start: off, end: len(text)})
		}
		off = end
	}
	if !lex.clean() || seen["items"] || !seen["kind"] || !seen["apiVersion"] {
		return nil, nil, false
	}
	return entries, dirty, true
}

func decodeFast(source string, d Document) (*Resource, bool) {
	return decodeFastWith(source, d, false)
}

// decodeFastStrict is decodeFast that also proves the parts it does not
// read valid (validEntry): it accepts a document only when the full reader
// accepts it too, with the same result. Rendered output is valid YAML by
// construction; files of a directory source are read with this, since a
// fault anywhere in a document is an error to Argo CD.
func decodeFastStrict(source string, d Document) (*Resource, bool) {
	return decodeFastWith(source, d, true)
}

func decodeFastWith(source string, d Document, strict bool) (*Resource, bool) {
	root, obj, ok := fastTree(d.Text, strict)
	if !ok {
		return nil, false
	}
	r, err := newResourceFrom(source, d.Line, obj, root, d.Text, "", 0, true, false)
	if err != nil {
		return nil, false
	}
	return r, true
}

// fastTree reads a document's apiVersion, kind, metadata (and a CRD's
// spec): the mapping node of those entries, with the positions the writer
// splices at, and its JSON value. ok is false when the fast reader cannot
// prove its reading (see decodeFast); with strict, also when it cannot
// prove the parts it skips valid (see decodeFastStrict).
func fastTree(text []byte, strict bool) (root *yaml.Node, obj any, ok bool) {
	entries, dirty, ok := topEntries(text)
	if !ok || strict && !validPreamble(text[:entries[0].start]) {
		return nil, nil, false
	}
	root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	var specRegion []byte
	specStart := 0
	// Entries read with the YAML parser rather than line by line are read
	// again by sigs.k8s.io/yaml, and must mean the same to both.
	var parsed bytes.Buffer
	for _, e := range entries {
		switch e.key {
		case "apiVersion", "kind", "metadata":
		case "spec":
			specRegion, specStart = text[e.start:e.end], e.start
			if strict && !validEntry(specRegion) {
				return nil, nil, false
			}
			continue
		default:
			if strict && !validEntry(text[e.start:e.end]) {
				return nil, nil, false
			}
			continue
		}
		region := text[e.start:e.end]
		if e.key != "metadata" {
			if k, v, ok := simpleScalarEntry(region, e.key, e.line); ok {
				root.Content = append(root.Content, k, v)
				continue
			}
		}
		if e.key == "metadata" {
			if k, v, ok := simpleMetadata(region, e.line); ok {
				root.Content = append(root.Content, k, v)
				continue
			}
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(region, &doc); err != nil || len(doc.Content) != 1 {
			return nil, nil, false
		}
		m := doc.Content[0]
		if m.Kind != yaml.MappingNode || len(m.Content) != 2 {
			return nil, nil, false
		}
		k, v := m.Content[0], m.Content[1]
		if e.key == "metadata" {
			if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 || v.Line == k.Line {
				return nil, nil, false
			}
		} else if v.Kind != yaml.ScalarNode || v.Line != k.Line {
			return nil, nil, false
		}
		shiftLines(k, e.line)
		shiftLines(v, e.line)
		root.Content = append(root.Content, k, v)
		parsed.Write(region)
		if region[len(region)-1] != '\n' {
			parsed.WriteByte('\n')
		}
	}
	if kind := mapValue(root, "kind"); kind != nil && kind.Value == "CustomResourceDefinition" {
		// A CRD's spec is read (group, names, scope), its schema is not.
		k, v, mini, ok := crdSpec(specRegion, specStart, dirty)
		if !ok {
			return nil, nil, false
		}
		root.Content = append(root.Content, k, v)
		parsed.Write(mini)
	}
	obj, ok = nodeValue(root)
	if !ok {
		return nil, nil, false
	}
	if parsed.Len() > 0 {
		j, err := sigsyaml.YAMLToJSON(parsed.Bytes())
		if err != nil {
			return nil, nil, false
		}
		want, err := decodeJSONValue(j)
		if err != nil {
			return nil, nil, false
		}
		wm, _ := want.(map[string]any)
		for k, v := range wm {
			if !reflect.DeepEqual(obj.(map[string]any)[k], v) {
				return nil, nil, false
			}
		}
	}
	return root, obj, true
}

// nodeValue turns a tree of string and null scalars into its JSON value.
// Anything else (numbers, booleans, aliases, repeated keys) is refused.
func nodeValue(n *yaml.Node) (any, bool) {
	if n.Anchor != "" {
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return n.Value, true
		case "!!null":
			return nil, true
		}
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Value == "<<" {
				return nil, false
			}
			if _, dup := m[k.Value]; dup {
				return nil, false
			}
			v, ok := nodeValue(n.Content[i+1])
			if !ok {
				return nil, false
			}
			m[k.Value] = v
		}
		return m, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, ok := nodeValue(c)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}

// plainTopKey reads a column-0 line of the form `key:` or `key: value`
// where key is a plain identifier-like scalar.
func plainTopKey(line []byte) (string, bool) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/') {
			i++
			continue
		}
		break
	}
	if i == 0 || i >= len(line) || line[i] != ':' {
		return "", false
	}
	if i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\n' && line[i+1] != '\r' {
		return "", false
	}
	if yaml11Word(line[:i]) {
		return "", false
	}
	return string(line[:i]), true
}

// yaml11Word reports whether a plain scalar is one that YAML 1.1 (and so
// Argo CD) reads as a boolean or null rather than a string, in any case.
func yaml11Word(w []byte) bool {
	if len(w) > 5 {
		return false
	}
	switch strings.ToLower(string(w)) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return true
	}
	return false
}

func hasTabIndent(text []byte) bool {
	for _, l := range bytes.Split(text, []byte("\n")) {
		t := bytes.TrimLeft(l, " ")
		if len(t) > 0 && t[0] == '\t' {
			return true
		}
	}
	return false
}

// shiftLines moves a subtree parsed from a slice of the document to the
// document's line numbers.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// simpleScalarEntry reads `key: value` where value is a plain word that
// YAML can only read as that string (apps/v1, Deployment) and nothing but
// blank or comment lines follow; anything else is left to the YAML parser.
func simpleScalarEntry(region []byte, key string, line int) (*yaml.Node, *yaml.Node, bool) {
	first := region
	rest := []byte(nil)
	if i := bytes.IndexByte(region, '\n'); i >= 0 {
		first, rest = region[:i], region[i+1:]
	}
	for _, l := range bytes.Split(rest, []byte("\n")) {
		t := bytes.TrimLeft(l, " \r")
		if len(t) > 0 && t[0] != '#' {
			return nil, nil, false
		}
	}
	first = bytes.TrimRight(first, "\r")
	vStart := len(key) + 1
	for vStart < len(first) && first[vStart] == ' ' {
		vStart++
	}
	v := first[vStart:]
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	v = bytes.TrimRight(v, " ")
	if len(v) == 0 || !isPlainWord(v) || yaml11Word(v) {
		return nil, nil, false
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: line + 1, Column: 1}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(v), Line: line + 1, Column: vStart + 1}
	return k, val, true
}

func isPlainWord(v []byte) bool {
	if !(v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z') {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '/' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// crdSpec parses only the group, names and scope entries of a CRD's spec
// block (the versions with their schemas, most of a CRD's bytes, are
// skipped). Its nodes carry no usable line numbers: nothing splices there.
func crdSpec(region []byte, start int, dirty []int) (*yaml.Node, *yaml.Node, []byte, bool) {
	if region == nil {
		return nil, nil, nil, false
	}
	lines := bytes.SplitAfter(region, []byte("\n"))
	if len(lines) < 2 || len(bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimRight(lines[0], "\r\n"), []byte("spec:")))) != 0 {
		return nil, nil, nil, false
	}
	indent := -1
	var mini bytes.Buffer
	mini.WriteString("spec:\n")
	keep := false
	seen := map[string]bool{}
	off := start + len(lines[0])
	for _, l := range lines[1:] {
		lineOff := off
		off += len(l)
		for len(dirty) > 0 && dirty[0] < lineOff {
			dirty = dirty[1:]
		}
		inside := len(dirty) > 0 && dirty[0] == lineOff // in a quoted or flow scalar
		t := bytes.TrimLeft(l, " ")
		if len(bytes.TrimSpace(t)) == 0 || t[0] == '#' && !inside {
			if keep && len(l) > 0 {
				mini.Write(l)
			}
			continue
		}
		ind := len(l) - len(t)
		if indent < 0 {
			indent = ind
		}
		if ind <= indent && inside || ind < indent || t[0] == '\t' {
			return nil, nil, nil, false
		}
		if ind == indent && keepSeq(t) {
			// a sequence item at its key's indentation: part of that entry
		} else if ind == indent {
			k, ok := plainTopKey(t)
			if !ok || seen[k] {
				return nil, nil, nil, false
			}
			seen[k] = true
			keep = k == "group" || k == "names" || k == "scope"
		}
		if keep {
			mini.Write(l)
			if l[len(l)-1] != '\n' {
				mini.WriteByte('\n')
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(mini.Bytes(), &doc); err != nil || len(doc.Content) != 1 {
		return nil, nil, nil, false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 || m.Content[1].Kind != yaml.MappingNode {
		return nil, nil, nil, false
	}
	return m.Content[0], m.Content[1], mini.Bytes(), true
}

// simpleMetadata reads the most common metadata block without the YAML
// parser: `metadata:` alone on its line, then entries at one indentation
// whose values are safe scalars (see simpleValue) or, for labels and
// annotations, one nested level of such entries. Anything else (flow
// style, anchors, block scalars, multi-line values, tags, odd keys) makes
// it give up, and the YAML parser reads the block.
func simpleMetadata(region []byte, line int) (*yaml.Node, *yaml.Node, bool) {
	lines := bytes.SplitAfter(region, []byte("\n"))
	if len(lines) < 2 || string(bytes.TrimRight(lines[0], "\r\n")) != "metadata:" {
		return nil, nil, false
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metadata", Line: line + 1, Column: 1}
	meta := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var nested *yaml.Node // the mapping of labels/annotations being read
	ind, nind := -1, -1
	seen, nseen := map[string]bool{}, map[string]bool{}
	for i, l := range lines[1:] {
		ln := line + 2 + i // 1-based line of l in the document
		l = bytes.TrimRight(l, "\r\n")
		t := bytes.TrimLeft(l, " ")
		if len(t) == 0 {
			continue
		}
		if t[0] == '#' || t[0] == '\t' {
			return nil, nil, false
		}
		n := len(l) - len(t)
		if ind < 0 {
			ind = n
			meta.Line, meta.Column = ln, n+1
		}
		k, rest, ok := simpleKey(t)
		if !ok {
			return nil, nil, false
		}
		switch {
		case n == ind:
			nested, nind = nil, -1
			if seen[k] {
				return nil, nil, false
			}
			seen[k] = true
			clear(nseen)
			kn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: ln, Column: n + 1}
			if len(rest) == 0 {
				if k != "labels" && k != "annotations" {
					return nil, nil, false
				}
				nested = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				meta.Content = append(meta.Content, kn, nested)
				continue
			}
			vn, ok := simpleValue(rest, ln, len(l)-len(rest)+1)
			if !ok {
				return nil, nil, false
			}
			meta.Content = append(meta.Content, kn, vn)
		case nested != nil && n > ind && (nind < 0 || n == nind):
			if nind < 0 {
				nind = n
				nested.Line, nested.Column = ln, n+1
			}
			if len(rest) == 0 || nseen[k] {
				return nil, nil, false
			}
			nseen[k] = true
			vn, ok := simpleValue(rest, ln, len(l)-len(rest)+1)
			if !ok {
				return nil, nil, false
			}
			nested.Content = append(nested.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: ln, Column: n + 1}, vn)
		default:
			return nil, nil, false
		}
	}
	if ind <= 0 || len(meta.Content) == 0 {
		return nil, nil, false
	}
	for i := 1; i < len(meta.Content); i += 2 {
		if m := meta.Content[i]; m.Kind == yaml.MappingNode && len(m.Content) == 0 {
			return nil, nil, false // "labels:" with nothing under it is null
		}
	}
	return key, meta, true
}

// simpleKey splits `key: rest` where key is a plain identifier-like scalar
// (the characters of label and annotation keys).
func simpleKey(t []byte) (string, []byte, bool) {
	i := 0
	for i < len(t) {
		c := t[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 || i > 0 && (c == '-' || c == '.' || c == '/' || c == '_') {
			i++
			continue
		}
		break
	}
	if i == 0 || i >= len(t) || t[i] != ':' || yaml11Word(t[:i]) {
		return "", nil, false
	}
	rest := t[i+1:]
	if len(rest) > 0 && rest[0] != ' ' {
		return "", nil, false
	}
	return string(t[:i]), bytes.TrimLeft(rest, " "), true
}

// simpleValue reads a scalar that YAML can only read as the string it
// shows: a plain word starting with a letter (not true/false/null), or a
// double- or single-quoted string without escapes; nothing may follow it.
func simpleValue(v []byte, line, col int) (*yaml.Node, bool) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: line, Column: col}
	switch v[0] {
	case '"', '\'':
		q := v[0]
		end := bytes.IndexByte(v[1:], q)
		if end < 0 || end+2 != len(v) || bytes.IndexByte(v[1:end+1], '\\') >= 0 {
			return nil, false
		}
		n.Value = string(v[1 : end+1])
		if q == '"' {
			n.Style = yaml.DoubleQuotedStyle
		} else {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, true
	}
	if !isPlainWord(v) || yaml11Word(v) {
		return nil, false
	}
	n.Value = string(v)
	return n, true
}

// isSeqItem reports whether a line is "-" followed by a space or the end of
// the line: a block sequence entry.
func isSeqItem(line []byte) bool {
	return len(line) >= 1 && line[0] == '-' && (len(line) == 1 || line[1] == ' ' || line[1] == '\n' || line[1] == '\r')
}

func keepSeq(t []byte) bool { return isSeqItem(t) }
