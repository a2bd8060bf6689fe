package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	yaml2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
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
func isBlank(text []byte) bool { return onlyComments(text, bytes.TrimSpace) }

// onlyComments reports whether every line of text, trimmed by trim, is
// empty or a comment.
func onlyComments(text []byte, trim func([]byte) []byte) bool {
	for len(text) > 0 {
		l := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if t := trim(l); len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// Format is how Decode splits its input into objects.
type Format int

const (
	// Stream is a stream of YAML documents separated by "---" lines (see
	// SplitYAML) or, when it starts with '{', of concatenated JSON objects,
	// as Kubernetes' YAML-or-JSON decoder reads it. Empty and null documents
	// are skipped.
	Stream Format = iota
	// OneDocument is one YAML document, the Text of a Document whose Line
	// is Options.Line; a second document in it is an error.
	OneDocument
	// OneJSON is a JSON file that must hold exactly one object, as Argo CD
	// reads the .json files of a directory source.
	OneJSON
)

// Reader is how Decode reads a YAML document.
type Reader int

const (
	// Full reads the whole document (see Decode).
	Full Reader = iota
	// Fast parses only the top-level keys and the metadata block where the
	// document has the common block-style shape, and hands every other
	// document to Full. Its result equals Full's for every document it
	// accepts (FuzzDecodeFast checks this); it does not validate the YAML
	// of the parts it skips, so it suits rendered output, which is valid
	// YAML by construction.
	Fast
	// FastStrict is Fast that also proves the parts it skips valid: it
	// accepts a document only when Full accepts it too, with the same
	// result. Files a user wrote are read with it, since a fault anywhere
	// in a document is an error to Argo CD.
	FastStrict
)

// Options say what Decode reads and how.
type Options struct {
	// Format is the shape of the input: Stream (the zero value),
	// OneDocument or OneJSON.
	Format Format
	// Line is the 1-based line where a OneDocument's text starts in its
	// source (0 when unknown); the other formats count from their first
	// line.
	Line int
	// AnyVersion reads an object without apiVersion (and passes it on)
	// rather than refusing it, as Argo CD's directory source does; a kind
	// is still required. It applies to YAML documents and OneJSON, not to
	// the JSON objects of a Stream.
	AnyVersion bool
	// Reader is how a YAML document is read: Full (the zero value), Fast
	// or FastStrict.
	Reader Reader
}

// Decode parses Kubernetes objects from data, as opts says. Objects with
// an "items" array are flattened into their items. Every object must be a
// mapping with a kind (and an apiVersion, unless opts.AnyVersion). source
// names the input in messages and becomes each resource's Source.
//
// The object is what Argo CD reads: a YAML document is converted to JSON
// by sigs.k8s.io/yaml (YAML 1.1: the last of repeated keys wins, merge keys
// are resolved, yes/no/on/off are booleans), and the identity (apiVersion,
// kind, namespace, name, labels, annotations) is taken from that JSON. The
// document is also parsed with yaml.v3 for the positions the writer
// splices annotations at; where the two readings of metadata could differ
// (repeated keys, anchors, merge keys, line breaks other than \n) the
// object is encoded afresh instead of spliced.
func Decode(source string, data []byte, opts Options) ([]*Resource, error) {
	switch opts.Format {
	case OneJSON:
		return decodeJSONStream(source, data, true, opts.AnyVersion)
	case OneDocument:
		return opts.document(source, Document{Text: data, Line: opts.Line})
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return decodeJSONStream(source, data, false, false)
	}
	var out []*Resource
	for _, d := range SplitYAML(data) {
		if isBlank(d.Text) {
			continue
		}
		rs, err := opts.document(source, d)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// document reads one YAML document with opts.Reader (none for an empty or
// null document, several for a List).
func (opts Options) document(source string, d Document) ([]*Resource, error) {
	var r *Resource
	ok := false
	switch opts.Reader {
	case Fast:
		r, ok = decodeFast(source, d)
	case FastStrict:
		r, ok = decodeFastStrict(source, d)
	}
	if ok {
		return []*Resource{r}, nil
	}
	if isBlank(d.Text) {
		return nil, nil
	}
	return decodeYAML(source, d.Line, d.Text, opts.AnyVersion)
}

func decodeJSONStream(source string, data []byte, single, anyVersion bool) ([]*Resource, error) {
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
		v, err := decodeJSONValue(raw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: invalid JSON: %v", source, line, err)
		}
		rs, err := fromValue(source, line, v, nil, nil, anyVersion)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// decodeJSONValue decodes JSON keeping numbers as written (json.Number), so
// an object encoded afresh keeps every digit.
func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeYAML(source string, line int, text []byte, anyVersion bool) ([]*Resource, error) {
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
	if mayCollide(&doc) {
		if err := keyCollisions(text); err != nil {
			return nil, fmt.Errorf("%s: %w", at(source, line, 0), err)
		}
	}
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return nil, yamlErr(source, err, line)
	}
	v, err := decodeJSONValue(j)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %v", at(source, line, 0), err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	return fromValue(source, line, v, root, text, anyVersion)
}

// mayCollide reports whether a document has a mapping key that YAML 1.1
// may read as something other than a string (a number, a boolean, null, an
// alias): two such keys can become the same JSON key.
func mayCollide(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Style == 0 && (k.Value == "" || !isLetter(k.Value[0]) || yaml11Word([]byte(k.Value))) {
				return true
			}
		}
	}
	for _, c := range n.Content {
		if mayCollide(c) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// keyCollisions refuses a mapping with two different keys that become the
// same JSON key (0 and 0.0, yes and true): sigs.k8s.io/yaml then keeps one of
// the two at random, so Argo CD's reading is not even stable.
func keyCollisions(text []byte) error {
	var v any
	if err := yaml2.Unmarshal(text, &v); err != nil {
		return nil // the conversion reports it
	}
	return collisions(v)
}

func collisions(v any) error {
	switch x := v.(type) {
	case map[any]any:
		seen := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := jsonKey(k)
			if ok {
				if prev, dup := seen[ks]; dup {
					a, b := fmt.Sprintf("%#v", prev), fmt.Sprintf("%#v", k)
					if a > b {
						a, b = b, a
					}
					return fmt.Errorf("invalid YAML: the keys %s and %s both become %q for Argo CD, which keeps one of them at random", a, b, ks)
				}
				seen[ks] = k
			}
			if err := collisions(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := collisions(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonKey is the JSON key sigs.k8s.io/yaml makes of a YAML 1.1 key.
func jsonKey(k any) (string, bool) {
	switch x := k.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// fromValue turns one decoded object (the JSON value Argo CD reads) into
// resources. node and text are the yaml.v3 tree and the text of a YAML
// document (nil for JSON).
func fromValue(source string, line int, v any, node *yaml.Node, text []byte, anyVersion bool) ([]*Resource, error) {
	if v == nil {
		return nil, nil
	}
	nodeLine := 0
	if node != nil {
		nodeLine = node.Line
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a Kubernetes object (a mapping with apiVersion and kind), found %s", at(source, line, nodeLine), describeValue(v))
	}
	// Argo CD flattens any object whose items is an array, whatever its kind.
	if items, present := obj["items"]; present {
		if list, ok := items.([]any); ok {
			var out []*Resource
			for i, it := range list {
				if it == nil {
					continue
				}
				r, err := newResource(source, line, it, nil, nil, fmt.Sprintf("items[%d]", i), nodeLine)
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
			return out, nil
		}
		_, spec := obj["spec"]
		_, status := obj["status"]
		if items == nil && !spec && !status {
			return nil, nil
		}
	}
	r, err := newResourceFrom(source, line, obj, node, text, "", nodeLine, false, anyVersion)
	if err != nil {
		return nil, err
	}
	return []*Resource{r}, nil
}

// newResource reads the identity of an object from its JSON value. node and
// text are the document's yaml.v3 tree and text, kept for splicing; without
// them the object is kept whole and encoded afresh when written.
func newResource(source string, line int, v any, node *yaml.Node, text []byte, field string, nodeLine int) (*Resource, error) {
	return newResourceFrom(source, line, v, node, text, field, nodeLine, false, false)
}

func newResourceFrom(source string, line int, v any, node *yaml.Node, text []byte, field string, nodeLine int, trusted, anyVersion bool) (*Resource, error) {
	// where is formatted only for an error
	where := func() string { return at(source, line, nodeLine) }
	prefix := ""
	if field != "" {
		prefix = field + "."
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %sexpected a Kubernetes object, found %s", where(), prefix, describeValue(v))
	}
	r := &Resource{Source: source, Line: line}
	if err := r.readIdentity(obj); err != nil && !(anyVersion && errors.As(err, new(noKindError)) && r.Kind != "") {
		var ne noKindError
		switch {
		case errors.As(err, &ne) && ne.kind == "":
			return nil, fmt.Errorf("%s: %sobject has no kind (every Kubernetes object needs apiVersion and kind)", where(), prefix)
		case errors.As(err, &ne):
			return nil, fmt.Errorf("%s: %s%s has no apiVersion (every Kubernetes object needs apiVersion and kind)", where(), prefix, ne.kind)
		case r.Kind != "" && strings.HasPrefix(err.Error(), "metadata."):
			return nil, fmt.Errorf("%s: %s %s%w", where(), r, prefix, err)
		default:
			return nil, fmt.Errorf("%s: %s%w", where(), prefix, err)
		}
	}
	if text == nil {
		r.obj = obj
		return r, nil
	}
	r.raw = text
	if trusted && r.Kind != "CustomResourceDefinition" {
		// The fast reader's tree is plain and cheap to read again: keep
		// only the text, and the tree is read again if a splice needs it.
		r.lean = true
		return r, nil
	}
	r.obj = trimValue(obj, r.Kind)
	if node != nil && node.Kind == yaml.MappingNode {
		r.node = node
		// The fast reader proves its tree plain (see decodeFast); the
		// full reader's tree is checked.
		r.noSplice = !trusted && !spliceable(node, r, text)
		r.trim()
	} else {
		r.noSplice = true
	}
	return r, nil
}

// noKindError reports a missing kind (kind "") or a missing apiVersion.
type noKindError struct{ kind string }

func (e noKindError) Error() string { return "no kind or apiVersion" }

// readIdentity sets apiVersion, kind, namespace, name, labels and
// annotations from an object's JSON value. Errors name the field.
func (r *Resource) readIdentity(obj map[string]any) error {
	var err error
	if r.Kind, err = stringValue(obj, "kind"); err != nil {
		return err
	}
	if r.Kind == "" {
		return noKindError{}
	}
	if r.APIVersion, err = stringValue(obj, "apiVersion"); err != nil {
		return err
	}
	var missing error
	if r.APIVersion == "" {
		missing = noKindError{kind: r.Kind}
	}
	mv := obj["metadata"]
	if mv == nil {
		return missing
	}
	meta, ok := mv.(map[string]any)
	if !ok {
		return fmt.Errorf("metadata: expected a mapping, found %s", describeValue(mv))
	}
	if r.Name, err = stringValue(meta, "name"); err != nil {
		return fmt.Errorf("metadata.%w", err)
	}
	if r.Namespace, err = stringValue(meta, "namespace"); err != nil {
		return fmt.Errorf("metadata.%w", err)
	}
	if r.Labels, err = stringMapValue(meta, "labels"); err != nil {
		return fmt.Errorf("metadata.%w", err)
	}
	if r.Annotations, err = stringMapValue(meta, "annotations"); err != nil {
		return fmt.Errorf("metadata.%w", err)
	}
	return missing
}

func stringValue(m map[string]any, key string) (string, error) {
	v := m[key]
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: expected a string, found %s%s", key, describeValue(v), yaml11Hint(v))
	}
	return s, nil
}

func stringMapValue(m map[string]any, key string) (map[string]string, error) {
	v := m[key]
	if v == nil {
		return nil, nil
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a mapping of strings, found %s", key, describeValue(v))
	}
	out := make(map[string]string, len(mm))
	keys := make([]string, 0, len(mm))
	for k := range mm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := mm[k]
		s, ok := e.(string)
		if !ok {
			hint := "quote the value"
			if key == "annotations" {
				hint = "quote the value: Argo CD ignores every annotation of an object with a value that is not a string"
			}
			return nil, fmt.Errorf("%s.%s: expected a string, found %s%s (%s)", key, k, describeValue(e), yaml11Hint(e), hint)
		}
		out[k] = s
	}
	return out, nil
}

// yaml11Hint explains a boolean that the YAML text may not show as one.
func yaml11Hint(v any) string {
	if _, ok := v.(bool); ok {
		return ", as Argo CD reads YAML 1.1, where yes/no/on/off/y/n are booleans"
	}
	return ""
}

// describeValue names a JSON value in messages, with the words yaml.v3 tags
// use (int, float, bool).
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return fmt.Sprintf("bool %v", x)
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "int " + x.String()
		}
		return "float " + x.String()
	case float64:
		return fmt.Sprintf("float %v", x)
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("the string %q", x)
	}
	return fmt.Sprintf("%v", v)
}

// trimValue keeps what syncwave reads of a YAML document's object: apiVersion,
// kind, metadata and a CRD's spec. The text is read again when the object
// must be encoded afresh.
func trimValue(obj map[string]any, kind string) map[string]any {
	t := map[string]any{}
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if v, ok := obj[k]; ok {
			t[k] = v
		}
	}
	if kind == "CustomResourceDefinition" {
		if v, ok := obj["spec"]; ok {
			t["spec"] = v
		}
	}
	return t
}

// spliceable reports whether the yaml.v3 tree of a document shows the
// metadata exactly as Argo CD reads it, so that the writer can splice
// annotation lines into it: one metadata key, no merge key at the top, no
// anchors, aliases, tags or repeated keys in metadata, only \n (or \r\n)
// line breaks, and the same labels and annotations as the JSON reading.
func spliceable(root *yaml.Node, r *Resource, text []byte) bool {
	if root.Anchor != "" || oddBreaks(text) || countKey(root, "metadata") > 1 || countKey(root, "<<") > 0 {
		return false
	}
	_, meta := lastEntry(root, "metadata")
	if meta == nil {
		return true
	}
	if hasAnchors(meta) || hasDuplicates(meta) {
		return false
	}
	return sameStrings(nodeStrings(meta, "annotations"), r.Annotations) && sameStrings(nodeStrings(meta, "labels"), r.Labels)
}

// oddBreaks reports whether text holds a line break other than \n and \r\n
// (a lone \r, NEL, LS or PS): YAML counts lines differently from the writer.
func oddBreaks(text []byte) bool {
	for i := 0; i < len(text); {
		j := bytes.IndexByte(text[i:], '\r')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= len(text) || text[i] != '\n' {
			return true
		}
	}
	return bytes.Contains(text, []byte("\u0085")) || bytes.Contains(text, []byte("\u2028")) || bytes.Contains(text, []byte("\u2029"))
}

func hasDuplicates(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || seen[k.Value] {
				return true
			}
			seen[k.Value] = true
			if hasDuplicates(n.Content[i+1]) {
				return true
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if hasDuplicates(c) {
				return true
			}
		}
	}
	return false
}

// nodeStrings reads a labels or annotations mapping from the yaml.v3 tree
// (nil when it is not a mapping of string scalars).
func nodeStrings(meta *yaml.Node, key string) map[string]string {
	_, v := lastEntry(meta, key)
	if v == nil || v.Kind != yaml.MappingNode {
		return nil
	}
	out := make(map[string]string, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, e := v.Content[i], v.Content[i+1]
		if k.Kind != yaml.ScalarNode || e.Kind != yaml.ScalarNode || k.Tag != "!!str" || e.Tag != "!!str" {
			return map[string]string{"\x00": "not strings"}
		}
		out[k.Value] = e.Value
	}
	return out
}

func sameStrings(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
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
	if strings.HasPrefix(msg, "unsupported map key") {
		// sigs.k8s.io/yaml's words for a key JSON cannot hold
		msg = "a mapping key is null (null, ~ or nothing), which Argo CD cannot read"
	}
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
	if r.raw == nil || r.node == nil {
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
