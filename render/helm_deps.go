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
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
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
	// Every request is bound to FetchDependencies' context at the
	// transport, OCI registry requests included.
	Client *http.Client
	// MaxIndexSize bounds a repository's index.yaml (0:
	// DefaultMaxIndexSize; IndexSizeFor gives it for a memory budget).
	MaxIndexSize int64
	// RegistryCAFile is a PEM file of certificate authorities trusted for
	// OCI registries on top of the system's (EnvRegistryCAFile); "" for
	// none.
	RegistryCAFile string
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
	todo, err := wantedDependencies(c)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	if len(todo) == 0 {
		return nil, nil
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if o.MaxIndexSize <= 0 {
		o.MaxIndexSize = DefaultMaxIndexSize
	}
	f := &fetcher{
		root: root, chartsDir: path.Join(dir, "charts"), o: o,
		indexes: map[string]*repoIndex{}, accesses: map[string]*repoAccess{}, saved: map[string]bool{},
	}
	for _, w := range todo {
		if err := f.fetch(ctx, w); err != nil {
			return nil, err
		}
	}
	return f.out, nil
}

// fetcher downloads the dependencies of one chart, sharing repository
// indexes, credentials and the OCI client between them.
type fetcher struct {
	root      *Root
	chartsDir string
	o         FetchOptions // with Client and MaxIndexSize set
	indexes   map[string]*repoIndex
	accesses  map[string]*repoAccess
	oci       *ociClient // created on the first oci:// dependency
	// saved holds the archives already fetched: one chart version under
	// two aliases is one archive, downloaded once, as Helm's manager skips
	// a chart URL it already fetched.
	saved map[string]bool
	out   []Downloaded
}

// firstTime reports whether key is new to saved, and records it.
func (f *fetcher) firstTime(key string) bool {
	if f.saved[key] {
		return false
	}
	f.saved[key] = true
	return true
}

// fetch downloads one wanted dependency, unless its archive was fetched
// already.
func (f *fetcher) fetch(ctx context.Context, w wantedDep) error {
	d, want := w.dep, w.dep.Version
	if d.Repository == "" {
		return fmt.Errorf("dependency %s: no repository declared and not in charts/", d.Name)
	}
	if !f.firstTime(d.Repository + "\x00" + d.Name + "\x00" + want) {
		return nil
	}
	if strings.ContainsAny(d.Repository, "?#") {
		return fmt.Errorf("dependency %s: repository %q: a query or fragment in the URL; expected http(s)://host[:port][/path] or oci://host[:port][/path]", d.Name, redact(d.Repository))
	}
	if strings.HasPrefix(d.Repository, "oci://") {
		return f.fetchOCI(ctx, w)
	}
	return f.fetchHTTP(ctx, w)
}

// fetchOCI pulls a dependency from an OCI registry.
func (f *fetcher) fetchOCI(ctx context.Context, w wantedDep) error {
	d := w.dep
	if f.oci == nil {
		var err error
		if f.oci, err = newOCIClient(ctx, f.o); err != nil {
			return fmt.Errorf("dependency %s: %w", d.Name, err)
		}
	}
	version, data, err := f.oci.pull(ctx, d, d.Version, w.fromLock)
	if err != nil {
		return fmt.Errorf("dependency %s (%s): %w", d.Name, d.Repository, err)
	}
	if !f.firstTime(d.Name + "\x00" + version + "\x00" + d.Repository) {
		return nil
	}
	return f.save(d, version, d.Repository+"/"+d.Name+":"+version, data)
}

// fetchHTTP downloads a dependency from a chart repository: its version
// from the repository's index, then the archive, checked against the
// index's digest.
func (f *fetcher) fetchHTTP(ctx context.Context, w wantedDep) error {
	d, want := w.dep, w.dep.Version
	u, err := url.Parse(d.Repository)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if strings.HasPrefix(d.Repository, "@") || strings.HasPrefix(d.Repository, "alias:") {
			return fmt.Errorf("dependency %s: repository alias %s is not supported; use the repository URL", d.Name, d.Repository)
		}
		return fmt.Errorf("dependency %s: repository %q: expected an http, https or oci URL", d.Name, d.Repository)
	}
	acc, err := f.access(ctx, d)
	if err != nil {
		return err
	}
	idx, ok := f.indexes[d.Repository]
	if !ok {
		if idx, err = fetchIndex(ctx, acc, f.o.MaxIndexSize); err != nil {
			return fmt.Errorf("dependency %s: %w", d.Name, err)
		}
		f.indexes[d.Repository] = idx
	}
	cv, err := idx.find(d.Name, want)
	if err != nil {
		src := "Chart.yaml"
		if w.fromLock {
			src = "Chart.lock"
		}
		return fmt.Errorf("dependency %s: version %q (from %s): %w in %s", d.Name, want, src, err, redact(d.Repository))
	}
	// The constraint resolved to a version fetched under another
	// constraint (the key of want itself was recorded by fetch).
	if cv.Version != want && !f.firstTime(d.Repository+"\x00"+d.Name+"\x00"+cv.Version) {
		return nil
	}
	if len(cv.URLs) == 0 {
		return fmt.Errorf("dependency %s %s: the index of %s lists no download URL", d.Name, cv.Version, redact(d.Repository))
	}
	archiveURL, err := resolveURL(d.Repository, cv.URLs[0])
	if err != nil {
		return fmt.Errorf("dependency %s %s: %w", d.Name, cv.Version, err)
	}
	data, err := get(ctx, acc, archiveURL, maxArchiveSize)
	if err != nil {
		return fmt.Errorf("dependency %s %s (%s): %w", d.Name, cv.Version, redact(d.Repository), err)
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(data)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimPrefix(cv.Digest, "sha256:")) {
			return fmt.Errorf("dependency %s %s: archive %s does not match the digest in the repository index", d.Name, cv.Version, redact(archiveURL))
		}
	}
	return f.save(d, cv.Version, archiveURL, data)
}

// access returns the client and credentials of d's repository, made on
// first use.
func (f *fetcher) access(ctx context.Context, d *chart.Dependency) (*repoAccess, error) {
	if acc, ok := f.accesses[d.Repository]; ok {
		return acc, nil
	}
	cred := findRepoCredential(f.o.Repositories, d.Repository)
	hc, err := clientFor(f.o.Client, cred)
	if err != nil {
		return nil, fmt.Errorf("dependency %s (%s): %w", d.Name, redact(d.Repository), err)
	}
	acc := &repoAccess{repo: d.Repository, cred: cred, client: bindClient(ctx, hc, nil)}
	f.accesses[d.Repository] = acc
	return acc, nil
}

// save writes a downloaded archive into the chart's charts/ directory.
func (f *fetcher) save(d *chart.Dependency, version, where string, data []byte) error {
	dl, err := saveDependency(f.root, f.chartsDir, d, version, where, data)
	if err != nil {
		return err
	}
	f.out = appendOnce(f.out, dl)
	return nil
}

// appendOnce adds dl unless its archive is listed already (two aliases
// whose constraints resolve to one version).
func appendOnce(out []Downloaded, dl Downloaded) []Downloaded {
	for _, o := range out {
		if o.File == dl.File {
			return out
		}
	}
	return append(out, dl)
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

// wantedDep is one archive to download: a Chart.lock entry (its exact
// version) or, without a lock, a Chart.yaml dependency (its constraint).
type wantedDep struct {
	dep      *chart.Dependency
	fromLock bool
}

// wantedDependencies lists what `helm dependency build` downloads. With a
// Chart.lock (which must be in sync with Chart.yaml: its digest is checked),
// helm's Manager.Build downloads every entry of the lock, each by its own
// name, version and repository: the lock, not Chart.yaml, is the list, so two
// aliases of one chart at different versions are two entries, and an entry
// disabled by a condition or tag is downloaded too (conditions are decided
// at rendering). Without a lock, helm resolves each Chart.yaml dependency;
// here each is downloaded at the highest version its constraint allows.
// Left out: file:// dependencies, entries without a repository that charts/
// provides, and entries charts/ already holds at a version that fits
// (vendored). Duplicates are downloaded once (FetchDependencies).
func wantedDependencies(c *chart.Chart) ([]wantedDep, error) {
	list, fromLock := c.Metadata.Dependencies, false
	if c.Lock != nil {
		data, err := json.Marshal([2][]*chart.Dependency{c.Metadata.Dependencies, c.Lock.Dependencies})
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		if "sha256:"+hex.EncodeToString(sum[:]) != c.Lock.Digest {
			return nil, errors.New("Chart.lock is out of sync with the dependencies in Chart.yaml; update it with `helm dependency update`")
		}
		list, fromLock = c.Lock.Dependencies, true
	}
	var out []wantedDep
	for _, d := range list {
		if d == nil || strings.HasPrefix(d.Repository, "file://") || vendored(c, d.Name, d.Version) {
			continue
		}
		if d.Repository == "" && hasDependency(c, d.Name) {
			continue
		}
		out = append(out, wantedDep{dep: d, fromLock: fromLock})
	}
	return out, nil
}

// vendored reports whether charts/ holds the chart name at a version that
// the version or constraint allows, as helm pairs a dependency with a
// loaded chart (chartutil's IsCompatibleRange).
func vendored(c *chart.Chart, name, constraint string) bool {
	for _, sub := range c.Dependencies() {
		if sub.Name() != name || sub.Metadata == nil {
			continue
		}
		if constraint == "" || sub.Metadata.Version == constraint {
			return true
		}
		cons, err := semver.NewConstraint(constraint)
		v, verr := semver.NewVersion(sub.Metadata.Version)
		if err == nil && verr == nil && cons.Check(v) {
			return true
		}
	}
	return false
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

func fetchIndex(ctx context.Context, acc *repoAccess, limit int64) (*repoIndex, error) {
	u := strings.TrimSuffix(acc.repo, "/") + "/index.yaml"
	data, err := get(ctx, acc, u, limit)
	if err != nil {
		var le *LimitExceededError
		if errors.As(err, &le) {
			le.What = "repository index"
		}
		return nil, err
	}
	var idx repoIndex
	if err := yaml.Unmarshal(data, &idx); err != nil {
		// The parser quotes the document; the index is the server's text,
		// so only the position is shown.
		return nil, fmt.Errorf("repository index %s: not a chart repository index (invalid YAML%s)", redact(u), yamlLine(err))
	}
	if idx.APIVersion == "" {
		return nil, fmt.Errorf("repository index %s: no apiVersion: not a chart repository index", redact(u))
	}
	return &idx, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// yamlLine returns " at line N" for a YAML error that names its line.
func yamlLine(err error) string {
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		return " at line " + m[1]
	}
	return ""
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
		// The status code alone: the reason phrase and the body are the
		// server's text.
		return nil, acc.explainRepoError(u, &httpStatusError{url: redact(u), code: resp.StatusCode})
	}
	if resp.ContentLength > limit {
		return nil, &LimitExceededError{What: "download", URL: redact(u), Limit: limit}
	}
	// Streamed through the limit: an answer larger than the limit is never
	// held whole.
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		var le *LimitExceededError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("get %s: %w", redact(u), err)
	}
	if n > limit {
		return nil, &LimitExceededError{What: "download", URL: redact(u), Limit: limit}
	}
	return buf.Bytes(), nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact drops credentials, the query and the fragment from a URL for
// messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		if i := strings.Index(u, "@"); i >= 0 {
			if j := strings.Index(u, "://"); j >= 0 && j < i {
				u = u[:j+3] + u[i+1:]
			}
		}
		return u
	}
	if p.RawQuery != "" {
		p.RawQuery = "…"
	}
	p.User, p.Fragment, p.RawFragment = nil, "", ""
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
	// Helm's mode for a downloaded archive (CreateTemp's is 0600).
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
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
