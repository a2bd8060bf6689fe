package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/internal/sandbox/seal"
	"github.com/syncwave/syncwave/order"
)

// Set at build time with -ldflags "-X github.com/syncwave/syncwave/internal/cli.version=…".
var (
	version = "dev"
	commit  = ""
)

func newSchema(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of syncwave.yaml",
		Long: `Print the JSON Schema of the ordering file, for editors. With the YAML
language server, add to the top of syncwave.yaml:

  # yaml-language-server: $schema=<path or URL of this schema>`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := stdout.Write(order.Schema())
			return err
		},
	}
}

func newVersion(stdout, stderr io.Writer, h host) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of syncwave and of the libraries it renders with",
		Long: `Print the version of syncwave and its commit (set at build time), the Go
version it was built with, the versions of Helm and Kustomize it renders with,
and the kernel sandbox the rendering commands run in on this machine: version
seals its own process as they do (nothing left readable) and reports the
layers that took, e.g.

  sandbox: landlock ABI 7 (fs read-only, tcp, scoped: abstract unix, signals), seccomp (socket: unix only, no io_uring)

With SYNCWAVE_SANDBOX=require it fails when a layer is missing.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var l limits
			if err := l.resolve(h.environ()); err != nil {
				return err
			}
			r, err := sealProcess(h, l, stderr, seal.Config{})
			if err != nil {
				return err
			}
			c := commit
			if c == "" {
				c = "unknown"
			}
			fmt.Fprintf(stdout, "syncwave %s\ncommit: %s\ngo: %s\n", version, c, runtime.Version())
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, m := range bi.Deps {
					switch m.Path {
					case "helm.sh/helm/v3", "helm.sh/helm/v4", "sigs.k8s.io/kustomize/api":
						fmt.Fprintf(stdout, "%s: %s\n", m.Path, m.Version)
					}
				}
			}
			fmt.Fprintf(stdout, "sandbox: %s\n", r)
			return nil
		},
	}
}
