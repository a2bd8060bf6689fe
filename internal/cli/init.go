package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/internal/egress"
	"github.com/syncwave/syncwave/internal/redact"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plugin"
	"github.com/syncwave/syncwave/render"
)

func newInit(stdout, stderr io.Writer, h host) *cobra.Command {
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
no other file is read and no credential helper is run.

Chart repository (https) credentials come from a file in Helm's
repositories.yaml format named by SYNCWAVE_REPOSITORY_CONFIG (else
HELM_REPOSITORY_CONFIG): the entry whose url is the dependency's repository
gives username/password, caFile, certFile/keyFile, insecure_skip_tls_verify
and pass_credentials_all, as in Helm. Or from the environment:
SYNCWAVE_REPO_USERNAME and SYNCWAVE_REPO_PASSWORD, sent only to
repositories under SYNCWAVE_REPO_URL (an oci://host URL makes them the
credentials of that registry). Credentials go to a chart archive's host
only when it is the repository's, unless pass_credentials_all. Secrets are
never printed.

The charts are found as render finds them: the helm entries of the
ordering file's sources, or PATH itself when it holds a Chart.yaml.

The download runs under --timeout and --max-memory as a rendering does, with
size limits on index files (a 48th of the budget), archives and OCI tag
lists. Under Argo CD (ARGOCD_APP_NAME set) it follows the sidecar's connect
policy: https to public addresses only, unless SYNCWAVE_ALLOW_HOSTS or
SYNCWAVE_ALLOW_NETWORKS allow more. SYNCWAVE_REGISTRY_CA_FILE adds
certificate authorities for OCI registries.`,
		Example: `  syncwave init charts/shop`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			environ := os.Environ
			if h.environ != nil {
				environ = h.environ
			}
			getenv := envLookup(environ())
			if err := f.limits.resolve(environ()); err != nil {
				return err
			}
			// Under Argo CD (the cmp-server sets ARGOCD_APP_NAME), the
			// sidecar's connect policy; on a workstation any address.
			policy, err := connectPolicy(getenv, getenv(plugin.EnvAppName) != "")
			if err != nil {
				return err
			}
			opts := f.options(args)
			opts.Dir = h.dir
			return downloading(c.Context(), f.limits, "init "+opts.Path, func(ctx context.Context) error {
				return fetchDependencies(ctx, stderr, getenv, h.secrets, opts, policy, f.limits)
			})
		},
	}
	f.limits.register(c)
	fl := c.Flags()
	fl.StringVar(&f.order, "order", "", "ordering file (default: PATH/syncwave.yaml when present)")
	fl.StringVar(&f.repoRoot, "repo-root", "", "repository root no path may leave (default: the git work tree holding PATH, else PATH)")
	return c
}

// fetchDependencies is init's step: it downloads the dependencies the
// application's charts declare but do not vendor, with the download client
// under policy (the only client that may reach the network), the limits'
// index size, and the credentials of the sidecar's environment (getenv),
// and prints what it downloaded. generate runs it too when a chart lacks a
// declared dependency.
//
// It registers the credentials it loads with secrets (as Main did already),
// and refuses a registry credentials file whose auth entries the registry
// library would quote in its message.
func fetchDependencies(ctx context.Context, stderr io.Writer, getenv func(string) string, secrets *redact.Secrets, opts pipeline.Options, policy egress.Policy, lim limits) error {
	if secrets == nil {
		secrets = &redact.Secrets{}
	}
	err := registerSecrets(secrets, getenv)
	if err != nil {
		return err
	}
	fo := render.FetchOptions{
		Client:         egress.Client(policy),
		MaxIndexSize:   render.IndexSizeFor(lim.memory),
		RegistryConfig: getenv(render.EnvRegistryConfig),
		RegistryCAFile: getenv(render.EnvRegistryCAFile),
	}
	if fo.RegistryConfig == "" {
		fo.RegistryConfig = getenv("HELM_REGISTRY_CONFIG")
	}
	if fo.Repositories, err = repositoryCredentials(getenv); err != nil {
		return err
	}
	res, err := pipeline.Init(ctx, opts, fo)
	if res != nil {
		for _, ch := range res.Charts {
			for _, d := range ch.Downloaded {
				fmt.Fprintf(stderr, "Downloaded %s %s into %s\n", d.Name, d.Version, d.File)
			}
		}
	}
	return err
}

// connectPolicy is where a download may connect: in the sidecar
// (restricted) public addresses by https, and what SYNCWAVE_ALLOW_HOSTS and
// SYNCWAVE_ALLOW_NETWORKS add; elsewhere anywhere.
func connectPolicy(getenv func(string) string, restricted bool) (egress.Policy, error) {
	if !restricted {
		return egress.Policy{}, nil
	}
	return egress.ParsePolicy(getenv(egress.EnvAllowHosts), getenv(egress.EnvAllowNetworks))
}

// repositoryCredentials reads the chart repository credentials of init: the
// repositories.yaml file named by SYNCWAVE_REPOSITORY_CONFIG (else
// HELM_REPOSITORY_CONFIG), then the SYNCWAVE_REPO_* variables.
func repositoryCredentials(getenv func(string) string) ([]*render.RepoCredential, error) {
	var out []*render.RepoCredential
	file, fromHelm := getenv(render.EnvRepositoryConfig), false
	if file == "" {
		file, fromHelm = getenv("HELM_REPOSITORY_CONFIG"), true
	}
	if file != "" {
		creds, err := render.LoadRepositoryConfig(file)
		switch {
		case err != nil && fromHelm && errors.Is(err, fs.ErrNotExist):
			// Helm reads a missing repositories.yaml as empty; so does
			// syncwave for Helm's variable (its own must name a file).
		case err != nil:
			return nil, err
		default:
			out = creds
		}
	}
	env, err := render.EnvRepoCredential(getenv)
	if err != nil {
		return nil, err
	}
	if env != nil {
		out = append(out, env)
	}
	return out, nil
}
