package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml3 "go.yaml.in/yaml/v3"
)

// maxExpandedNodes bounds the nodes a YAML file may expand to once its
// aliases are resolved. Real manifests are far below it (a 2 MB
// kustomization output is about 100,000 nodes); a "billion laughs" file of
// a few hundred bytes is far above it.
const maxExpandedNodes = 2_000_000

// checkAliases refuses a YAML stream whose aliases expand it past
// maxExpandedNodes: kustomize resolves every alias of every resource it
// reads (a deep copy), so such a file would exhaust memory. The stream is
// parsed without expanding anything; a file without both an anchor and an
// alias is not parsed at all. A file that does not parse is left to the
// reader that follows, which reports it.
func checkAliases(data []byte) error {
	if !bytes.ContainsRune(data, '&') || !bytes.ContainsRune(data, '*') {
		return nil
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	memo := map[*yaml3.Node]int64{}
	var total int64
	for {
		var doc yaml3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
		}
		if total += expandedSize(&doc, memo, 0); total > maxExpandedNodes {
			return fmt.Errorf("YAML aliases expand to more than %d nodes (an alias bomb?)", maxExpandedNodes)
		}
	}
}

func expandedSize(n *yaml3.Node, memo map[*yaml3.Node]int64, depth int) int64 {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	if depth > 10000 {
		return maxExpandedNodes + 1
	}
	memo[n] = maxExpandedNodes + 1 // an alias cycle counts as too large
	var size int64 = 1
	if n.Kind == yaml3.AliasNode {
		size = expandedSize(n.Alias, memo, depth+1)
	} else {
		for _, c := range n.Content {
			if size += expandedSize(c, memo, depth+1); size > maxExpandedNodes {
				size = maxExpandedNodes + 1
				break
			}
		}
	}
	memo[n] = size
	return size
}
