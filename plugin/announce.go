package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/pipeline"
)

// Dynamic is the dynamic parameter announcement of `syncwave parameters`:
// for a Helm source (Chart.yaml in the application directory, or helm
// entries in the ordering file) a helm-parameters map holding the chart's
// values.yaml and value files flattened as Argo CD's own Helm parameter
// view does (dotted keys, list items as key[i]), so that the UI shows them
// for a plugin application; nothing for other sources. The cmp-server puts
// it in front of the static announcement, and the UI uses the first
// announcement of a name, so it replaces the static helm-parameters entry.
//
// Every file is read through the repository root: a values file that is
// missing or leaves the root is skipped with a warning, as Argo CD skips
// it. An ordering file that does not decode is an error.
func Dynamic(in Inputs) ([]Announcement, []string, error) {
	opts := in.PipelineOptions()
	if opts.Path == "" {
		opts.Path = "."
	}
	a, err := pipeline.Resolve(opts)
	if err != nil {
		return nil, nil, err
	}
	charts := a.Charts()
	out := []Announcement{}
	if len(charts) == 0 {
		return out, nil, nil
	}
	var warnings []string
	flat := map[string]string{}
	// earlier charts win: flatten the last one first
	for i := len(charts) - 1; i >= 0; i-- {
		h := charts[i]
		own := path.Join(h.Dir, "values.yaml")
		files, errs := a.ValueFiles(h, in.ValueFiles)
		for _, err := range errs {
			warnings = append(warnings, fmt.Sprintf("%v: skipped", err))
		}
		for _, f := range append([]string{own}, files...) {
			data, err := a.Root.ReadFile(f)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) || f != own {
					warnings = append(warnings, fmt.Sprintf("values file %s skipped: %v", f, err))
				}
				continue
			}
			if err := FlattenValues(data, flat); err != nil {
				warnings = append(warnings, fmt.Sprintf("values file %s skipped: %v", f, err))
			}
		}
	}
	p, _ := Lookup(ParamHelmParameters)
	ann := p.Announce()
	ann.Map = flat
	return append(out, ann), warnings, nil
}

// flattenBudget bounds the nodes visited, so that aliases cannot make a
// small values file expensive.
const flattenBudget = 100_000

// FlattenValues adds the leaves of a Helm values document to out the way
// Argo CD's Helm parameter view flattens them: nested keys joined with
// dots, sequence items as key[i], scalars as written in the file (null as
// "null", which --set also reads as null). Empty mappings and sequences add
// nothing. Aliases and merge keys are followed.
func FlattenValues(data []byte, out map[string]string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil
	}
	// Flatten into a scratch map, merged only when the whole file fits
	// the budget: a file that is skipped adds nothing.
	f := flattener{out: map[string]string{}, budget: flattenBudget}
	n := deref(doc.Content[0])
	switch n.Kind {
	case yaml.MappingNode:
		f.mapping(n, "")
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			return errors.New("expected a mapping at the top level")
		}
	default:
		return errors.New("expected a mapping at the top level")
	}
	if f.budget < 0 {
		return errors.New("too many nodes (aliases?)")
	}
	for k, v := range f.out {
		out[k] = v
	}
	return nil
}

type flattener struct {
	out    map[string]string
	budget int
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (f *flattener) mapping(n *yaml.Node, prefix string) {
	// merge keys first, so the mapping's own keys override them
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.ShortTag() == "!!merge" {
			v := deref(n.Content[i+1])
			if v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					f.value(deref(m), prefix)
				}
			} else {
				f.value(v, prefix)
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.ShortTag() == "!!merge" {
			continue
		}
		key := k.Value
		if prefix != "" {
			key = prefix + "." + key
		}
		f.value(deref(n.Content[i+1]), key)
	}
}

func (f *flattener) value(n *yaml.Node, key string) {
	if f.budget--; f.budget < 0 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		f.mapping(n, key)
	case yaml.SequenceNode:
		for i, c := range n.Content {
			f.value(deref(c), fmt.Sprintf("%s[%d]", key, i))
		}
	case yaml.ScalarNode:
		if key == "" {
			return
		}
		if n.ShortTag() == "!!null" {
			f.out[key] = "null"
			return
		}
		f.out[key] = n.Value
	}
}
