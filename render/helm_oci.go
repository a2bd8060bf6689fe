package render

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// EnvRegistryConfig names the sidecar variable with the path of the
// registry credentials file (the config.json format of `helm registry
// login` and `docker login`: {"auths": {"host[:port]": {"auth":
// base64("user:password")}}}), typically a mounted Secret. Without it
// HELM_REGISTRY_CONFIG is used when set. Credential helpers are never run.
const EnvRegistryConfig = "SYNCWAVE_REGISTRY_CONFIG"

// ociClient pulls charts from OCI registries with Helm's registry client.
// Credentials come only from the configured file, never from the home
// directory's Helm or Docker configuration, and no credential helper
// program is run.
type ociClient struct {
	c         *registry.Client
	cred      auth.CredentialFunc
	hasConfig bool
	// credSource says where the credentials for a host come from.
	credSource func(host string) string
}

// ociCredential returns the credentials for a registry host: the file's
// entry for it, else the environment's when its oci:// URL names that
// host.
func ociCredential(store credentials.Store, repos []*RepoCredential) auth.CredentialFunc {
	fromFile := credentials.Credential(store)
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		c, err := fromFile(ctx, hostport)
		if err != nil || c != auth.EmptyCredential {
			return c, err
		}
		for _, r := range repos {
			if u, err := url.Parse(r.URL); err == nil && r.prefix && u.Scheme == "oci" && strings.EqualFold(u.Host, hostport) {
				return auth.Credential{Username: r.Username, Password: r.Password}, nil
			}
		}
		return auth.EmptyCredential, nil
	}
}

// EnvRegistryCAFile names the sidecar variable with the path of a PEM file
// of certificate authorities that OCI registries' certificates may be
// signed by, on top of the system's (a registry with a private CA).
const EnvRegistryCAFile = "SYNCWAVE_REGISTRY_CA_FILE"

func newOCIClient(ctx context.Context, o FetchOptions) (*ociClient, error) {
	hc := o.Client
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	if o.RegistryCAFile != "" {
		pem, err := readSmallFile(o.RegistryCAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvRegistryCAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", EnvRegistryCAFile, o.RegistryCAFile)
		}
		rt, err := withTLS(hc.Transport, func(cfg *tls.Config) { cfg.RootCAs = pool })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvRegistryCAFile, err)
		}
		cl := *hc
		cl.Transport = rt
		hc = &cl
	}
	hc = bindClient(ctx, hc, newOCILimits())
	var store credentials.Store = credentials.NewMemoryStore()
	credFile := o.RegistryConfig
	if credFile != "" {
		if fi, err := os.Stat(credFile); err != nil {
			return nil, fmt.Errorf("registry credentials file %s: %w", credFile, unwrapPathErr(err))
		} else if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("registry credentials file %s: %w", credFile, ErrNotRegular)
		}
		fs, err := credentials.NewFileStore(credFile)
		if err != nil {
			return nil, fmt.Errorf("registry credentials file %s: %v", credFile, err)
		}
		store = fs
	} else {
		// Helm's client reads this file for nothing but its store, which
		// the authorizer below replaces; keep it off the home directory.
		credFile = os.DevNull
	}
	cred := ociCredential(store, o.Repositories)
	authz := auth.Client{Client: hc, Cache: auth.NewCache(), Credential: cred}
	authz.SetUserAgent("syncwave")
	c, err := registry.NewClient(registry.ClientOptHTTPClient(hc), registry.ClientOptAuthorizer(authz), registry.ClientOptCredentialsFile(credFile))
	if err != nil {
		return nil, fmt.Errorf("OCI registry client: %w", err)
	}
	source := func(host string) string {
		if c, err := credentials.Credential(store)(context.Background(), host); err == nil && c != auth.EmptyCredential {
			return "the entry for " + host + " in " + o.RegistryConfig
		}
		for _, r := range o.Repositories {
			if u, err := url.Parse(r.URL); err == nil && r.prefix && u.Scheme == "oci" && strings.EqualFold(u.Host, host) {
				return r.source
			}
		}
		return "no configured source"
	}
	return &ociClient{c: c, cred: cred, hasConfig: o.RegistryConfig != "", credSource: source}, nil
}

// pull resolves the version of dependency d (want: Chart.lock's version
// when fromLock, else Chart.yaml's version or range) against the
// registry's tags as `helm dependency build` does, pulls that chart and
// returns its version and archive.
func (oc *ociClient) pull(ctx context.Context, d *chart.Dependency, want string, fromLock bool) (string, []byte, error) {
	base := strings.TrimSuffix(strings.TrimPrefix(d.Repository, "oci://"), "/")
	if base == "" || strings.Contains(base, "@") {
		return "", nil, fmt.Errorf("repository %q: expected oci://host[:port]/path", d.Repository)
	}
	repo := base + "/" + d.Name
	host, _, _ := strings.Cut(base, "/")
	version, versionSource := want, "Chart.lock"
	// An exact version is pulled by its tag without listing the tags, as
	// Helm 4 does: a credential that may pull but not list works, and a
	// repository with many tags costs nothing.
	if v, err := semver.StrictNewVersion(want); err == nil && !fromLock && v.String() == want {
		fromLock, versionSource = true, "Chart.yaml"
	}
	if !fromLock {
		tags, err := oc.c.Tags(repo)
		if err != nil {
			return "", nil, oc.explain(host, "list the tags of "+repo, err)
		}
		if len(tags) == 0 {
			return "", nil, fmt.Errorf("%s has no chart versions (no semver tags)", repo)
		}
		v, err := registry.GetTagMatchingVersionOrConstraint(tags, want)
		if err != nil {
			return "", nil, fmt.Errorf("version %q: no tag of %s matches (tags: %s)", want, repo, strings.Join(firstN(tags, 10), ", "))
		}
		version = v
	}
	ref := repo + ":" + strings.ReplaceAll(version, "+", "_")
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	res, err := oc.c.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		if fromLock && isNotFound(err) {
			return "", nil, fmt.Errorf("version %s (from %s): %s has no such tag", version, versionSource, repo)
		}
		return "", nil, oc.explain(host, "pull "+ref, err)
	}
	if res.Chart == nil || len(res.Chart.Data) == 0 {
		return "", nil, fmt.Errorf("pull %s: no chart layer", ref)
	}
	return version, res.Chart.Data, nil
}

// explain turns a registry error into a message that says what to do,
// without any credential in it, nor the registry's own text beyond the
// status.
func (oc *ociClient) explain(host, what string, err error) error {
	var le *LimitExceededError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", what, le)
	}
	var er *errcode.ErrorResponse
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%s: registry %s requires credentials and none are configured for it (set %s to a registry config file with an entry for %s, or set %s=oci://%s, %s and %s)", what, host, EnvRegistryConfig, host, EnvRepoURL, host, EnvRepoUsername, EnvRepoPassword)
	}
	if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
		cred, _ := oc.cred(context.Background(), host)
		if cred == auth.EmptyCredential {
			return fmt.Errorf("%s: registry %s requires credentials and none are configured for it (set %s to a registry config file with an entry for %s, or set %s=oci://%s, %s and %s)", what, host, EnvRegistryConfig, host, EnvRepoURL, host, EnvRepoUsername, EnvRepoPassword)
		}
		return fmt.Errorf("%s: registry %s refused the credentials of %s (%d %s)", what, host, oc.credSource(host), er.StatusCode, http.StatusText(er.StatusCode))
	}
	if errors.As(err, &er) && er.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: not found in registry %s", what, host)
	}
	if errors.As(err, &er) {
		return fmt.Errorf("%s: registry %s answered %d %s", what, host, er.StatusCode, http.StatusText(er.StatusCode))
	}
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &cv) {
		return fmt.Errorf("%s: %w (for a private certificate authority, set %s to its PEM file)", what, unwrapURL(err), EnvRegistryCAFile)
	}
	return fmt.Errorf("%s: %w", what, unwrapURL(err))
}

func isNotFound(err error) bool {
	var er *errcode.ErrorResponse
	return (errors.As(err, &er) && er.StatusCode == http.StatusNotFound) || strings.Contains(err.Error(), ": not found")
}

func firstN(xs []string, n int) []string {
	if len(xs) > n {
		return append(xs[:n:n], "…")
	}
	return xs
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
