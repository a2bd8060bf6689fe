package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/argocdapi"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// The argocd CLI's environment (pkg/apiclient): the server address and the
// token, and ARGOCD_OPTS, the CLI's default flags.
const (
	envArgoCDServer = "ARGOCD_SERVER"
	envArgoCDToken  = "ARGOCD_AUTH_TOKEN"
	envArgoCDOpts   = "ARGOCD_OPTS"
)

// PluginName is the executable name under which the argocd CLI (3.1+) runs
// syncwave as "argocd syncwave": it looks up argocd-<name> on the PATH and
// executes it with the arguments after <name>.
const PluginName = "argocd-syncwave"

// appFlags read a live Application instead of rendering PATH.
type appFlags struct {
	app, server, revision, appNamespace string
	insecure, plaintext                 bool
}

func (a *appFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&a.app, "app", "", "read the target manifests of this Argo CD Application (NAME or NAMESPACE/NAME) from a running Argo CD instead of rendering PATH (ARGOCD_SERVER, ARGOCD_AUTH_TOKEN, as the argocd CLI)")
	fl.StringVar(&a.server, "server", "", "with --app: the Argo CD API server, host[:port] (default $"+envArgoCDServer+")")
	fl.StringVar(&a.revision, "revision", "", "with --app: the revision to render (default: the Application's target revision)")
	fl.StringVar(&a.appNamespace, "app-namespace", "", "with --app: the namespace of the Application (default: Argo CD's own)")
	fl.BoolVar(&a.insecure, "insecure", false, "with --app: skip the server's TLS certificate check")
	fl.BoolVar(&a.plaintext, "plaintext", false, "with --app: plain HTTP, no TLS")
}

// renderOnly are the flags that say how to render PATH: with --app Argo CD
// has rendered the application, so they would be ignored.
var renderOnly = []string{"order", "repo-root", "allow-empty", "dependency-annotations", "values", "set", "set-string",
	"release-name", "namespace", "kube-version", "app-name", "helm-version", "diff", "reasons"}

// check refuses what --app cannot honour, as usage errors.
func (a *appFlags) check(fl *pflag.FlagSet, args []string) error {
	if a.app == "" {
		for _, n := range []string{"server", "revision", "app-namespace", "insecure", "plaintext"} {
			if fl.Changed(n) {
				return usageError{fmt.Errorf("--%s goes with --app", n)}
			}
		}
		return nil
	}
	if len(args) > 0 {
		return usageError{fmt.Errorf("--app reads the application from Argo CD; PATH %s is not used with it", args[0])}
	}
	for _, n := range renderOnly {
		if fl.Lookup(n) != nil && fl.Changed(n) {
			return usageError{fmt.Errorf("--%s renders a local application; with --app, Argo CD has rendered it", n)}
		}
	}
	return nil
}

// server resolves the Argo CD server the way the argocd CLI does: flags,
// then ARGOCD_OPTS, then ARGOCD_SERVER and ARGOCD_AUTH_TOKEN. The token
// comes from the environment only (a flag would show it in the process
// list).
func (a *appFlags) resolve(environ []string, timeout time.Duration) (argocdapi.Server, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	s := argocdapi.Server{Addr: env[envArgoCDServer], Token: env[envArgoCDToken], Timeout: timeout}
	opts := strings.Fields(env[envArgoCDOpts])
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		switch {
		case o == "--insecure" || o == "--insecure=true":
			s.Insecure = true
		case o == "--plaintext" || o == "--plaintext=true":
			s.PlainText = true
		case strings.HasPrefix(o, "--server="):
			s.Addr = strings.TrimPrefix(o, "--server=")
		case o == "--server" && i+1 < len(opts):
			i++
			s.Addr = opts[i]
		}
	}
	if a.server != "" {
		s.Addr = a.server
	}
	s.Insecure = s.Insecure || a.insecure
	s.PlainText = s.PlainText || a.plaintext
	return s, nil
}

// fetch reads the Application's target manifests.
func (a *appFlags) fetch(ctx context.Context, h host, l limits) (*argocdapi.Manifests, error) {
	name, ns, err := argocdapi.ParseApp(a.app)
	if err != nil {
		return nil, usageError{fmt.Errorf("--app: %w", err)}
	}
	if a.appNamespace != "" {
		if ns != "" && ns != a.appNamespace {
			return nil, usageError{fmt.Errorf("--app %s names namespace %s, --app-namespace %s", a.app, ns, a.appNamespace)}
		}
		ns = a.appNamespace
	}
	if err := l.resolve(h.environ()); err != nil {
		return nil, err
	}
	s, err := a.resolve(h.environ(), l.timeout)
	if err != nil {
		return nil, err
	}
	if l.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.timeout)
		defer cancel()
	}
	m, err := s.Manifests(ctx, name, ns, a.revision)
	if err != nil {
		return nil, err
	}
	if len(m.Resources) == 0 {
		return nil, fmt.Errorf("application %s: Argo CD renders no resources for it", a.app)
	}
	return m, nil
}

// planApp is plan --app: the plan of the live Application's manifests.
func planApp(ctx context.Context, a *appFlags, f *renderFlags, h host, cm *health.ConfigMap, write func(*plan.Plan, io.Writer) error, stdout io.Writer) error {
	m, err := a.fetch(ctx, h, f.limits)
	if err != nil {
		return err
	}
	argo, err := argocd.Parse(f.argoCD)
	if err != nil {
		return err
	}
	p := plan.ComputeWith(m.Resources, nil, plan.Options{Namespace: m.Namespace, ArgoCD: argo})
	p.ComputeWaits(healthTable(argo), cm)
	return write(p, &sandbox.LimitWriter{W: stdout, Limit: f.limits.output})
}

// lintApp is lint --app: the findings of the live Application's manifests.
func lintApp(ctx context.Context, a *appFlags, f *renderFlags, h host, cm *health.ConfigMap) ([]lint.Finding, error) {
	m, err := a.fetch(ctx, h, f.limits)
	if err != nil {
		return nil, err
	}
	text := make(map[*manifest.Resource][]byte, len(m.Resources))
	for i, r := range m.Resources {
		text[r] = m.Texts[i]
	}
	out := &pipeline.Output{Resources: m.Resources, Placements: make([]annotate.Placement, len(m.Resources))}
	opts := pipeline.Options{ArgoCDVersion: f.argoCD}
	opts.Namespace = m.Namespace
	opts.APIVersions = f.apiVersions
	return lintResources(out, opts, cm, m.Resources, make([]plan.Origin, len(m.Resources)), func(r *manifest.Resource) ([]byte, error) { return text[r], nil })
}

// commandName is how the root command calls itself: "argocd syncwave" when
// the argocd CLI runs this binary as its plugin.
func commandName(program string) string {
	base := strings.TrimSuffix(filepath.Base(program), ".exe")
	if base == PluginName {
		return "argocd syncwave"
	}
	return "syncwave"
}
