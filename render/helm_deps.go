package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// Download limits: an index and an archive are read into memory.
const (
	maxIndexSize   = 64 << 20
	maxArchiveSize = 64 << 20
)

// Downloaded is one dependency that FetchDependencies saved.
type Downloaded struct {
	Name, Version, Repository string
	// File is the saved archive, relative to the repository root.
	File string
}

// FetchOptions configure FetchDependencies.
type FetchOptions struct {
	// Client does the HTTP requests (nil: a client with a 60 s timeout).
	Client *http.Client
	// RegistryConfig is the credentials file for OCI registries (see
	// EnvRegistryConfig); "" for none.
	RegistryConfig string
	// Repositories are the credentials and TLS settings of chart
	// repositories (LoadRepositoryConfig, EnvRepoCredential). An entry
	// with an oci:// URL (the environment's form) gives the credentials
	// of that registry host when RegistryConfig has none for it.
	Repositories []*RepoCredential
}

// FetchDependencies downloads the dependencies that the chart in the
// root-relative directory dir declares but does not vendor, from their
// chart repositories (http or https: the repository's index.yaml, then the
// chart archive), into the chart's charts/ directory, as `helm dependency
// build` does: when Chart.lock is present and in sync with Chart.yaml its
// versions are used, otherwise the highest version satisfying Chart.yaml's
// constraint. Vendored and file:// dependencies are left alone. Archives are
// checked against the index digest and loaded as charts before they are
// saved. It is the only network access in syncwave.
func FetchDependencies(ctx context.Context, root *Root, dir string, o FetchOptions) ([]Downloaded, error) {
	dir = path.Clean(dir)
	if !declaresRemote(root, dir) {
		return nil, nil
	}
	files, err := chartFiles(root, dir)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	var todo []*chart.Dependency
	for _, d := range c.Metadata.Dependencies {
		if d == nil || hasDependency(c, d.Name) || strings.HasPrefix(d.Repository, "file://") {
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		return nil, nil
	}
	locked, err := lockedVersions(c)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	chartsDir := path.Join(dir, "charts")
	indexes := map[string]*repoIndex{}
	accesses := map[string]*repoAccess{}
	var oci *ociClient
	var out []Downloaded
	for _, d := range todo {
		if d.Repository == "" {
			return nil, fmt.Errorf("dependency %s: no repository declared and not in charts/", d.Name)
		}
		want, fromLock := d.Version, false
		if v, ok := locked[d.Name]; ok {
			want, fromLock = v, true
		}
		if strings.HasPrefix(d.Repository, "oci://") {
			if oci == nil {
				if oci, err = newOCIClient(o); err != nil {
					return nil, fmt.Errorf("dependency %s: %w", d.Name, err)
				}
			}
			version, data, err := oci.pull(ctx, d, want, fromLock)
			if err != nil {
				return nil, fmt.Errorf("dependency %s (%s): %w", d.Name, d.Repository, err)
			}
			dl, err := saveDependency(root, chartsDir, d, version, d.Repository+"/"+d.Name+":"+version, data)
			if err != nil {
				return nil, err
			}
			out = append(out, dl)
			continue
		}
		u, err := url.Parse(d.Repository)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			switch {
			case strings.HasPrefix(d.Repository, "@") || strings.HasPrefix(d.Repository, "alias:"):
				return nil, fmt.Errorf("dependency %s: repository alias %s is not supported; use the repository URL", d.Name, d.Repository)
			}
			return nil, fmt.Errorf("dependency %s: repository %q: expected an http, https or oci URL", d.Name, d.Repository)
		}
		acc, ok := accesses[d.Repository]
		if !ok {
			cred := findRepoCredential(o.Repositories, d.Repository)
			hc, err := clientFor(client, cred)
			if err != nil {
				return nil, fmt.Errorf("dependency %s (%s): %w", d.Name, redact(d.Repository), err)
			}
			acc = &repoAccess{repo: d.Repository, cred: cred, client: hc}
			accesses[d.Repository] = acc
		}
		idx, ok := indexes[d.Repository]
		if !ok {
			if idx, err = fetchIndex(ctx, acc); err != nil {
				return nil, fmt.Errorf("dependency %s: %w", d.Name, err)
			}
			indexes[d.Repository] = idx
		}
		cv, err := idx.find(d.Name, want)
		if err != nil {
			src := "Chart.yaml"
			if fromLock {
				src = "Chart.lock"
			}
			return nil, fmt.Errorf("dependency %s: version %q (from %s): %w in %s", d.Name, want, src, err, d.Repository)
		}
		if len(cv.URLs) == 0 {
			return nil, fmt.Errorf("dependency %s %s: the index of %s lists no download URL", d.Name, cv.Version, d.Repository)
		}
		archiveURL, err := resolveURL(d.Repository, cv.URLs[0])
		if err != nil {
			return nil, fmt.Errorf("dependency %s %s: %w", d.Name, cv.Version, err)
		}
		data, err := get(ctx, acc, archiveURL, maxArchiveSize)
		if err != nil {
			return nil, fmt.Errorf("dependency %s %s (%s): %w", d.Name, cv.Version, redact(d.Repository), err)
		}
		if cv.Digest != "" {
			sum := sha256.Sum256(data)
			if !strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimPrefix(cv.Digest, "sha256:")) {
				return nil, fmt.Errorf("dependency %s %s: archive %s does not match the digest in the repository index", d.Name, cv.Version, archiveURL)
			}
		}
		dl, err := saveDependency(root, chartsDir, d, cv.Version, archiveURL, data)
		if err != nil {
			return nil, err
		}
		out = append(out, dl)
	}
	return out, nil
}

// saveDependency checks that data is the chart archive of d at version
// (from where, for messages) and saves it in chartsDir.
func saveDependency(root *Root, chartsDir string, d *chart.Dependency, version, where string, data []byte) (Downloaded, error) {
	sub, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return Downloaded{}, fmt.Errorf("dependency %s %s: archive %s is not a valid chart: %w", d.Name, version, redact(where), err)
	}
	if sub.Name() != d.Name || sub.Metadata.Version != version {
		return Downloaded{}, fmt.Errorf("dependency %s %s: archive %s holds chart %s %s", d.Name, version, redact(where), sub.Name(), sub.Metadata.Version)
	}
	file := path.Join(chartsDir, fmt.Sprintf("%s-%s.tgz", d.Name, version))
	if err := writeInRoot(root, file, data); err != nil {
		return Downloaded{}, fmt.Errorf("dependency %s %s: %w", d.Name, version, err)
	}
	return Downloaded{Name: d.Name, Version: version, Repository: d.Repository, File: file}, nil
}

// lockedVersions returns Chart.lock's versions by name, or none when there
// is no lock. A lock out of sync with Chart.yaml is an error, as in `helm
// dependency build`.
func lockedVersions(c *chart.Chart) (map[string]string, error) {
	if c.Lock == nil {
		return nil, nil
	}
	data, err := json.Marshal([2][]*chart.Dependency{c.Metadata.Dependencies, c.Lock.Dependencies})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if "sha256:"+hex.EncodeToString(sum[:]) != c.Lock.Digest {
		return nil, errors.New("Chart.lock is out of sync with the dependencies in Chart.yaml; update it with `helm dependency update`")
	}
	m := map[string]string{}
	for _, d := range c.Lock.Dependencies {
		if d != nil {
			m[d.Name] = d.Version
		}
	}
	return m, nil
}

// repoIndex is the part of a chart repository's index.yaml that a download
// needs (helm's repo.IndexFile, whose package would link Helm's Kubernetes
// client into syncwave).
type repoIndex struct {
	APIVersion string                         `json:"apiVersion"`
	Entries    map[string][]*repoChartVersion `json:"entries"`
}

type repoChartVersion struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	URLs    []string `json:"urls"`
	Digest  string   `json:"digest"`
}

var errNoVersion = errors.New("no matching chart version")

// find returns the highest version of name that satisfies the constraint
// (an exact version when it is one), with helm's rule that an empty
// constraint means any non-prerelease version.
func (i *repoIndex) find(name, constraint string) (*repoChartVersion, error) {
	vs := i.Entries[name]
	if len(vs) == 0 {
		return nil, fmt.Errorf("no chart named %s", name)
	}
	if constraint == "" {
		constraint = "*"
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return nil, fmt.Errorf("not a valid version constraint: %v", err)
	}
	type cand struct {
		v  *semver.Version
		cv *repoChartVersion
	}
	var cands []cand
	for _, cv := range vs {
		if cv == nil {
			continue
		}
		v, err := semver.NewVersion(cv.Version)
		if err != nil {
			continue
		}
		if cv.Version == constraint || cons.Check(v) {
			cands = append(cands, cand{v, cv})
		}
	}
	if len(cands) == 0 {
		return nil, errNoVersion
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].v.GreaterThan(cands[b].v) })
	return cands[0].cv, nil
}

func fetchIndex(ctx context.Context, acc *repoAccess) (*repoIndex, error) {
	u := strings.TrimSuffix(acc.repo, "/") + "/index.yaml"
	data, err := get(ctx, acc, u, maxIndexSize)
	if err != nil {
		return nil, err
	}
	var idx repoIndex
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("repository index %s: %s", u, yamlMessage(err))
	}
	if idx.APIVersion == "" {
		return nil, fmt.Errorf("repository index %s: no apiVersion: not a chart repository index", u)
	}
	return &idx, nil
}

// get downloads u, a URL of the repository behind acc, with the
// repository's credentials when they are to be sent to u's host.
func get(ctx context.Context, acc *repoAccess, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %v", redact(u), unwrapURL(err))
	}
	req.Header.Set("User-Agent", "syncwave")
	if user, pass, ok := acc.basicAuth(u); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := acc.client.Do(req)
	if err != nil {
		return nil, acc.explainRepoError(u, fmt.Errorf("get %s: %w", redact(u), unwrapURL(err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, acc.explainRepoError(u, &httpStatusError{url: redact(u), status: resp.Status, code: resp.StatusCode})
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redact(u), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("get %s: larger than %d bytes", redact(u), limit)
	}
	return data, nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact drops credentials from a URL for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}

// resolveURL resolves a chart URL from an index against the repository URL
// (helm's repo.ResolveReferenceURL).
func resolveURL(repo, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("chart URL %q: %v", ref, err)
	}
	if r.IsAbs() {
		return ref, nil
	}
	base, err := url.Parse(strings.TrimSuffix(repo, "/") + "/")
	if err != nil {
		return "", err
	}
	return base.ResolveReference(r).String(), nil
}

// writeInRoot writes a file atomically under the root, creating its
// directory; neither may leave the root.
func writeInRoot(root *Root, rel string, data []byte) error {
	dir := path.Dir(rel)
	if _, err := root.Stat(dir); errors.Is(err, os.ErrNotExist) {
		parent, err := root.Resolve(path.Dir(dir))
		if err != nil {
			return err
		}
		if err := os.Mkdir(filepath.Join(parent, path.Base(dir)), 0o755); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	real, err := root.Resolve(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(real, ".syncwave-download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(real, path.Base(rel)))
}

// declaresRemote reports whether the chart's Chart.yaml may declare a
// dependency to download: false only when it reads and declares none but
// file:// ones, so that generate, which runs this before every sealed
// rendering, does not load a chart without remote dependencies twice. A
// Chart.yaml that does not read is left to the full load and its message.
func declaresRemote(root *Root, dir string) bool {
	data, err := root.ReadFile(path.Join(dir, "Chart.yaml"))
	if err != nil {
		return true
	}
	var meta struct {
		Dependencies []struct {
			Repository string `json:"repository"`
		} `json:"dependencies"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return true
	}
	for _, d := range meta.Dependencies {
		if !strings.HasPrefix(d.Repository, "file://") {
			return true
		}
	}
	return false
}
