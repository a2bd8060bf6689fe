package migrate

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/syncwave/syncwave/manifest"
)

// StripKey identifies a resource in a file: its source, the line where its
// document starts, and its identity.
func StripKey(r *manifest.Resource) string {
	return fmt.Sprintf("%s:%d:%s/%s/%s/%s", r.Source, r.Line, r.APIVersion, r.Kind, r.Namespace, r.Name)
}

// Strip removes StripKeys from the documents of a YAML file (named source,
// as the directory renderer names it) whose resource StripKey lists in
// carried. Everything else in the file stays byte for byte: separators,
// comments, other documents; within a changed document only the annotation
// lines go (an annotations map left empty goes too), unless the document's
// metadata cannot be edited line by line, in which case the document is
// written afresh (its comments are then lost) and rewritten reports it.
// It returns the new text and how many resources changed.
func Strip(source string, data []byte, carried map[string]bool) (out []byte, changed int, rewritten []string, err error) {
	docs := manifest.SplitYAML(data)
	var b bytes.Buffer
	pos := 0
	base := cap(data)
	for _, d := range docs {
		start := base - cap(d.Text)
		if start < pos || start+len(d.Text) > len(data) {
			return nil, 0, nil, fmt.Errorf("%s: cannot locate document at line %d", source, d.Line)
		}
		b.Write(data[pos:start]) // separators and a byte order mark
		pos = start + len(d.Text)
		rs, err := manifest.Decode(source, d.Text, manifest.Options{Format: manifest.OneDocument, Line: d.Line})
		if err != nil {
			return nil, 0, nil, err
		}
		if len(rs) != 1 || !carried[StripKey(rs[0])] {
			b.Write(d.Text)
			continue
		}
		r := rs[0]
		for _, k := range StripKeys {
			r.DeleteAnnotation(k)
		}
		if len(r.Annotations) == 0 {
			r.Annotations = nil
		}
		nb, err := r.Bytes()
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%s: %s: %w", source, r, err)
		}
		nb = dropEmptyAnnotations(d.Text, nb)
		if !sameOutside(d.Text, nb) {
			rewritten = append(rewritten, fmt.Sprintf("%s:%d %s", source, d.Line, r))
		}
		if len(d.Text) > 0 && d.Text[len(d.Text)-1] == '\n' && (len(nb) == 0 || nb[len(nb)-1] != '\n') {
			nb = append(nb, '\n')
		}
		b.Write(nb)
		changed++
	}
	b.Write(data[pos:])
	return b.Bytes(), changed, rewritten, nil
}

// dropEmptyAnnotations removes the annotations entry the splice left
// empty ("annotations: {}", or "annotations:" with nothing under it): one
// that old, the document before, did not have.
func dropEmptyAnnotations(old, b []byte) []byte {
	had := len(emptyAnnotations(strings.SplitAfter(string(old), "\n")))
	lines := strings.SplitAfter(string(b), "\n")
	empty := emptyAnnotations(lines)
	if len(empty) <= had {
		return b
	}
	drop := map[int]bool{}
	for _, i := range empty {
		drop[i] = true
	}
	var out strings.Builder
	for i, l := range lines {
		if !drop[i] {
			out.WriteString(l)
		}
	}
	return []byte(out.String())
}

// emptyAnnotations are the indexes of the lines that hold an annotations
// key with no entries.
func emptyAnnotations(lines []string) []int {
	var out []int
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "annotations: {}" {
			out = append(out, i)
			continue
		}
		if t != "annotations:" {
			continue
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		empty := true
		for _, n := range lines[i+1:] {
			if strings.TrimSpace(n) == "" {
				continue
			}
			empty = len(n)-len(strings.TrimLeft(n, " ")) <= ind
			break
		}
		if empty {
			out = append(out, i)
		}
	}
	return out
}

// sameOutside reports whether every line of nb is a line of old in the same
// order (only lines were removed): the splice kept the document's text.
func sameOutside(old, nb []byte) bool {
	ol := strings.Split(strings.TrimSuffix(string(old), "\n"), "\n")
	i := 0
	for _, l := range strings.Split(strings.TrimSuffix(string(nb), "\n"), "\n") {
		for i < len(ol) && ol[i] != l {
			i++
		}
		if i == len(ol) {
			return false
		}
		i++
	}
	return true
}
