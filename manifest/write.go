package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Write prints resources as one YAML stream, documents separated by "---".
// A resource read from YAML keeps its original text; changed annotations are
// spliced into it, so comments, key order and formatting survive. Where a
// splice is not safe (flow-style, aliased or tagged metadata, what the
// lexer cannot follow) and for JSON input and List items, the object is
// encoded afresh. Every written document is read back (see Bytes).
func Write(w io.Writer, res []*Resource) error {
	// Every document's text is produced before anything is written, so an
	// error leaves w untouched; unchanged documents are their original text
	// (no copy).
	parts := make([][]byte, len(res))
	total := 0
	for i, r := range res {
		b, err := r.Bytes()
		if err != nil {
			return err
		}
		parts[i] = b
		total += len(b) + 5
	}
	if g, ok := w.(interface{ Grow(int) }); ok {
		g.Grow(total)
	}
	for i, b := range parts {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Bytes returns the resource's YAML text with its annotation changes applied.
//
// Every text it writes is proven: read back as Argo CD reads it (see
// readBack), its apiVersion, kind, name, namespace, labels and annotations
// must be the resource's. A splice that reads back differently is dropped
// for an encoding afresh; an encoding that reads back differently is an
// error naming the resource. An unchanged document is its input text, the
// bytes its identity was read from.
func (r *Resource) Bytes() ([]byte, error) {
	if r.raw != nil {
		if !r.Changed() {
			return r.raw, nil
		}
		if !r.noSplice {
			if b, ok := r.splice(); ok && r.readBack(b) == nil {
				return b, nil
			}
		}
	}
	b, err := r.encode()
	if err != nil {
		return nil, err
	}
	if err := r.readBack(b); err != nil {
		return nil, fmt.Errorf("%s: %s: the written document does not read back as written: %w", r.Where(), r, err)
	}
	return b, nil
}

// encode writes the object afresh with its current annotations. The object
// is the JSON that Argo CD reads (sigs.k8s.io/yaml's reading of the YAML
// text), and it is written by sigs.k8s.io/yaml, which quotes every string a
// YAML 1.1 reader would take for something else ("yes", "on", "1.0"), so the
// output means to Argo CD exactly what the input meant.
func (r *Resource) encode() ([]byte, error) {
	obj := r.obj
	if r.raw != nil {
		// The object was trimmed to the metadata: read the text again,
		// refusing keys that become one JSON key, which the conversion
		// would keep one of at random (the fast reader does not read the
		// parts it skips; found by FuzzDecodeFast).
		if err := keyCollisions(r.raw); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", r.Where(), r, err)
		}
		j, err := sigsyaml.YAMLToJSON(r.raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: cannot re-read the document: %v", r.Where(), r, err)
		}
		v, err := decodeJSONValue(j)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: cannot re-read the document: %v", r.Where(), r, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s: cannot re-read the document", r.Where(), r)
		}
		obj = m
	} else if r.Changed() {
		obj = shallowCopy(obj)
		if meta, ok := obj["metadata"].(map[string]any); ok {
			obj["metadata"] = shallowCopy(meta)
		}
	}
	if r.Changed() {
		meta, _ := obj["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			obj["metadata"] = meta
		}
		ann := map[string]any{}
		for k, v := range r.Annotations {
			ann[k] = v
		}
		if len(ann) > 0 {
			meta["annotations"] = ann
		} else {
			delete(meta, "annotations")
		}
	}
	b, err := yaml2.Marshal(yamlValue(obj))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %v", r.Where(), r, err)
	}
	return b, nil
}

// yamlValue prepares a JSON value for yaml/v2 (the YAML 1.1 writer that
// sigs.k8s.io/yaml uses, which quotes every string a YAML 1.1 reader would
// take for something else): mappings become key-sorted MapSlices, so the
// order of keys is the same on every run (yaml/v2's own ordering of a map
// is not a total order), and numbers become numbers.
func yamlValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ms := make(yaml2.MapSlice, len(keys))
		for i, k := range keys {
			ms[i] = yaml2.MapItem{Key: k, Value: yamlValue(x[k])}
		}
		return ms
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = yamlValue(e)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	}
	return v
}

func shallowCopy(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// leanTree is the tree a splice reads of a lean resource: its metadata
// entry alone, kept from decoding (metaTree) or read again as leanFast read
// it (simpleMetadata), or, should that fail, the document's tree
// (fastTree).
func (r *Resource) leanTree() (*yaml.Node, bool) {
	if r.metaTree != nil {
		return r.metaTree, true
	}
	if m := r.meta; m.end > 0 {
		var slab nodeSlab
		if k, v, ok := simpleMetadata(&slab, r.raw[m.start:m.end], m.line); ok {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1, Content: []*yaml.Node{k, v}}, true
		}
	}
	root, _, ok := fastTree(r.raw, false)
	return root, ok
}

// splice applies the annotation changes to the original text line by line.
// It reports false when the document's shape makes that unsafe.
func (r *Resource) splice() ([]byte, bool) {
	root := r.node
	if r.lean {
		var ok bool
		if root, ok = r.leanTree(); !ok {
			return nil, false
		}
	}
	lines := splitLines(r.raw)
	meta, ok := blockMetadata(root, lines)
	if !ok {
		return nil, false
	}
	e := lineEdits{repl: map[int][]string{}, ins: map[int][]string{}}
	annKey, ann := lastEntry(meta.node, "annotations")
	switch {
	case ann == nil:
		e.ins[meta.annotationsLine(lines)] = append([]string{fmt.Sprintf("%*sannotations:\n", meta.ind, "")}, r.changedEntries(meta.ind+2)...)
	case ann.Kind == yaml.ScalarNode && ann.Tag == "!!null" || ann.Kind == yaml.MappingNode && ann.Style&yaml.FlowStyle != 0:
		ok = r.rewriteAsBlock(&e, lines, annKey, ann, meta.ind)
	case ann.Kind == yaml.MappingNode && len(ann.Content) > 0:
		ok = r.editBlock(&e, lines, annKey, ann)
	default:
		ok = false
	}
	if !ok {
		return nil, false
	}
	return e.apply(lines, len(r.raw)+256), true
}

// metadataBlock is a metadata entry written as a block mapping whose first
// key is on a line of its own, at column ind+1.
type metadataBlock struct {
	node *yaml.Node // the mapping
	ind  int        // its entries' indentation
}

// blockMetadata finds the last metadata entry of root, if it is a
// non-empty block mapping without anchors whose first key starts a line
// below `metadata:`: one splice can edit line by line.
func blockMetadata(root *yaml.Node, lines [][]byte) (metadataBlock, bool) {
	metaKey, meta := lastEntry(root, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode || meta.Style&yaml.FlowStyle != 0 ||
		len(meta.Content) == 0 || hasAnchors(meta) || hasAnchors(metaKey) || metaKey.Kind != yaml.ScalarNode {
		return metadataBlock{}, false
	}
	first := meta.Content[0]
	ind := first.Column - 1
	if first.Line <= metaKey.Line || !indentedKey(lines, first, ind) {
		return metadataBlock{}, false
	}
	return metadataBlock{node: meta, ind: ind}, true
}

// annotationsLine returns the 0-based line before which a new annotations
// entry goes: after the leading name, namespace and generateName entries
// that each fill one line, else before the first entry.
func (m metadataBlock) annotationsLine(lines [][]byte) int {
	c := m.node.Content
	at := c[0].Line - 1
	for i := 0; i+1 < len(c); i += 2 {
		k, v := c[i], c[i+1]
		if k.Value != "name" && k.Value != "namespace" && k.Value != "generateName" ||
			v.Kind != yaml.ScalarNode || v.Line != k.Line || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			break
		}
		if end, ok := entryEnd(lines, k, m.ind); !ok || end != k.Line {
			break
		}
		if i+2 < len(c) && (c[i+2].Line != k.Line+1 || !indentedKey(lines, c[i+2], m.ind)) {
			break
		}
		at = k.Line // the 0-based index of the following line
	}
	return at
}

// changedEntries returns an annotation entry, indented by pad, for each
// changed key that is set (not removed), in changedKeys' order.
func (r *Resource) changedEntries(pad int) []string {
	var out []string
	for _, k := range r.changedKeys() {
		if v := r.changed.value(k); v != nil {
			out = append(out, fmt.Sprintf("%*s%s: %s\n", pad, "", yamlKey(k), quote(*v)))
		}
	}
	return out
}

// rewriteAsBlock replaces `annotations:` with no value, null, {} or a flow
// mapping that starts on the key's line (and may go on over more lines)
// by a block mapping at indentation ind+2: the entries kept and the
// changed ones, sorted.
func (r *Resource) rewriteAsBlock(e *lineEdits, lines [][]byte, annKey, ann *yaml.Node, ind int) bool {
	if ann.Line != annKey.Line || hasAnchors(annKey) || hasAnchors(ann) {
		return false
	}
	end, ok := entryEnd(lines, annKey, ind)
	if !ok {
		return false
	}
	out := []string{fmt.Sprintf("%*sannotations:\n", ind, "")}
	if ann.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(ann.Content); i += 2 {
			k, v := ann.Content[i], ann.Content[i+1]
			if _, changed := r.changed.get(k.Value); changed {
				continue
			}
			out = append(out, fmt.Sprintf("%*s%s: %s\n", ind+2, "", yamlKey(k.Value), quote(v.Value)))
		}
	}
	out = append(out, r.changedEntries(ind+2)...)
	sort.Strings(out[1:])
	e.replace(annKey.Line-1, end, out)
	return true
}

// editBlock edits a block mapping of annotations in place: the lines of a
// changed entry are replaced (or dropped, for a removed one), and new
// entries go before the first one.
func (r *Resource) editBlock(e *lineEdits, lines [][]byte, annKey, ann *yaml.Node) bool {
	afirst := ann.Content[0]
	aind := afirst.Column - 1
	if afirst.Line <= annKey.Line || !indentedKey(lines, afirst, aind) || hasAnchors(annKey) || hasAnchors(ann) {
		return false
	}
	var add []string
	for _, k := range r.changedKeys() {
		kn, vn := lastEntry(ann, k)
		if kn == nil {
			if v := r.changed.value(k); v != nil {
				add = append(add, fmt.Sprintf("%*s%s: %s\n", aind, "", yamlKey(k), quote(*v)))
			}
			continue
		}
		if countKey(ann, k) > 1 || vn.Kind != yaml.ScalarNode || kn.Column-1 != aind || !indentedKey(lines, kn, aind) {
			return false
		}
		end, ok := singleEntryLines(lines, ann, kn, aind)
		if !ok {
			return false
		}
		var out []string
		if v := r.changed.value(k); v != nil {
			out = []string{fmt.Sprintf("%*s%s: %s\n", aind, "", yamlKey(k), quote(*v))}
		}
		e.replace(kn.Line-1, end, out)
	}
	if len(add) > 0 {
		e.ins[afirst.Line-1] = add
	}
	return true
}

// singleEntryLines returns the end (the 0-based index of the line after
// it) of the entry of key kn in mapping m: a quoted or block scalar may go
// on over several lines (at any indentation, for a quoted one), and none
// of them may hold the next entry's key.
func singleEntryLines(lines [][]byte, m, kn *yaml.Node, ind int) (int, bool) {
	end, ok := entryEnd(lines, kn, ind)
	if !ok || nextKeyLine(m, kn) > 0 && nextKeyLine(m, kn) <= end {
		return 0, false
	}
	return end, true
}

// lineEdits are the changes a splice makes to the lines of a document, by
// 0-based line index.
type lineEdits struct {
	repl map[int][]string // the line's replacement ([]: the line is dropped)
	ins  map[int][]string // lines inserted before it
}

// replace replaces lines [from, end) by out.
func (e *lineEdits) replace(from, end int, out []string) {
	if out == nil {
		out = []string{}
	}
	e.repl[from] = out
	for l := from + 1; l < end; l++ {
		e.repl[l] = []string{}
	}
}

// apply writes lines with the edits; a last line without a newline gets
// one when something follows it.
func (e *lineEdits) apply(lines [][]byte, size int) []byte {
	var b bytes.Buffer
	b.Grow(size)
	for i, l := range lines {
		for _, s := range e.ins[i] {
			b.WriteString(s)
		}
		if rl, ok := e.repl[i]; ok {
			for _, s := range rl {
				b.WriteString(s)
			}
			continue
		}
		b.Write(l)
		if len(l) > 0 && l[len(l)-1] != '\n' && (len(e.ins[i+1]) > 0 || i+1 < len(lines)) {
			b.WriteByte('\n')
		}
	}
	for _, s := range e.ins[len(lines)] {
		b.WriteString(s)
	}
	return b.Bytes()
}

// splitLines returns the lines of b, each with its newline, as slices of b
// (no copy); a last line without a newline is returned as it is.
func splitLines(b []byte) [][]byte {
	out := make([][]byte, 0, bytes.Count(b, []byte("\n"))+1)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+1])
		b = b[i+1:]
	}
	return out
}

// lastEntry returns the key and value nodes of the last occurrence of key in
// a mapping (the one that wins when a key is repeated).
func lastEntry(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func countKey(n *yaml.Node, key string) int {
	c := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			c++
		}
	}
	return c
}

// hasAnchors reports whether a subtree holds an anchor, an alias, a merge
// key or an explicit tag: what a line splice cannot carry over safely.
func hasAnchors(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode || n.Tag == "!!merge" || n.Style&yaml.TaggedStyle != 0 {
		return true
	}
	for _, c := range n.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}

// indentedKey reports whether the key node starts its line after exactly ind
// spaces (a block mapping entry we can insert in front of).
func indentedKey(lines [][]byte, k *yaml.Node, ind int) bool {
	if k.Line < 1 || k.Line > len(lines) || k.Column-1 != ind {
		return false
	}
	l := lines[k.Line-1]
	if len(l) <= ind {
		return false
	}
	for i := 0; i < ind; i++ {
		if l[i] != ' ' {
			return false
		}
	}
	return l[ind] != ' ' && l[ind] != '?' && l[ind] != '-' && l[ind] != '\t'
}

// entryEnd returns the 0-based index of the line after the last line of
// the block mapping entry whose key k starts its line at indentation ind:
// the key's line; the lines a quoted scalar or flow collection goes on over,
// at any indentation (YAML readers accept a quoted scalar continued at its
// key's indentation, or less); and the lines indented deeper than ind (a
// plain or block scalar's continuation, a nested value, a comment there).
// Blank lines after the entry are not part of it. ok is false when the
// lexer cannot follow the entry, or it does not end in block context.
//
// k's line starts outside any scalar (a key starts there), so a lexer
// started on it reads the entry as a reader of the whole document does.
func entryEnd(lines [][]byte, k *yaml.Node, ind int) (int, bool) {
	i := k.Line - 1
	if i < 0 || i >= len(lines) {
		return 0, false
	}
	lx := newLexer()
	if !lx.line(bytes.TrimSuffix(lines[i], []byte("\n"))) {
		return 0, false
	}
	end := i + 1
	for j := i + 1; j < len(lines); j++ {
		l := bytes.TrimSuffix(lines[j], []byte("\n"))
		t := bytes.TrimLeft(l, " ")
		blank := len(bytes.TrimSpace(t)) == 0
		inside := !lx.clean()
		if !inside && !blank {
			if t[0] == '\t' {
				return 0, false
			}
			if len(l)-len(t) <= ind {
				break
			}
		}
		if !lx.line(l) {
			return 0, false
		}
		if inside || !blank {
			end = j + 1
		}
	}
	if !lx.clean() {
		return 0, false
	}
	return end, true
}

// nextKeyLine is the 1-based line of the key that follows k in mapping n (0
// when k is the last).
func nextKeyLine(n, k *yaml.Node) int {
	for i := 0; i+2 < len(n.Content); i += 2 {
		if n.Content[i] == k {
			return n.Content[i+2].Line
		}
	}
	return 0
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

func yamlKey(k string) string {
	if plainKey.MatchString(k) {
		return k
	}
	return quote(k)
}

var plainValue = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9,=._/-]*$`)

// quote writes a string as a YAML scalar: plain when that cannot be read as
// anything but the same string (in YAML 1.1 and 1.2), else double-quoted.
func quote(s string) string {
	if plainValue.MatchString(s) {
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		default:
			return s
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// readBack reads a written document as Argo CD reads it (sigs.k8s.io/yaml
// to JSON, then the object, as kube.SplitYAML and the unstructured decoder
// do) and checks that its apiVersion, kind, name, namespace, labels and
// annotations are the resource's: what plan reports is what Argo CD reads.
//
// Only what it checks is read, by the cheapest reading proven equal to
// sigs.k8s.io/yaml's: the fast reader's reading of the commonest shape
// (leanFast, checked against sigs.k8s.io/yaml by FuzzDecodeFast), else the
// apiVersion, kind and metadata entries found by the fast reader's split
// of the top-level entries (topEntries), read together by sigs.k8s.io/yaml
// as fastTree reads them, else the whole text by sigs.k8s.io/yaml.
// FuzzWrite checks every written text read whole.
func (r *Resource) readBack(b []byte) error {
	if got, ok := leanFast(r.Source, Document{Text: b}, false); ok {
		return r.sameIdentity(got)
	}
	text := b
	var buf [8]entry
	if entries, _, ok := topEntriesIn(b, buf[:0]); ok {
		n := 0
		for _, e := range entries {
			if e.key == "apiVersion" || e.key == "kind" || e.key == "metadata" {
				n += e.end - e.start + 1
			}
		}
		mini := make([]byte, 0, n)
		for _, e := range entries {
			if e.key == "apiVersion" || e.key == "kind" || e.key == "metadata" {
				mini = append(mini, b[e.start:e.end]...)
				if mini[len(mini)-1] != '\n' {
					mini = append(mini, '\n')
				}
			}
		}
		text = mini
	}
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return fmt.Errorf("Argo CD cannot read it: %v", err)
	}
	v, err := decodeJSONValue(j)
	if err != nil {
		return fmt.Errorf("Argo CD cannot read it: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("Argo CD reads %s, not an object", describeValue(v))
	}
	if _, list := obj["items"].([]any); list {
		return fmt.Errorf("it has an items list, which Argo CD reads as a List of other objects")
	}
	var got Resource
	if err := got.readIdentity(obj); err != nil && !errors.As(err, new(noKindError)) {
		return err
	}
	return r.sameIdentity(&got)
}

// sameIdentity names the first field of the identity in which got differs
// from r.
func (r *Resource) sameIdentity(got *Resource) error {
	for _, f := range [...]struct{ name, got, want string }{
		{"apiVersion", got.APIVersion, r.APIVersion},
		{"kind", got.Kind, r.Kind},
		{"metadata.name", got.Name, r.Name},
		{"metadata.namespace", got.Namespace, r.Namespace},
	} {
		if f.got != f.want {
			return fmt.Errorf("Argo CD reads %s %q, expected %q", f.name, f.got, f.want)
		}
	}
	if err := sameMap("metadata.labels", got.Labels, r.Labels); err != nil {
		return err
	}
	return sameMap("metadata.annotations", got.Annotations, r.Annotations)
}

// sameMap names the first key (in sorted order) whose value differs
// between got and want.
func sameMap(field string, got, want map[string]string) error {
	if sameStrings(got, want) {
		return nil
	}
	keys := make([]string, 0, len(got)+len(want))
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			return fmt.Errorf("Argo CD reads no %s %q, expected %q", field, k, w)
		case !wok:
			return fmt.Errorf("Argo CD reads %s %q = %q, which was not written", field, k, g)
		case g != w:
			return fmt.Errorf("Argo CD reads %s %q = %q, expected %q", field, k, g, w)
		}
	}
	return nil
}
