package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// chartRepo is a chart repository served on 127.0.0.1: an index.yaml and
// packaged charts, plus a corrupt archive.
type chartRepo struct {
	srv     *httptest.Server
	files   map[string][]byte
	fetches []string
}

func newChartRepo(t *testing.T) *chartRepo {
	t.Helper()
	r := &chartRepo{files: map[string][]byte{}}
	tmp := t.TempDir()
	type entry struct{ name, version, file, digest string }
	var entries []entry
	for _, c := range []struct{ name, version string }{{"redis", "19.0.1"}, {"redis", "19.2.0"}, {"redis", "20.0.0"}, {"postgresql", "15.5.0"}} {
		ch := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: c.name, Version: c.version},
			Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(fmt.Sprintf(
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-%s\ndata:\n  version: %q\n", c.name, c.version))}},
		}
		p, err := chartutil.Save(ch, tmp)
		must(t, err)
		data, err := os.ReadFile(p)
		must(t, err)
		sum := sha256.Sum256(data)
		file := filepath.Base(p)
		r.files["/charts/"+file] = data
		entries = append(entries, entry{c.name, c.version, "charts/" + file, hex.EncodeToString(sum[:])})
	}
	// A corrupt archive with a matching digest, and one whose digest is wrong.
	junk := []byte("this is not a gzip archive")
	sum := sha256.Sum256(junk)
	r.files["/charts/broken-1.0.0.tgz"] = junk
	entries = append(entries, entry{"broken", "1.0.0", "charts/broken-1.0.0.tgz", hex.EncodeToString(sum[:])})
	r.files["/charts/tampered-1.0.0.tgz"] = r.files["/charts/postgresql-15.5.0.tgz"]
	entries = append(entries, entry{"tampered", "1.0.0", "charts/tampered-1.0.0.tgz", strings.Repeat("0", 64)})
	var idx strings.Builder
	idx.WriteString("apiVersion: v1\nentries:\n")
	last := ""
	for _, e := range entries {
		if e.name != last {
			fmt.Fprintf(&idx, "  %s:\n", e.name)
			last = e.name
		}
		fmt.Fprintf(&idx, "  - name: %s\n    version: %s\n    urls: [%s]\n    digest: %s\n", e.name, e.version, e.file, e.digest)
	}
	r.files["/index.yaml"] = []byte(idx.String())
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.fetches = append(r.fetches, req.URL.Path)
		data, ok := r.files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func writeChart(t *testing.T, dir, chartYAML string, extra map[string]string) *Root {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(dir, "app", "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "app", "Chart.yaml"), []byte(chartYAML), 0o644))
	for k, v := range extra {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, "app", k)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "app", k), []byte(v), 0o644))
	}
	root, err := OpenRoot(dir)
	must(t, err)
	return root
}

func TestFetchDependencies(t *testing.T) {
	repo := newChartRepo(t)
	ctx := context.Background()
	dir := t.TempDir()
	root := writeChart(t, dir, fmt.Sprintf(`apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: redis, version: 19.x.x, repository: %s}
  - {name: postgresql, version: "~15.5", repository: %s/}
`, repo.srv.URL, repo.srv.URL), nil)

	// render refuses, naming init
	_, err := Helm(ctx, root, HelmOptions{Path: "app", ReleaseName: "r"}, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "missing in charts/: redis, postgresql") || !strings.Contains(err.Error(), "syncwave init") {
		t.Fatalf("render before init: %v", err)
	}
	n := len(repo.fetches)
	if n != 0 {
		t.Fatalf("render used the network: %v", repo.fetches)
	}

	got, err := FetchDependencies(ctx, root, "app", FetchOptions{})
	must(t, err)
	if len(got) != 2 || got[0].Version != "19.2.0" || got[0].File != "app/charts/redis-19.2.0.tgz" || got[1].Version != "15.5.0" {
		t.Fatalf("downloaded %+v", got)
	}
	rs, err := Helm(ctx, root, HelmOptions{Path: "app", ReleaseName: "r"}, func(string) {})
	must(t, err)
	if len(rs) != 2 || rs[0].Source != "app/charts/postgresql/templates/cm.yaml" {
		t.Fatalf("render after init: %v", rs)
	}
	// Nothing left to do: no network.
	before := len(repo.fetches)
	got, err = FetchDependencies(ctx, root, "app", FetchOptions{})
	if err != nil || len(got) != 0 || len(repo.fetches) != before {
		t.Fatalf("second init: %v %v, fetches %v", got, err, repo.fetches[before:])
	}
}

func TestFetchDependenciesHonoursLock(t *testing.T) {
	repo := newChartRepo(t)
	dir := t.TempDir()
	deps := []*chart.Dependency{{Name: "redis", Version: "19.x.x", Repository: repo.srv.URL}}
	lock := []*chart.Dependency{{Name: "redis", Version: "19.0.1", Repository: repo.srv.URL}}
	digest := lockDigest(t, deps, lock)
	root := writeChart(t, dir, fmt.Sprintf("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s}\n", repo.srv.URL),
		map[string]string{"Chart.lock": fmt.Sprintf("dependencies:\n- name: redis\n  repository: %s\n  version: 19.0.1\ndigest: %s\ngenerated: \"2024-01-01T00:00:00Z\"\n", repo.srv.URL, digest)})
	got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{})
	must(t, err)
	if len(got) != 1 || got[0].Version != "19.0.1" {
		t.Fatalf("downloaded %+v, want the locked 19.0.1", got)
	}

	// A lock out of sync with Chart.yaml is refused.
	dir2 := t.TempDir()
	root2 := writeChart(t, dir2, fmt.Sprintf("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 20.x.x, repository: %s}\n", repo.srv.URL),
		map[string]string{"Chart.lock": fmt.Sprintf("dependencies:\n- name: redis\n  repository: %s\n  version: 19.0.1\ndigest: %s\ngenerated: \"2024-01-01T00:00:00Z\"\n", repo.srv.URL, digest)})
	if _, err := FetchDependencies(context.Background(), root2, "app", FetchOptions{}); err == nil || !strings.Contains(err.Error(), "Chart.lock is out of sync") {
		t.Fatalf("stale lock: %v", err)
	}
}

func lockDigest(t *testing.T, req, lock []*chart.Dependency) string { return digestOf(t, req, lock) }

func TestFetchDependenciesErrors(t *testing.T) {
	repo := newChartRepo(t)
	for name, tc := range map[string]struct{ dep, err string }{
		"missing version":  {dep: "{name: redis, version: 21.x.x, repository: URL}", err: `dependency redis: version "21.x.x" (from Chart.yaml): no matching chart version in URL`},
		"missing chart":    {dep: "{name: mysql, version: 1.x.x, repository: URL}", err: "dependency mysql: version \"1.x.x\" (from Chart.yaml): no chart named mysql"},
		"corrupt archive":  {dep: "{name: broken, version: 1.0.0, repository: URL}", err: "dependency broken 1.0.0: archive URL/charts/broken-1.0.0.tgz is not a valid chart"},
		"digest mismatch":  {dep: "{name: tampered, version: 1.0.0, repository: URL}", err: "does not match the digest in the repository index"},
		"no index":         {dep: "{name: redis, version: 19.x.x, repository: URL/nope}", err: "get URL/nope/index.yaml: 404 Not Found"},
		"oci without host": {dep: "{name: redis, version: 19.x.x, repository: 'oci://'}", err: "expected oci://host[:port]/path"},
		"alias":            {dep: "{name: redis, version: 19.x.x, repository: '@stable'}", err: "repository alias @stable"},
		"no repository":    {dep: "{name: redis, version: 19.x.x}", err: "no repository declared"},
		"unreachable host": {dep: "{name: redis, version: 19.x.x, repository: 'http://127.0.0.1:1'}", err: "connection refused"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			dir := t.TempDir()
			dep := strings.ReplaceAll(tc.dep, "URL", repo.srv.URL)
			root := writeChart(t, dir, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - "+dep+"\n", nil)
			_, err := FetchDependencies(context.Background(), root, "app", FetchOptions{})
			want := strings.ReplaceAll(tc.err, "URL", repo.srv.URL)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "app", "charts")); len(entries) != 0 {
				t.Errorf("charts/ not empty after a failure: %v", entries)
			}
		})
	}
}

func digestOf(t *testing.T, req, lock []*chart.Dependency) string {
	t.Helper()
	data, err := json.Marshal([2][]*chart.Dependency{req, lock})
	must(t, err)
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestFetchDependenciesAliasesOnce: one chart version used by two aliases
// (the same constraint, or two that resolve to the same version) is
// downloaded and listed once, and the archive gets Helm's file mode.
func TestFetchDependenciesAliasesOnce(t *testing.T) {
	repo := newChartRepo(t)
	dir := t.TempDir()
	root := writeChart(t, dir, fmt.Sprintf(`apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: redis, alias: cache, version: 19.x.x, repository: %s}
  - {name: redis, alias: queue, version: 19.x.x, repository: %s}
  - {name: redis, alias: store, version: "~19.2", repository: %s}
`, repo.srv.URL, repo.srv.URL, repo.srv.URL), nil)
	got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{})
	must(t, err)
	if len(got) != 1 || got[0].File != "app/charts/redis-19.2.0.tgz" {
		t.Fatalf("downloaded %+v", got)
	}
	archives := 0
	for _, f := range repo.fetches {
		if strings.HasSuffix(f, ".tgz") {
			archives++
		}
	}
	if archives != 1 {
		t.Errorf("the archive was fetched %d times: %v", archives, repo.fetches)
	}
	fi, err := os.Stat(filepath.Join(dir, "app", "charts", "redis-19.2.0.tgz"))
	must(t, err)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("archive mode %v, want 0644 as Helm writes it", fi.Mode().Perm())
	}
}

// subRepo serves, on 127.0.0.1, a chart repository with the chart sub at
// 1.0.0, 1.1.0 and 1.2.0, each rendering two objects named after the chart
// (its alias) and version; tls chooses https. It counts the archive GETs.
type subRepo struct {
	srv       *httptest.Server
	downloads map[string]int
}

func newSubRepo(t *testing.T, tls bool) *subRepo {
	t.Helper()
	r := &subRepo{downloads: map[string]int{}}
	files := map[string][]byte{}
	tmp := t.TempDir()
	var idx strings.Builder
	idx.WriteString("apiVersion: v1\nentries:\n  sub:\n")
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		ch := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: "sub", Version: v},
			Templates: []*chart.File{{Name: "templates/objects.yaml", Data: []byte(
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Chart.Version | replace \".\" \"-\" }}\n" +
					"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Chart.Name }}\nspec:\n  ports: [{port: 80}]\n")}},
		}
		p, err := chartutil.Save(ch, tmp)
		must(t, err)
		data, err := os.ReadFile(p)
		must(t, err)
		sum := sha256.Sum256(data)
		files["/charts/"+filepath.Base(p)] = data
		fmt.Fprintf(&idx, "  - name: sub\n    version: %s\n    apiVersion: v2\n    urls: [charts/%s]\n    digest: %s\n    created: \"2024-01-01T00:00:00Z\"\n", v, filepath.Base(p), hex.EncodeToString(sum[:]))
	}
	files["/index.yaml"] = []byte(idx.String() + "generated: \"2024-01-01T00:00:00Z\"\n")
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, ok := files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		if strings.HasSuffix(req.URL.Path, ".tgz") {
			mu.Lock()
			r.downloads[req.URL.Path]++
			mu.Unlock()
		}
		w.Write(data)
	})
	if tls {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

// aliasesChart is a parent chart with one object and three aliases of sub:
// old at 1.1.0, new at 1.2.0, and disabled at 1.0.0, disabled by its condition.
func aliasesChart(repo string) string {
	return fmt.Sprintf(`apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: sub, alias: old, version: 1.1.0, repository: %[1]s}
  - {name: sub, alias: new, version: 1.2.0, repository: %[1]s}
  - {name: sub, alias: disabled, version: 1.0.0, repository: %[1]s, condition: disabled.enabled}
`, repo)
}

const aliasesValues = "disabled:\n  enabled: false\n"

const aliasesParent = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n"

// TestFetchDependenciesLockAliases (issue 18, class 5): a Chart.lock that
// lists one chart at several versions, as helm dependency update writes it
// for aliases, gives one archive per entry, the disabled alias's too, each
// downloaded once; the rendering holds both enabled aliases (5 objects).
func TestFetchDependenciesLockAliases(t *testing.T) {
	repo := newSubRepo(t, false)
	u := repo.srv.URL
	deps := []*chart.Dependency{
		{Name: "sub", Alias: "old", Version: "1.1.0", Repository: u},
		{Name: "sub", Alias: "new", Version: "1.2.0", Repository: u},
		{Name: "sub", Alias: "disabled", Version: "1.0.0", Repository: u, Condition: "disabled.enabled"},
	}
	lock := []*chart.Dependency{
		{Name: "sub", Version: "1.1.0", Repository: u},
		{Name: "sub", Version: "1.2.0", Repository: u},
		{Name: "sub", Version: "1.0.0", Repository: u},
	}
	var lockYAML strings.Builder
	lockYAML.WriteString("dependencies:\n")
	for _, d := range lock {
		fmt.Fprintf(&lockYAML, "- name: %s\n  repository: %s\n  version: %s\n", d.Name, d.Repository, d.Version)
	}
	fmt.Fprintf(&lockYAML, "digest: %s\ngenerated: \"2024-01-01T00:00:00Z\"\n", digestOf(t, deps, lock))
	dir := t.TempDir()
	root := writeChart(t, dir, aliasesChart(u), map[string]string{"Chart.lock": lockYAML.String(), "values.yaml": aliasesValues, "templates/cm.yaml": aliasesParent})
	got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{})
	must(t, err)
	var names []string
	for _, d := range got {
		names = append(names, d.File)
	}
	if want := "app/charts/sub-1.1.0.tgz app/charts/sub-1.2.0.tgz app/charts/sub-1.0.0.tgz"; strings.Join(names, " ") != want {
		t.Fatalf("downloaded %v, want %s", names, want)
	}
	for f, n := range repo.downloads {
		if n != 1 {
			t.Errorf("%s downloaded %d times", f, n)
		}
	}
	rs, err := Helm(context.Background(), root, HelmOptions{Path: "app", ReleaseName: "r"}, func(string) {})
	must(t, err)
	var objs []string
	for _, r := range rs {
		objs = append(objs, r.Kind+"/"+r.Name)
	}
	if want := "ConfigMap/new-1-2-0 ConfigMap/old-1-1-0 ConfigMap/parent Service/new Service/old"; strings.Join(sortedCopy(objs), " ") != want {
		t.Errorf("rendered %v, want %s", objs, want)
	}
	// nothing left to download
	again, err := FetchDependencies(context.Background(), root, "app", FetchOptions{})
	if err != nil || len(again) != 0 {
		t.Errorf("second run: %v %v", again, err)
	}

	// the same lock listing one entry twice: one archive, downloaded once
	dup := t.TempDir()
	deps2 := []*chart.Dependency{deps[1], {Name: "sub", Alias: "again", Version: "1.2.0", Repository: u}}
	lock2 := []*chart.Dependency{lock[1], lock[1]}
	var l2 strings.Builder
	l2.WriteString("dependencies:\n")
	for _, d := range lock2 {
		fmt.Fprintf(&l2, "- name: %s\n  repository: %s\n  version: %s\n", d.Name, d.Repository, d.Version)
	}
	fmt.Fprintf(&l2, "digest: %s\ngenerated: \"2024-01-01T00:00:00Z\"\n", digestOf(t, deps2, lock2))
	root2 := writeChart(t, dup, fmt.Sprintf("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: sub, alias: new, version: 1.2.0, repository: %[1]s}\n  - {name: sub, alias: again, version: 1.2.0, repository: %[1]s}\n", u), map[string]string{"Chart.lock": l2.String()})
	before := repo.downloads["/charts/sub-1.2.0.tgz"]
	got2, err := FetchDependencies(context.Background(), root2, "app", FetchOptions{})
	must(t, err)
	if len(got2) != 1 || repo.downloads["/charts/sub-1.2.0.tgz"] != before+1 {
		t.Errorf("a lock entry listed twice: saved %+v, downloaded %d times", got2, repo.downloads["/charts/sub-1.2.0.tgz"]-before)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
