package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Document is one YAML document of a stream: its text and the 1-based line
// where it starts.
type Document struct {
	Text []byte
	Line int
}

// SplitYAML splits a stream into documents the way Kubernetes' YAML reader
// (and so Argo CD) does: a line that starts with "---" and has nothing after
// it but blanks or a comment separates documents. A UTF-8 byte order mark is
// dropped. Empty documents are returned too; callers skip them.
func SplitYAML(data []byte) []Document {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var docs []Document
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if isSeparator(l) {
			docs = append(docs, Document{Text: data[start:i], Line: startLine})
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	docs = append(docs, Document{Text: data[start:], Line: startLine})
	return docs
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

// isBlank reports whether a document holds nothing but blanks and comments.
func isBlank(text []byte) bool {
	for _, l := range bytes.Split(text, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// Decode parses a stream of Kubernetes objects: YAML documents, or, when the
// stream starts with '{', concatenated JSON objects (as Kubernetes' YAML-or-
// JSON decoder does). Empty and null documents are skipped; objects with an
// "items" array are flattened into their items. Every object must be a
// mapping with a kind. source names the stream in messages and becomes each
// resource's Source.
func Decode(source string, data []byte) ([]*Resource, error) {
	return decodeStream(source, data, DecodeDocument)
}

// DecodeFast is Decode with DecodeDocumentFast for each YAML document.
func DecodeFast(source string, data []byte) ([]*Resource, error) {
	return decodeStream(source, data, DecodeDocumentFast)
}

func decodeStream(source string, data []byte, doc func(string, Document) ([]*Resource, error)) ([]*Resource, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return decodeJSONStream(source, data, false)
	}
	var out []*Resource
	for _, d := range SplitYAML(data) {
		if isBlank(d.Text) {
			continue
		}
		rs, err := doc(source, d)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// DecodeJSON parses a JSON file that must hold exactly one object, as Argo CD
// reads .json files of a directory source.
func DecodeJSON(source string, data []byte) ([]*Resource, error) {
	return decodeJSONStream(source, data, true)
}

func decodeJSONStream(source string, data []byte, single bool) ([]*Resource, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []*Resource
	for n := 0; ; n++ {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: invalid JSON: %v", source, err)
		}
		if single && n > 0 {
			return nil, fmt.Errorf("%s: expected one object in a .json file, found more", source)
		}
		seg := data[off:dec.InputOffset()]
		lead := len(seg) - len(bytes.TrimLeft(seg, " \t\r\n"))
		line := 1 + bytes.Count(data[:off+int64(lead)], []byte("\n"))
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		rs, err := decodeNode(source, line, raw, true)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// DecodeDocument parses one YAML document into resources (none for an empty
// or null document, several for a List).
func DecodeDocument(source string, d Document) ([]*Resource, error) {
	if isBlank(d.Text) {
		return nil, nil
	}
	return decodeNode(source, d.Line, d.Text, false)
}

func decodeNode(source string, line int, text []byte, isJSON bool) ([]*Resource, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlErr(source, err, line)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%s: expected one YAML document, found a second one starting at line %d (documents are separated by a line holding only ---)", at(source, line, 0), line+extra.Line-1)
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlErr(source, err, line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a Kubernetes object (a mapping with apiVersion and kind), found %s", at(source, line, root.Line), describe(root))
	}
	// Argo CD flattens any object whose items is an array, whatever its kind.
	if items := mapValue(root, "items"); items != nil {
		if items.Kind == yaml.SequenceNode {
			var out []*Resource
			for i, it := range items.Content {
				it = resolveAlias(it)
				if it.Kind == yaml.ScalarNode && it.Tag == "!!null" {
					continue
				}
				r, err := newResource(source, line, it, nil, false, fmt.Sprintf("items[%d]", i))
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			return out, nil
		}
		if items.Tag == "!!null" && mapValue(root, "spec") == nil && mapValue(root, "status") == nil {
			return nil, nil
		}
	}
	r, err := newResource(source, line, root, text, isJSON, "")
	if err != nil {
		return nil, err
	}
	return []*Resource{r}, nil
}

func newResource(source string, line int, n *yaml.Node, raw []byte, isJSON bool, field string) (*Resource, error) {
	where := at(source, line, n.Line)
	prefix := ""
	if field != "" {
		prefix = field + "."
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: %sexpected a Kubernetes object, found %s", where, prefix, describe(n))
	}
	r := &Resource{Source: source, Line: line, node: n, raw: raw, json: isJSON}
	defer r.trim()
	var err error
	if r.Kind, err = stringField(n, "kind"); err != nil {
		return nil, fmt.Errorf("%s: %s%w", where, prefix, err)
	}
	if r.Kind == "" {
		return nil, fmt.Errorf("%s: %sobject has no kind (every Kubernetes object needs apiVersion and kind)", where, prefix)
	}
	if r.APIVersion, err = stringField(n, "apiVersion"); err != nil {
		return nil, fmt.Errorf("%s: %s%w", where, prefix, err)
	}
	if r.APIVersion == "" {
		return nil, fmt.Errorf("%s: %s%s has no apiVersion (every Kubernetes object needs apiVersion and kind)", where, prefix, r.Kind)
	}
	meta := mapValue(n, "metadata")
	if meta != nil && meta.Tag != "!!null" {
		if meta.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: %smetadata: expected a mapping, found %s", where, prefix, describe(meta))
		}
		if r.Name, err = stringField(meta, "name"); err != nil {
			return nil, fmt.Errorf("%s: %smetadata.%w", where, prefix, err)
		}
		if r.Namespace, err = stringField(meta, "namespace"); err != nil {
			return nil, fmt.Errorf("%s: %smetadata.%w", where, prefix, err)
		}
		if r.Labels, err = stringMap(meta, "labels"); err != nil {
			return nil, fmt.Errorf("%s: %s %smetadata.%w", where, r, prefix, err)
		}
		if r.Annotations, err = stringMap(meta, "annotations"); err != nil {
			return nil, fmt.Errorf("%s: %s %smetadata.%w", where, r, prefix, err)
		}
	}
	return r, nil
}

func stringField(n *yaml.Node, key string) (string, error) {
	v := mapValue(n, key)
	if v == nil || v.Tag == "!!null" {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		return "", fmt.Errorf("%s: expected a string, found %s", key, describe(v))
	}
	return v.Value, nil
}

func stringMap(n *yaml.Node, key string) (map[string]string, error) {
	v := mapValue(n, key)
	if v == nil || v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a mapping of strings, found %s", key, describe(v))
	}
	m := make(map[string]string, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolveAlias(v.Content[i]), resolveAlias(v.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return nil, fmt.Errorf("%s: expected string keys, found %s", key, describe(k))
		}
		if val.Kind != yaml.ScalarNode || val.Tag != "!!str" {
			return nil, fmt.Errorf("%s.%s: expected a string, found %s (quote the value)", key, k.Value, describe(val))
		}
		m[k.Value] = val.Value
	}
	return m, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", v)
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), v)
		}
	}
	return "nothing"
}

// at formats a location: file:line where line is the document's start line
// plus the node's line within it.
func at(source string, docLine, nodeLine int) string {
	l := docLine
	if nodeLine > 1 {
		l += nodeLine - 1
	}
	if l <= 0 {
		return source
	}
	return fmt.Sprintf("%s:%d", source, l)
}

// yamlErr rewrites yaml.v3's "yaml: line N: msg" so N is a line of the file.
func yamlErr(source string, err error, docLine int) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var n int
	if c, _ := fmt.Sscanf(msg, "line %d:", &n); c == 1 {
		if i := strings.Index(msg, ":"); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
		return fmt.Errorf("%s:%d: invalid YAML: %s", source, n+docLine-1, msg)
	}
	return fmt.Errorf("%s: invalid YAML: %s", at(source, docLine, 0), msg)
}

// trim drops the parts of a YAML document's tree that nothing reads once it
// is decoded: the text is kept and re-parsed if the object must be encoded
// afresh. What stays is apiVersion, kind, metadata, and a CRD's spec. This
// keeps memory (and garbage collection) proportional to the metadata, not to
// the whole rendered output.
func (r *Resource) trim() {
	if r.raw == nil || r.json || r.node == nil {
		return
	}
	keep := []string{"apiVersion", "kind", "metadata"}
	if r.Kind == "CustomResourceDefinition" {
		keep = append(keep, "spec")
	}
	t := &yaml.Node{Kind: yaml.MappingNode, Tag: r.node.Tag, Line: r.node.Line, Column: r.node.Column}
	for _, k := range keep {
		if kn, vn := lastEntry(r.node, k); kn != nil {
			t.Content = append(t.Content, kn, vn)
		}
	}
	r.node = t
}
