package manifest

import (
	"bytes"
	"encoding/json"
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
// splice is not safe (flow-style or aliased metadata, multi-line values) and
// for JSON input and List items, the object is encoded afresh.
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
func (r *Resource) Bytes() ([]byte, error) {
	if r.raw != nil {
		if !r.Changed() {
			return r.raw, nil
		}
		if !r.noSplice {
			if b, ok := r.splice(); ok {
				return b, nil
			}
		}
	}
	return r.encode()
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

// splice applies the annotation changes to the original text line by line.
// It reports false when the document's shape makes that unsafe.
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

func (r *Resource) splice() ([]byte, bool) {
	root := r.node
	if r.lean {
		var ok bool
		if root, ok = r.leanTree(); !ok {
			return nil, false
		}
	}
	lines := splitLines(r.raw)
	metaKey, meta := lastEntry(root, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode || meta.Style&yaml.FlowStyle != 0 ||
		len(meta.Content) == 0 || hasAnchors(meta) || metaKey.Kind != yaml.ScalarNode {
		return nil, false
	}
	first := meta.Content[0]
	ind := first.Column - 1
	if first.Line <= metaKey.Line || !indentedKey(lines, first, ind) {
		return nil, false
	}
	repl := map[int][]string{} // 0-based line -> replacement lines
	ins := map[int][]string{}  // 0-based line -> lines inserted before it
	keys := r.changedKeys()
	set := func(pad int) []string {
		var out []string
		for _, k := range keys {
			if v := r.changed.value(k); v != nil {
				out = append(out, fmt.Sprintf("%*s%s: %s\n", pad, "", yamlKey(k), quote(*v)))
			}
		}
		return out
	}
	annKey, ann := lastEntry(meta, "annotations")
	switch {
	case ann == nil:
		// After a leading name/namespace/generateName, else first.
		at := first.Line - 1
		for i := 0; i+1 < len(meta.Content); i += 2 {
			k, v := meta.Content[i], meta.Content[i+1]
			if k.Value != "name" && k.Value != "namespace" && k.Value != "generateName" ||
				v.Kind != yaml.ScalarNode || v.Line != k.Line || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
				!singleLine(lines, k, ind) {
				break
			}
			next := k.Line // 0-based index of the following line
			if i+2 < len(meta.Content) {
				if meta.Content[i+2].Line != k.Line+1 || !indentedKey(lines, meta.Content[i+2], ind) {
					break
				}
			}
			at = next
		}
		ins[at] = append([]string{fmt.Sprintf("%*sannotations:\n", ind, "")}, set(ind+2)...)
	case ann.Kind == yaml.ScalarNode && ann.Tag == "!!null" || ann.Kind == yaml.MappingNode && ann.Style&yaml.FlowStyle != 0:
		// annotations: / null / {} / {a: b} on the key's own line: rewrite it as a block.
		if ann.Line != annKey.Line || !singleLine(lines, annKey, ind) {
			return nil, false
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
		out = append(out, set(ind+2)...)
		sort.Strings(out[1:])
		repl[annKey.Line-1] = out
	case ann.Kind == yaml.MappingNode && len(ann.Content) > 0:
		afirst := ann.Content[0]
		aind := afirst.Column - 1
		if afirst.Line <= annKey.Line || !indentedKey(lines, afirst, aind) {
			return nil, false
		}
		var add []string
		for _, k := range keys {
			kn, vn := lastEntry(ann, k)
			if kn == nil {
				if v := r.changed.value(k); v != nil {
					add = append(add, fmt.Sprintf("%*s%s: %s\n", aind, "", yamlKey(k), quote(*v)))
				}
				continue
			}
			if countKey(ann, k) > 1 || vn.Kind != yaml.ScalarNode || vn.Line != kn.Line ||
				vn.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || kn.Column-1 != aind ||
				!indentedKey(lines, kn, aind) || !singleLine(lines, kn, aind) {
				return nil, false
			}
			if v := r.changed.value(k); v != nil {
				repl[kn.Line-1] = []string{fmt.Sprintf("%*s%s: %s\n", aind, "", yamlKey(k), quote(*v))}
			} else {
				repl[kn.Line-1] = []string{}
			}
		}
		if len(add) > 0 {
			ins[afirst.Line-1] = add
		}
	default:
		return nil, false
	}
	var b bytes.Buffer
	b.Grow(len(r.raw) + 256)
	for i, l := range lines {
		for _, s := range ins[i] {
			b.WriteString(s)
		}
		if rl, ok := repl[i]; ok {
			for _, s := range rl {
				b.WriteString(s)
			}
			continue
		}
		b.Write(l)
		if len(l) > 0 && l[len(l)-1] != '\n' && (len(ins[i+1]) > 0 || i+1 < len(lines)) {
			b.WriteByte('\n')
		}
	}
	for _, s := range ins[len(lines)] {
		b.WriteString(s)
	}
	return b.Bytes(), true
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

func hasAnchors(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode || n.Tag == "!!merge" {
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

// singleLine reports whether the entry whose key is k ends on k's line: the
// next line with content is indented no deeper than ind.
func singleLine(lines [][]byte, k *yaml.Node, ind int) bool {
	for i := k.Line; i < len(lines); i++ {
		l := lines[i]
		t := bytes.TrimLeft(l, " ")
		if len(bytes.TrimSpace(t)) == 0 {
			continue
		}
		return len(l)-len(t) <= ind
	}
	return true
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
