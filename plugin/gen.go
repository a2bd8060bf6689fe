//go:build ignore

// gen writes plugin.yaml, examples/plugin-discovery/plugin.yaml and the
// parameter table of README.md from plugin.Parameters. Run it with
// `go generate ./plugin`; TestGeneratedFiles fails when they are stale.
package main

import (
	"fmt"
	"os"

	"github.com/syncwave/syncwave/plugin"
)

func main() {
	must(os.WriteFile("../plugin.yaml", plugin.ConfigYAML(""), 0o644))
	must(os.MkdirAll("../examples/plugin-discovery", 0o755))
	must(os.WriteFile("../examples/plugin-discovery/plugin.yaml", plugin.ConfigYAML(plugin.DiscoverFileName), 0o644))
	readme, err := os.ReadFile("../README.md")
	must(err)
	out, ok := plugin.ReplaceReadmeTable(string(readme))
	if !ok {
		must(fmt.Errorf("README.md: markers %q and %q not found", plugin.ReadmeTableBegin, plugin.ReadmeTableEnd))
	}
	must(os.WriteFile("../README.md", []byte(out), 0o644))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
