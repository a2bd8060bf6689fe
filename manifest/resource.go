package manifest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resource is one Kubernetes object as a source produced it. The identity
// fields are read once when the document is parsed; annotation changes are
// recorded and spliced into the original text when the stream is written, so
// nothing else in the document changes.
type Resource struct {
	// Source is where the object came from: the file path relative to the
	// application path (slash separated), or the Helm template path
	// (<chart>/templates/x.yaml).
	Source string
	// Line is the 1-based line in Source where the document starts (0 when
	// unknown, e.g. an item of a List).
	Line int

	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Labels and Annotations are the object's metadata maps (nil when absent).
	// Annotations reflects SetAnnotation/DeleteAnnotation calls.
	Labels      map[string]string
	Annotations map[string]string

	node     *yaml.Node     // the YAML document's mapping node (trimmed to metadata), for splicing
	raw      []byte         // the original YAML document text; nil when it must be re-encoded
	obj      map[string]any // the object as Argo CD reads it: whole without raw, else trimmed
	noSplice bool           // the text cannot be spliced safely: encode afresh when changed
	// lean: read by the fast reader, which keeps neither node nor obj (but
	// for a CRD): the text is all, read again when a splice needs the tree.
	lean bool
	// meta is where a lean resource's metadata entry is in raw (end 0:
	// none), so that a splice reads that entry alone.
	meta struct{ start, end, line int }
	// metaTree is the metadata entry of a lean resource that the fast
	// reader read as a tree (fastTree: flow style, quoted keys), kept for
	// a splice.
	metaTree *yaml.Node
	changed  changes
}

// changes are the annotations set (value non-nil) or removed (nil) since
// decoding, in the order first changed: a slice, as a resource has few.
type changes []change

type change struct {
	key   string
	value *string
}

// get returns the change of key: its new value (nil when removed) and
// whether key changed.
func (c changes) get(key string) (*string, bool) {
	for i := range c {
		if c[i].key == key {
			return c[i].value, true
		}
	}
	return nil, false
}

// value is the new value of key, nil when it was removed or not changed.
func (c changes) value(key string) *string {
	v, _ := c.get(key)
	return v
}

// put records key's new value (nil: removed).
func (c *changes) put(key string, value *string) {
	for i := range *c {
		if (*c)[i].key == key {
			(*c)[i].value = value
			return
		}
	}
	*c = append(*c, change{key, value})
}

// Group is the API group of the object ("" for the core group).
func (r *Resource) Group() string {
	if i := strings.LastIndexByte(r.APIVersion, '/'); i >= 0 {
		return r.APIVersion[:i]
	}
	return ""
}

// Version is the API version without the group.
func (r *Resource) Version() string {
	if i := strings.LastIndexByte(r.APIVersion, '/'); i >= 0 {
		return r.APIVersion[i+1:]
	}
	return r.APIVersion
}

// String names the resource the way messages do: "Deployment ns/name" or
// "ClusterRole name".
func (r *Resource) String() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Where is the resource's location for messages: "path/file.yaml:12".
func (r *Resource) Where() string {
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.Source, r.Line)
	}
	return r.Source
}

// Annotation returns the value of an annotation and whether it is present.
func (r *Resource) Annotation(key string) (string, bool) {
	v, ok := r.Annotations[key]
	return v, ok
}

// SetAnnotation sets an annotation. The change reaches the output when the
// stream is written.
func (r *Resource) SetAnnotation(key, value string) {
	if old, ok := r.Annotations[key]; ok && old == value {
		return
	}
	if r.Annotations == nil {
		r.Annotations = map[string]string{}
	}
	r.Annotations[key] = value
	v := value
	r.changed.put(key, &v)
}

// DeleteAnnotation removes an annotation if present.
func (r *Resource) DeleteAnnotation(key string) {
	if _, ok := r.Annotations[key]; !ok {
		return
	}
	delete(r.Annotations, key)
	r.changed.put(key, nil)
}

// Changed reports whether any annotation was set or removed.
func (r *Resource) Changed() bool { return len(r.changed) > 0 }

// changedKeys returns the changed annotation keys in sorted order.
func (r *Resource) changedKeys() []string {
	keys := make([]string, 0, len(r.changed))
	for _, c := range r.changed {
		keys = append(keys, c.key)
	}
	sort.Strings(keys)
	return keys
}

// Field returns the scalar at a path of mapping keys (e.g. "spec", "group")
// and whether it exists. For an object read from YAML text only apiVersion,
// kind, metadata and a CustomResourceDefinition's spec are kept after
// decoding (see trim); other paths report false.
func (r *Resource) Field(path ...string) (string, bool) {
	if r.obj != nil {
		var v any = r.obj
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			if v, ok = m[k]; !ok {
				return "", false
			}
		}
		switch x := v.(type) {
		case string:
			return x, true
		case bool, json.Number:
			return fmt.Sprint(x), true
		}
		return "", false
	}
	n := r.node
	for _, k := range path {
		n = mapValue(n, k)
		if n == nil {
			return "", false
		}
	}
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// mapValue returns the value node of key in mapping node n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Kind == yaml.ScalarNode {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
