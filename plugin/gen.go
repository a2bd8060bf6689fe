//go:build ignore

// gen writes plugin.yaml, examples/plugin-discovery/plugin.yaml and the
// parameter table of docs/install.md from plugin.Parameters. Run it with
// `go generate ./plugin`; TestGeneratedFiles fails when they are stale.
package main

import (
	"fmt"
	"os"

	"github.com/syncwave/syncwave/plugin"
)

const installDoc = "../docs/install.md"

func main() {
	must(os.WriteFile("../plugin.yaml", plugin.ConfigYAML(""), 0o644))
	must(os.MkdirAll("../examples/plugin-discovery", 0o755))
	must(os.WriteFile("../examples/plugin-discovery/plugin.yaml", plugin.ConfigYAML(plugin.DiscoverFileName), 0o644))
	doc, err := os.ReadFile(installDoc)
	must(err)
	out, ok := plugin.ReplaceDocsTable(string(doc))
	if !ok {
		must(fmt.Errorf("%s: markers %q and %q not found", installDoc, plugin.DocsTableBegin, plugin.DocsTableEnd))
	}
	must(os.WriteFile(installDoc, []byte(out), 0o644))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
