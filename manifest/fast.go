package manifest

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// The fast reader (Reader Fast) decodes a document by parsing only what
// syncwave reads: the top-level apiVersion and kind lines and the metadata
// block. The rest of the document is kept as text and never parsed, which
// makes it several times faster than the full reader on rendered charts,
// where most bytes are specs and CRD schemas.
//
// It handles the common block-style shape only: every line at column 0 is
// a comment or a plain "key:" entry, keys are not repeated, metadata is a
// block mapping, and the object is neither a List (items) nor a
// CustomResourceDefinition (whose spec is read). Anything else — and any
// error — goes to the full reader, so errors are the full reader's.

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
	return topEntriesIn(text, nil)
}

// topEntriesIn is topEntries appending to buf.
func topEntriesIn(text []byte, buf []entry) (entries []entry, dirty []int, ok bool) {
	if bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) || bytes.IndexByte(text, '\t') >= 0 && hasTabIndent(text) || !plainText(text) {
		return nil, nil, false
	}
	var seen keySet
	entries = buf[:0]
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
			if !ok || !seen.add(line[:len(k)]) {
				return nil, nil, false
			}
			if n := len(entries); n > 0 {
				entries[n-1].end = off
			}
			entries = append(entries, entry{key: k, line: ln, start: off, end: len(text)})
		}
		off = end
	}
	if !lex.clean() || seen.has("items") || !seen.has("kind") || !seen.has("apiVersion") {
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
	if r, ok := leanFast(source, d, strict); ok {
		return r, true
	}
	root, obj, ok := fastTree(d.Text, strict)
	if !ok {
		return nil, false
	}
	if obj == nil {
		// a tree of strings only (see fastTree)
		if obj, ok = nodeValue(root); !ok {
			return nil, false
		}
	}
	r, err := newResourceFrom(source, d.Line, obj, root, d.Text, "", 0, true, false)
	if err != nil {
		return nil, false
	}
	if k, v := lastEntry(root, "metadata"); r.lean && k != nil {
		r.metaTree = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1, Content: []*yaml.Node{k, v}}
	}
	return r, true
}

// fastTree reads a document's apiVersion, kind, metadata (and a CRD's
// spec): the mapping node of those entries, with the positions the writer
// splices at, and its JSON value. ok is false when the fast reader cannot
// prove its reading (see decodeFast); with strict, also when it cannot
// prove the parts it skips valid (see decodeFastStrict). obj is nil when
// every entry was read line by line (simpleScalarEntry, simpleMetadata) and
// the object is not a CRD: such a tree holds only strings, whose value
// nodeValue makes when it is needed (a splice needs only the tree).
func fastTree(text []byte, strict bool) (root *yaml.Node, obj any, ok bool) {
	entries, dirty, ok := topEntries(text)
	if !ok || strict && !validPreamble(text[:entries[0].start]) {
		return nil, nil, false
	}
	var slab nodeSlab
	root = slab.node()
	*root = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1, Content: make([]*yaml.Node, 0, 6)}
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
			if k, v, ok := simpleScalarEntry(&slab, region, e.key, e.line); ok {
				root.Content = append(root.Content, k, v)
				continue
			}
		}
		if e.key == "metadata" {
			if k, v, ok := simpleMetadata(&slab, region, e.line); ok {
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
	if isCRD(root) {
		// A CRD's spec is read (group, names, scope), its schema is not.
		k, v, mini, ok := crdSpec(specRegion, specStart, dirty)
		if !ok {
			return nil, nil, false
		}
		root.Content = append(root.Content, k, v)
		parsed.Write(mini)
	}
	if parsed.Len() == 0 && !isCRD(root) {
		return root, nil, true
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

func isCRD(root *yaml.Node) bool {
	kind := mapValue(root, "kind")
	return kind != nil && kind.Value == "CustomResourceDefinition"
}

// leanFast is decodeFast without building the tree, for the commonest
// shape: apiVersion and kind read by simpleScalarEntry, metadata (if any)
// by simpleMetadata with name and namespace strings and labels and
// annotations mappings of strings, not a CRD. It reports false for anything
// else, which fastTree then reads.
func leanFast(source string, d Document, strict bool) (*Resource, bool) {
	text := d.Text
	var buf [8]entry
	entries, _, ok := topEntriesIn(text, buf[:0])
	if !ok || strict && !validPreamble(text[:entries[0].start]) {
		return nil, false
	}
	r := &Resource{Source: source, Line: d.Line, raw: text, lean: true}
	for _, e := range entries {
		region := text[e.start:e.end]
		switch e.key {
		case "apiVersion", "kind":
			v, _, ok := simpleScalar(region, e.key)
			if !ok {
				return nil, false
			}
			if e.key == "kind" {
				r.Kind = string(v)
			} else {
				r.APIVersion = string(v)
			}
		case "metadata":
			if _, _, ok := scanMetadata(nil, region, e.line, r); !ok {
				return nil, false
			}
			r.meta.start, r.meta.end, r.meta.line = e.start, e.end, e.line
		default:
			if strict && !validEntry(region) {
				return nil, false
			}
		}
	}
	if r.Kind == "CustomResourceDefinition" {
		return nil, false
	}
	return r, true
}

// nodeSlab allocates the nodes of one document's tree a few at a time.
type nodeSlab struct{ free []yaml.Node }

func (s *nodeSlab) node() *yaml.Node {
	if len(s.free) == 0 {
		s.free = make([]yaml.Node, 12)
	}
	n := &s.free[0]
	s.free = s.free[1:]
	return n
}

// scalar is a plain string scalar node at line, column.
func (s *nodeSlab) scalar(value string, line, column int) *yaml.Node {
	n := s.node()
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: line, Column: column}
	return n
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

// maxKey is the longest key the fast reader reads: YAML readers refuse an
// implicit key of more than 1024 characters.
const maxKey = 512

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
	if i == 0 || i > maxKey || i >= len(line) || line[i] != ':' {
		return "", false
	}
	if i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\n' && line[i+1] != '\r' {
		return "", false
	}
	if yaml11Word(line[:i]) {
		return "", false
	}
	return internKey(line[:i]), true
}

// internKey returns the key as a string, without allocating for the keys
// every manifest has.
func internKey(k []byte) string {
	switch string(k) {
	case "apiVersion":
		return "apiVersion"
	case "kind":
		return "kind"
	case "metadata":
		return "metadata"
	case "spec":
		return "spec"
	case "data":
		return "data"
	case "name":
		return "name"
	case "namespace":
		return "namespace"
	case "labels":
		return "labels"
	case "annotations":
		return "annotations"
	}
	return string(k)
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
func simpleScalarEntry(slab *nodeSlab, region []byte, key string, line int) (*yaml.Node, *yaml.Node, bool) {
	v, vStart, ok := simpleScalar(region, key)
	if !ok {
		return nil, nil, false
	}
	return slab.scalar(key, line+1, 1), slab.scalar(string(v), line+1, vStart+1), true
}

// simpleScalar is simpleScalarEntry's reading of the value: its text and
// its offset in the line.
func simpleScalar(region []byte, key string) ([]byte, int, bool) {
	first := region
	rest := []byte(nil)
	if i := bytes.IndexByte(region, '\n'); i >= 0 {
		first, rest = region[:i], region[i+1:]
	}
	for len(rest) > 0 {
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		t := bytes.TrimLeft(l, " \r")
		if len(t) > 0 && t[0] != '#' {
			return nil, 0, false
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
		return nil, 0, false
	}
	return v, vStart, true
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
func simpleMetadata(slab *nodeSlab, region []byte, line int) (*yaml.Node, *yaml.Node, bool) {
	return scanMetadata(slab, region, line, nil)
}

// scanMetadata is simpleMetadata; with a nil slab it builds no tree but
// sets into's name, namespace, labels and annotations (leanFast).
func scanMetadata(slab *nodeSlab, region []byte, line int, into *Resource) (*yaml.Node, *yaml.Node, bool) {
	header, rest := cutLine(region)
	if len(rest) == 0 || string(bytes.TrimRight(header, "\r")) != "metadata:" {
		return nil, nil, false
	}
	s := metaScan{into: into, ind: -1, nind: -1}
	var key *yaml.Node
	if slab != nil {
		key = slab.scalar("metadata", line+1, 1)
		s.meta = slab.node()
		*s.meta = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	for ln := line + 2; len(rest) > 0; ln++ { // ln: 1-based line of l in the document
		var l []byte
		l, rest = cutLine(rest)
		if !s.line(slab, bytes.TrimRight(l, "\r"), ln) {
			return nil, nil, false
		}
	}
	if s.ind <= 0 || s.entries == 0 || s.openEmpty() {
		return nil, nil, false
	}
	return key, s.meta, true
}

// cutLine splits b after its first line, dropping the newline.
func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// metaScan is what scanMetadata knows between lines. Its methods build
// meta's tree in the slab they are given; given none, they fill into. (The
// slab is not a field: held here, it would escape to the heap.)
type metaScan struct {
	into *Resource
	meta *yaml.Node

	entries int    // of metadata
	ind     int    // metadata's entries' indentation; -1 before the first
	seen    keySet // metadata's keys

	// A block labels or annotations mapping open under metadata: its
	// tree (nested) or map (nestedMap), its entries' indentation (nind, -1
	// before the first) and keys.
	inNested  bool
	nested    *yaml.Node
	nestedMap map[string]string
	nind      int
	nseen     keySet
}

// openEmpty reports an open labels or annotations with no entry yet:
// "labels:" with nothing under it is null, which the full reader words.
func (s *metaScan) openEmpty() bool { return s.inNested && s.nseen.n == 0 }

// line reads line l (ln in the document, without its newline); false
// gives up.
func (s *metaScan) line(slab *nodeSlab, l []byte, ln int) bool {
	t := bytes.TrimLeft(l, " ")
	if len(t) == 0 {
		return true
	}
	if t[0] == '#' || t[0] == '\t' {
		return false
	}
	n := len(l) - len(t)
	if s.ind < 0 {
		s.ind = n
		if slab != nil {
			s.meta.Line, s.meta.Column = ln, n+1
		}
	}
	k, val, ok := simpleKey(t)
	if !ok {
		return false
	}
	valCol := len(l) - len(val) + 1 // 1-based column of val
	switch {
	case n == s.ind:
		if s.openEmpty() {
			return false
		}
		s.inNested, s.nind = false, -1
		if !s.seen.add(t[:len(k)]) {
			return false
		}
		s.entries++
		s.nseen = keySet{}
		return s.entry(slab, k, val, ln, n+1, valCol)
	case s.inNested && n > s.ind && (s.nind < 0 || n == s.nind):
		if s.nind < 0 {
			s.nind = n
			if slab != nil {
				s.nested.Line, s.nested.Column = ln, n+1
			}
		}
		if len(val) == 0 || !s.nseen.add(t[:len(k)]) {
			return false
		}
		return s.nestedEntry(slab, k, val, ln, n+1, valCol)
	}
	return false
}

// entry reads an entry of metadata: key k at column col, its value val
// (empty when the value is on the lines below) at valCol.
func (s *metaScan) entry(slab *nodeSlab, k string, val []byte, ln, col, valCol int) bool {
	labelsOrAnnotations := k == "labels" || k == "annotations"
	switch {
	case len(val) == 0:
		return labelsOrAnnotations && s.openNested(slab, k, ln, col)
	case labelsOrAnnotations && val[0] == '{':
		return s.flowNested(slab, k, val, ln, col, valCol)
	case slab != nil:
		return appendScalar(slab, s.meta, k, val, ln, col, valCol)
	}
	v, _, ok := simpleString(val)
	if !ok || labelsOrAnnotations {
		return false // labels or annotations as a string: an error, which the full reader words
	}
	switch k {
	case "name":
		s.into.Name = v
	case "namespace":
		s.into.Namespace = v
	}
	return true
}

// openNested starts a block labels or annotations mapping, whose entries
// are on the lines below.
func (s *metaScan) openNested(slab *nodeSlab, k string, ln, col int) bool {
	s.inNested = true
	if slab != nil {
		s.nested = slab.node()
		*s.nested = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		s.meta.Content = append(s.meta.Content, slab.scalar(k, ln, col), s.nested)
		return true
	}
	s.nestedMap = map[string]string{}
	s.setNested(k, s.nestedMap)
	return true
}

// flowNested reads labels or annotations written as a one-line flow
// mapping, `{a: b, c: d}` starting at valCol.
func (s *metaScan) flowNested(slab *nodeSlab, k string, val []byte, ln, col, valCol int) bool {
	fl, ok := simpleFlowMap(val)
	if !ok {
		return false
	}
	if slab == nil {
		m := make(map[string]string, len(fl))
		for _, e := range fl {
			m[e.key] = e.value
		}
		s.setNested(k, m)
		return true
	}
	brace := valCol - 1 // 0-based column of '{'
	fm := slab.node()
	*fm = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: ln, Column: valCol}
	for _, e := range fl {
		vn := slab.scalar(e.value, ln, brace+e.vcol+1)
		vn.Style = e.style
		fm.Content = append(fm.Content, slab.scalar(e.key, ln, brace+e.kcol+1), vn)
	}
	s.meta.Content = append(s.meta.Content, slab.scalar(k, ln, col), fm)
	return true
}

// setNested sets into's labels or annotations (k) to m.
func (s *metaScan) setNested(k string, m map[string]string) {
	if k == "labels" {
		s.into.Labels = m
	} else {
		s.into.Annotations = m
	}
}

// nestedEntry reads an entry of the open labels or annotations mapping.
func (s *metaScan) nestedEntry(slab *nodeSlab, k string, val []byte, ln, col, valCol int) bool {
	if slab != nil {
		return appendScalar(slab, s.nested, k, val, ln, col, valCol)
	}
	v, _, ok := simpleString(val)
	if !ok {
		return false
	}
	s.nestedMap[k] = v
	return true
}

// appendScalar appends the entry `k: val` to mapping m, its key at column
// col and its value (a safe scalar: simpleValue) at valCol of line ln.
func appendScalar(slab *nodeSlab, m *yaml.Node, k string, val []byte, ln, col, valCol int) bool {
	vn, ok := simpleValue(slab, val, ln, valCol)
	if !ok {
		return false
	}
	m.Content = append(m.Content, slab.scalar(k, ln, col), vn)
	return true
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
	if i == 0 || i > maxKey || i >= len(t) || t[i] != ':' || yaml11Word(t[:i]) {
		return "", nil, false
	}
	rest := t[i+1:]
	if len(rest) > 0 && rest[0] != ' ' {
		return "", nil, false
	}
	return internKey(t[:i]), bytes.TrimLeft(rest, " "), true
}

// simpleValue reads a scalar that YAML can only read as the string it
// shows: a plain word starting with a letter (not true/false/null), or a
// double- or single-quoted string without escapes; nothing may follow it.
func simpleValue(slab *nodeSlab, v []byte, line, col int) (*yaml.Node, bool) {
	value, style, ok := simpleString(v)
	if !ok {
		return nil, false
	}
	n := slab.scalar(value, line, col)
	n.Style = style
	return n, true
}

// simpleString is simpleValue's reading of v: the string and its style.
func simpleString(v []byte) (string, yaml.Style, bool) {
	switch v[0] {
	case '"', '\'':
		q := v[0]
		end := bytes.IndexByte(v[1:], q)
		if end < 0 || end+2 != len(v) || bytes.IndexByte(v[1:end+1], '\\') >= 0 {
			return "", 0, false
		}
		if q == '"' {
			return string(v[1 : end+1]), yaml.DoubleQuotedStyle, true
		}
		return string(v[1 : end+1]), yaml.SingleQuotedStyle, true
	}
	if !(isPlainWord(v) && !yaml11Word(v) || isDigitWord(v)) {
		return "", 0, false
	}
	return string(v), 0, true
}

// isDigitWord reports whether v is a plain scalar of letters and digits
// that starts with a digit and that YAML 1.1 (sigs.k8s.io/yaml) and YAML
// 1.2 (yaml.v3) both read as a string: it has a letter, and it is neither
// an integer with a base prefix (0x, 0o, 0b: all refused) nor a number with
// an exponent (1e5). A hex checksum, 3rd, 1d are strings.
func isDigitWord(v []byte) bool {
	if len(v) == 0 || v[0] < '0' || v[0] > '9' {
		return false
	}
	letter, exp := false, -1
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
			if (c == 'e' || c == 'E') && exp < 0 {
				exp = i
			}
		default:
			return false
		}
	}
	if !letter || len(v) > 1 && v[0] == '0' && bytes.IndexByte([]byte("xXoObB"), v[1]) >= 0 {
		return false
	}
	if exp > 0 && exp+1 < len(v) && allDigits(v[:exp]) && allDigits(v[exp+1:]) {
		return false // 1e5: a float
	}
	return true
}

func allDigits(v []byte) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// flowEntry is one entry of a flow mapping read by simpleFlowMap, with the
// columns of its key and value from the '{'.
type flowEntry struct {
	key, value string
	style      yaml.Style
	kcol, vcol int
}

// simpleFlowMap reads a flow mapping on one line of keys as simpleKey
// reads them and values as simpleString reads them: {a: b, c: "d"}, or
// {}. Nothing may follow the '}' (not even a comment); a repeated key, a
// trailing comma or anything else makes it give up.
func simpleFlowMap(v []byte) ([]flowEntry, bool) {
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return nil, false
	}
	var out []flowEntry
	var seen keySet
	i := 1
	skip := func() {
		for i < len(v) && v[i] == ' ' {
			i++
		}
	}
	skip()
	if v[i] == '}' {
		return out, i == len(v)-1
	}
	for {
		skip()
		kcol := i
		k, _, ok := simpleKey(v[i:])
		if !ok || !seen.add(v[i:i+len(k)]) {
			return nil, false
		}
		i += len(k) + 1
		if i >= len(v) || v[i] != ' ' {
			return nil, false
		}
		skip()
		vcol := i
		var val []byte
		switch {
		case i < len(v) && (v[i] == '"' || v[i] == '\''):
			end := bytes.IndexByte(v[i+1:], v[i])
			if end < 0 {
				return nil, false
			}
			val = v[i : i+end+2]
		default:
			j := i
			for j < len(v) && v[j] != ',' && v[j] != '}' && v[j] != ' ' {
				j++
			}
			val = v[i:j]
		}
		if len(val) == 0 {
			return nil, false
		}
		str, style, ok := simpleString(val)
		if !ok {
			return nil, false
		}
		i += len(val)
		out = append(out, flowEntry{key: k, value: str, style: style, kcol: kcol, vcol: vcol})
		skip()
		if i >= len(v) {
			return nil, false
		}
		switch v[i] {
		case '}':
			return out, i == len(v)-1
		case ',':
			i++
		default:
			return nil, false
		}
	}
}

// isSeqItem reports whether a line is "-" followed by a space or the end of
// the line: a block sequence entry.
func isSeqItem(line []byte) bool {
	return len(line) >= 1 && line[0] == '-' && (len(line) == 1 || line[1] == ' ' || line[1] == '\n' || line[1] == '\r')
}

func keepSeq(t []byte) bool { return isSeqItem(t) }
