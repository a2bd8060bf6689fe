package order

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/argocd"
)

// Decode strictly decodes an ordering file, applies Default and runs
// Validate. filename is used only in messages. apiVersion and kind are
// checked first; then every unknown or duplicate key and every value of the
// wrong type is reported with its line and field path; then every problem
// Validate finds. The returned error joins *FieldError values, one per line
// of its text. syntaxes are the names of the dependency annotation syntaxes
// (annotate.SyntaxNames): the keys the dependencies block accepts besides
// references are theirs (SyntaxKey).
func Decode(filename string, data []byte, syntaxes []string) (*SyncOrder, error) {
	root, err := parseDocument(filename, data)
	if err != nil {
		return nil, err
	}
	if err := checkTypeMeta(filename, root); err != nil {
		return nil, err
	}
	d := &decoder{file: filename, lines: map[string]int{}, budget: decodeBudget, syntaxOf: map[string]string{}}
	for _, name := range syntaxes {
		d.syntaxKeys = append(d.syntaxKeys, SyntaxKey(name))
		d.syntaxOf[SyntaxKey(name)] = name
	}
	o := &SyncOrder{}
	d.value(root, reflect.ValueOf(o).Elem(), "", root.Line)
	o.file, o.lines = filename, d.lines
	o.Default()
	var errs errorList
	errs = append(errs, d.errs...)
	for _, e := range o.validate() {
		if !d.covered(e.Path) {
			errs = append(errs, e)
		}
	}
	if err := errs.join(); err != nil {
		return nil, err
	}
	return o, nil
}

// decodeBudget bounds the nodes visited, so that aliases cannot make a small
// file expensive.
const decodeBudget = 1 << 20

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument parses exactly one YAML document and returns its root node.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, NewFieldError(file, 0, "", "empty file; expected a %s with apiVersion %s", Kind, APIVersion)
		}
		return nil, yamlError(file, err)
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(file, err)
		}
		if n := resolve(&next); n != nil && n.ShortTag() != "!!null" {
			return nil, NewFieldError(file, next.Line, "", "expected one YAML document, found another one here")
		}
	}
	root := resolve(&doc)
	if root == nil || root.ShortTag() == "!!null" {
		return nil, NewFieldError(file, 0, "", "empty document; expected a %s with apiVersion %s", Kind, APIVersion)
	}
	if root.Kind != yaml.MappingNode {
		return nil, NewFieldError(file, root.Line, "", "expected a mapping (a %s), found %s", Kind, describe(root))
	}
	return root, nil
}

func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return NewFieldError(file, line, "", "invalid YAML: %s", m[2])
	}
	return NewFieldError(file, 0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// checkTypeMeta checks apiVersion and kind before anything else, so that a
// file of another kind gets one clear message rather than a list of unknown
// fields.
func checkTypeMeta(file string, root *yaml.Node) error {
	var errs errorList
	check := func(key, want string) {
		k, v := lookup(root, key)
		switch {
		case k == nil:
			errs = append(errs, NewFieldError(file, root.Line, "", "missing %s; expected %s: %s", key, key, want))
		case v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str":
			errs = append(errs, NewFieldError(file, v.Line, key, "expected %q, found %s", want, describe(v)))
		case v.Value != want:
			errs = append(errs, NewFieldError(file, v.Line, key, "expected %q, found %q", want, v.Value))
		}
	}
	check("apiVersion", APIVersion)
	check("kind", Kind)
	return errs.join()
}

// lookup finds a key in a mapping node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := resolve(m.Content[i]); kn != nil && kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, resolve(m.Content[i+1])
		}
	}
	return nil, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode); i++ {
		if i > 100 {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 1 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// describe names what a node holds, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int":
		return "the integer " + n.Value
	case "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
}

// decoder walks a node tree into Go values by reflection, collecting every
// problem instead of stopping at the first.
type decoder struct {
	file   string
	lines  map[string]int
	errs   errorList
	failed []string // paths whose value could not be decoded
	budget int

	syntaxKeys []string          // the dependencies block's syntax keys, in order
	syntaxOf   map[string]string // syntax key -> syntax name
}

var dependenciesType = reflect.TypeFor[Dependencies]()

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, NewFieldError(d.file, line, path, format, args...))
	d.failed = append(d.failed, path)
}

// covered reports whether a validation error at path is explained by a
// decoding error at the same path or an enclosing one (e.g. a required name
// that was given as a number).
func (d *decoder) covered(path string) bool {
	for _, f := range d.failed {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if !simpleKey(key) {
		key = "[" + strconv.Quote(key) + "]"
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func simpleKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// textTypes are the field types written as one string in the ordering
// file and read by their UnmarshalText, with what the string must be.
var textTypes = map[reflect.Type]string{
	reflect.TypeFor[argocd.DeletePolicies](): "a comma-separated string",
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	anyMapType      = reflect.TypeFor[map[string]any]()
)

// value decodes n into v. line is where the value is introduced (its key's
// line for a mapping field), used for messages about the value as a whole.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, line int) {
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.errorf(line, path, "document too large (too many nodes after expanding aliases)")
		}
		return
	}
	n = resolve(n)
	if n == nil {
		d.errorf(line, path, "alias nesting too deep")
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the zero value
	}
	if what, ok := textTypes[v.Type()]; ok {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.errorf(n.Line, path, "expected %s, found %s", what, describe(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n.Line, path, "%s", err.Error())
		}
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.errorf(n.Line, path, "%s", err.Error())
		}
		return
	}
	t := v.Type()
	switch {
	case t == anyMapType:
		if n.Kind != yaml.MappingNode {
			d.errorf(n.Line, path, "expected a mapping, found %s", describe(n))
			return
		}
		m, err := decodeValues(n, &d.budget)
		if err != nil {
			d.errorf(n.Line, path, "%s", err.Error())
			return
		}
		v.Set(reflect.ValueOf(m))
		return
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		d.value(n, e.Elem(), path, line)
		v.Set(e)
		return
	case t.Kind() == reflect.Struct:
		d.structValue(n, v, path, line)
		return
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n.Line, path, "expected a list, found %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = item.Line
			d.value(item, s.Index(i), p, item.Line)
		}
		v.Set(s)
		return
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		if n.Kind != yaml.MappingNode {
			d.errorf(n.Line, path, "expected a mapping, found %s", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := resolve(n.Content[i]), n.Content[i+1]
			key, ok := d.key(kn, path)
			if !ok {
				continue
			}
			p := join(path, key)
			if first, dup := seen[key]; dup {
				d.errorf(kn.Line, path, "duplicate key %q (first at line %d)", key, first)
				continue
			}
			seen[key] = kn.Line
			d.lines[p] = kn.Line
			e := reflect.New(t.Elem()).Elem()
			d.value(vn, e, p, kn.Line)
			m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
		}
		v.Set(m)
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "expected %s, found %s", expectedKind(t), describe(n))
		return
	}
	switch t.Kind() {
	case reflect.String:
		if n.ShortTag() != "!!str" {
			d.errorf(n.Line, path, "expected a string, found %s (quote it: %q)", describe(n), n.Value)
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n.Line, path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.errorf(n.Line, path, "expected an integer, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	default:
		panic(fmt.Sprintf("order: no decoder for %s", t))
	}
}

func expectedKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	}
	return t.String()
}

// key returns a mapping key as a string, reporting keys that are not plain
// strings (including merge keys, which are not supported).
func (d *decoder) key(kn *yaml.Node, path string) (string, bool) {
	if kn == nil || kn.Kind != yaml.ScalarNode {
		line := 0
		if kn != nil {
			line = kn.Line
		}
		d.errorf(line, path, "expected a string key, found %s", describe(kn))
		return "", false
	}
	if kn.ShortTag() == "!!merge" {
		d.errorf(kn.Line, path, "merge keys (<<) are not supported; repeat the fields instead")
		return "", false
	}
	return kn.Value, true
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string, line int) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "expected a mapping, found %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	names := fields.names
	if v.Type() == dependenciesType {
		names = append(slices.Clip(d.syntaxKeys), names...)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), n.Content[i+1]
		key, ok := d.key(kn, path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorf(kn.Line, path, "duplicate field %q (first at line %d)", key, first)
			continue
		}
		seen[key] = kn.Line
		f, ok := fields.byName[key]
		syntax, isSyntax := d.syntaxOf[key]
		isSyntax = isSyntax && v.Type() == dependenciesType
		if !ok && !isSyntax {
			if s := closest(key, names); s != "" {
				d.errorf(kn.Line, path, "unknown field %q (did you mean %q?)", key, s)
			} else {
				d.errorf(kn.Line, path, "unknown field %q; expected one of %s", key, strings.Join(names, ", "))
			}
			continue
		}
		p := join(path, key)
		d.lines[p] = kn.Line
		if isSyntax {
			d.syntaxSwitch(vn, v.Addr().Interface().(*Dependencies), syntax, p, kn.Line)
			continue
		}
		d.value(vn, v.Field(f), p, kn.Line)
	}
}

// syntaxSwitch decodes the value of a syntax's key in the dependencies
// block into deps.Syntaxes[syntax]; null leaves the syntax unset (on).
func (d *decoder) syntaxSwitch(n *yaml.Node, deps *Dependencies, syntax, path string, line int) {
	var on *bool
	d.value(n, reflect.ValueOf(&on).Elem(), path, line)
	if on == nil {
		return
	}
	if deps.Syntaxes == nil {
		deps.Syntaxes = map[string]bool{}
	}
	deps.Syntaxes[syntax] = *on
}

type structFields struct {
	byName map[string]int // yaml key -> field index
	names  []string       // keys in declaration order
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	fs := &structFields{byName: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || name == "" {
			continue
		}
		fs.byName[name] = i
		fs.names = append(fs.names, name)
	}
	fieldCache.Store(t, fs)
	return fs
}
