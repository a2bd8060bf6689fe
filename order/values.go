package order

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// decodeValues reads an inline helm.values mapping as Helm reads a values
// file (chartutil.ReadValues: sigs.k8s.io/yaml, so YAML 1.1 scalars —
// `enabled: yes` is true — and JSON numbers), so that the same text means
// the same thing in syncwave.yaml and in values.yaml. The rest of the file
// keeps the strict YAML 1.2 reading; this subtree still refuses duplicate
// keys (with the file's line numbers). budget is charged one per node
// copied while aliases are expanded.
func decodeValues(n *yaml.Node, budget *int) (map[string]any, error) {
	var strict map[string]any
	if err := n.Decode(&strict); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	flat, err := expandAliases(n, budget, 0)
	if err != nil {
		return nil, err
	}
	text, err := yaml.Marshal(flat)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := sigsyaml.Unmarshal(text, &m); err != nil {
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		return nil, fmt.Errorf("as a Helm values file: %s", strings.TrimPrefix(msg, "yaml: "))
	}
	return m, nil
}

// expandAliases copies n with every alias replaced by a copy of its anchor,
// so that the subtree can be written out on its own (an anchor may sit
// outside it).
func expandAliases(n *yaml.Node, budget *int, depth int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("document too large (too many nodes after expanding aliases)")
	}
	if depth > 1000 {
		return nil, fmt.Errorf("values nested too deeply")
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, fmt.Errorf("alias *%s has no anchor", n.Value)
		}
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		cc, err := expandAliases(child, budget, depth+1)
		if err != nil {
			return nil, err
		}
		c.Content[i] = cc
	}
	return &c, nil
}
