package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/render"
)

func newInit(stdout, stderr io.Writer) *cobra.Command {
	var f renderFlags
	c := &cobra.Command{
		Use:   "init [PATH]",
		Short: "Download Helm chart dependencies that are declared but not vendored",
		Long: `Download the dependencies that the Helm charts of the application at PATH
(default .) declare in Chart.yaml but do not vendor under charts/, from
their chart repositories (index.yaml, then the chart archive), into each
chart's charts/ directory. Chart.lock versions are used when the lock is in
sync with Chart.yaml. This is Argo CD's plugin init step, and the only
syncwave command that uses the network: render fails with a message naming
this command when a dependency is missing.

Dependencies in OCI registries (repository: oci://host/path) are resolved
as helm dependency build does: a version range against the registry's
tags, or Chart.lock's version when the lock is in sync. Registry
credentials come from the file named by SYNCWAVE_REGISTRY_CONFIG (else
HELM_REGISTRY_CONFIG), in the config.json format of "helm registry login";
no other file is read and no credential helper is run. Secrets are never
printed.

The charts are found as render finds them: the helm entries of the
ordering file's sources, or PATH itself when it holds a Chart.yaml.`,
		Example: `  syncwave init charts/shop`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fo := render.FetchOptions{Client: sandbox.Client(60 * time.Second), RegistryConfig: os.Getenv(render.EnvRegistryConfig)}
			if fo.RegistryConfig == "" {
				fo.RegistryConfig = os.Getenv("HELM_REGISTRY_CONFIG")
			}
			res, err := pipeline.Init(c.Context(), f.options(args), fo)
			if res != nil {
				for _, ch := range res.Charts {
					for _, d := range ch.Downloaded {
						fmt.Fprintf(stderr, "Downloaded %s %s into %s\n", d.Name, d.Version, d.File)
					}
				}
			}
			return err
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.order, "order", "", "ordering file (default: PATH/syncwave.yaml when present)")
	fl.StringVar(&f.repoRoot, "repo-root", "", "repository root no path may leave (default: the git work tree holding PATH, else PATH)")
	return c
}
