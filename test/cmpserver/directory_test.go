package cmpserver

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var (
	dirCases = flag.Int("dir-cases", 60, "number of generated directory trees")
	dirSeed  = flag.Int64("dir-seed", -1, "run only the directory tree of this seed")
)

// TestDirectoryDifferential: on generated directory trees, syncwave through
// the cmp-server gives exactly the objects of Argo CD's native directory
// source with the same recurse/include/exclude options, less syncwave's
// annotations; where Argo CD fails, syncwave fails too.
func TestDirectoryDifferential(t *testing.T) {
	t.Parallel()

	seeds := make([]int64, 0, *dirCases)
	if *dirSeed >= 0 {
		seeds = append(seeds, *dirSeed)
	} else {
		for i := 0; i < *dirCases; i++ {
			seeds = append(seeds, int64(i))
		}
	}
	var objects, failures int
	for _, seed := range seeds {
		tr := newTree(seed)
		repo := t.TempDir()
		tr.write(t, repo)
		native, nerr := generate(testContext(t), repo, app{name: "dir", namespace: "default", source: tr.nativeSource()})
		viaPlugin, perr := generate(testContext(t), repo, app{name: "dir", namespace: "default", source: tr.pluginSource(t)})
		switch {
		case nerr != nil && perr != nil:
			failures++
			if testing.Verbose() {
				t.Logf("seed %d refused by both:\n  native: %v\n  plugin: %v", seed, nerr, perr)
			}
			continue
		case nerr != nil || perr != nil:
			t.Errorf("seed %d (rerun with -dir-seed %d): native error %v; plugin error %v\n%s", seed, seed, nerr, perr, tr)
			continue
		}
		got, want := comparable(native, viaPlugin)
		if d := diffSets(canonical(t, got), canonical(t, want)); d != "" {
			t.Errorf("seed %d (rerun with -dir-seed %d): plugin vs native directory source:\n%s\n%s", seed, seed, d, tr)
		}
		objects += len(want)
	}
	t.Logf("%d trees, %d objects compared, %d trees refused by both", len(seeds), objects, failures)
}

// tree is one generated repository with one directory application.
type tree struct {
	seed    int64
	appPath string            // relative to the repository root; "." is the root
	files   map[string]string // path relative to the application -> content
	links   map[string]string // path relative to the application -> link target
	dir     v1alpha1.ApplicationSourceDirectory
	inline  bool // the order as the inline parameter, not syncwave.yaml
}

var (
	dirNames  = []string{"a", "b", "sub", "nested/deep", ".hidden", ".github/workflows", "base", "sub/x"}
	fileNames = []string{"cm", "deploy", "svc", "a", "b", "x-1", ".secret", "values", "list", "all"}
	includes  = []string{"*.yaml", "*.{yaml,json}", "{a,sub}/*", "**/*.yml", "*cm*", "[ab]*", "?.yaml", "sub/**", "*/*.json", ".hidden/*", "*.yml", "{cm,svc}.*", "*/{a,b}.yaml"}
	excludes  = []string{"*.json", "{.hidden,.github}/*", "**/b*", "sub/*", "*deploy*", ".*", "*/.*", "{a,b}.yaml", "nested/**"}
	kinds     = []struct{ apiVersion, kind string }{
		{"v1", "ConfigMap"}, {"v1", "Secret"}, {"v1", "ServiceAccount"}, {"v1", "Service"},
		{"apps/v1", "Deployment"}, {"example.com/v1", "Widget"}, {"rbac.authorization.k8s.io/v1", "ClusterRole"},
	}
)

func newTree(seed int64) *tree {
	r := rand.New(rand.NewSource(seed))
	tr := &tree{seed: seed, appPath: "apps/app", files: map[string]string{}, links: map[string]string{}}
	if r.Intn(5) == 0 {
		tr.appPath = "."
	}
	tr.dir.Recurse = r.Intn(2) == 0
	if r.Intn(2) == 0 {
		tr.dir.Include = pick(r, includes)
	}
	if r.Intn(2) == 0 {
		tr.dir.Exclude = pick(r, excludes)
	}
	tr.inline = r.Intn(3) == 0

	n := 3 + r.Intn(10)
	for i := 0; i < n; i++ {
		dir := ""
		if r.Intn(3) > 0 {
			dir = pick(r, dirNames)
		}
		name, content := genFile(r)
		tr.files[path.Join(dir, name)] = content
	}
	// file symlinks to a file of the tree, and symlinks to directories
	var yamls []string
	for p := range tr.files {
		yamls = append(yamls, p)
	}
	sort.Strings(yamls)
	if r.Intn(3) == 0 {
		target := pick(r, yamls)
		link := path.Join(pick(r, []string{"", "sub", ".hidden"}), fmt.Sprintf("link-%d.yaml", r.Intn(10)))
		if _, taken := tr.files[link]; !taken && link != target {
			tr.links[link] = target
		}
	}
	if r.Intn(4) == 0 {
		link := pick(r, []string{"linked", "linked.yaml", "sub/linked"})
		if _, taken := tr.files[link]; !taken {
			tr.links[link] = pick(r, []string{"a", "sub", "nested"})
		}
	}
	return tr
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.Intn(len(list))] }

func genObject(r *rand.Rand) map[string]any {
	k := pick(r, kinds)
	o := map[string]any{
		"apiVersion": k.apiVersion,
		"kind":       k.kind,
		"metadata":   map[string]any{"name": fmt.Sprintf("%s-%d", strings.ToLower(k.kind), r.Intn(1000))},
	}
	md := o["metadata"].(map[string]any)
	if r.Intn(3) == 0 {
		md["labels"] = map[string]any{"app": pick(r, []string{"web", "db"})}
	}
	if r.Intn(4) == 0 {
		md["annotations"] = map[string]any{"team": "a", "empty": ""}
	}
	if r.Intn(3) == 0 {
		md["namespace"] = pick(r, []string{"default", "team-a"})
	}
	switch k.kind {
	case "ConfigMap", "Secret":
		o["data"] = map[string]any{"k": fmt.Sprint(r.Intn(100)), "yes": "true"}
	case "Deployment":
		o["spec"] = map[string]any{"replicas": r.Intn(4), "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "busybox:1.36"}}}}}
	case "Widget":
		o["spec"] = map[string]any{"size": 1.5, "tags": []any{"x", nil, 3}}
	}
	return o
}

func toYAML(o any) string {
	b, err := yaml.Marshal(o)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func toJSON(o any) string {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// genFile returns a file name (with extension) and content.
func genFile(r *rand.Rand) (string, string) {
	base := pick(r, fileNames)
	yext := pick(r, []string{".yaml", ".yml"})
	switch x := r.Intn(100); {
	case x < 25: // one object
		return base + yext, toYAML(genObject(r))
	case x < 45: // multi-document YAML with empty, null and comment-only documents
		var b strings.Builder
		if r.Intn(2) == 0 {
			b.WriteString("---\n")
		}
		for i, n := 0, 1+r.Intn(4); i < n; i++ {
			if i > 0 {
				b.WriteString("---\n")
			}
			switch r.Intn(6) {
			case 0:
				// empty document
			case 1:
				b.WriteString("null\n")
			case 2:
				b.WriteString("# only a comment\n")
			default:
				b.WriteString(toYAML(genObject(r)))
			}
		}
		if r.Intn(3) == 0 {
			b.WriteString("---\n")
		}
		return base + yext, b.String()
	case x < 55: // a List, by kind or by items alone
		items := []any{}
		for i, n := 0, r.Intn(4); i < n; i++ {
			items = append(items, genObject(r))
		}
		kind := pick(r, []string{"List", "ConfigMapList"})
		l := map[string]any{"apiVersion": "v1", "kind": kind, "items": items}
		if r.Intn(2) == 0 {
			return base + ".json", toJSON(l)
		}
		return base + yext, toYAML(l)
	case x < 67: // one JSON object
		return base + ".json", toJSON(genObject(r))
	case x < 75: // YAML that is not a manifest: Argo CD ignores it
		return base + yext, pick(r, []string{
			"replicas: 3\nimage:\n  tag: v1\n",
			"name: ci\non: [push]\njobs:\n  build: {runs-on: ubuntu-latest}\n",
			"- a\n- b\n",
			"just a string\n",
			"",
		})
	case x < 83: // other extensions, never read
		return base + pick(r, []string{".txt", ".md", ".YAML", ".yaml.bak", ".j2", ".cfg"}), toYAML(genObject(r))
	case x < 88: // a JSON stream in a .yaml file
		return base + ".yaml", toJSON(genObject(r)) + toJSON(genObject(r))
	case x < 92: // a kustomization file: an object of kind Kustomization to a directory source
		return "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n"
	case x < 95: // a bad document after a good one: an error
		return base + yext, toYAML(genObject(r)) + "---\nfoo: [unclosed\n"
	case x < 97: // two objects in a .json file: an error
		return base + ".json", toJSON(genObject(r)) + toJSON(genObject(r))
	default: // a manifest-looking file that does not parse: an error
		return base + yext, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n"
	}
}

func (tr *tree) order() string {
	d := map[string]any{}
	if tr.dir.Recurse {
		d["recurse"] = true
	}
	if tr.dir.Include != "" {
		d["include"] = tr.dir.Include
	}
	if tr.dir.Exclude != "" {
		d["exclude"] = tr.dir.Exclude
	}
	return toYAML(map[string]any{
		"apiVersion": "syncwave.io/v1alpha1",
		"kind":       "SyncOrder",
		"sources":    []any{map[string]any{"directory": d}},
	})
}

func (tr *tree) write(t testing.TB, repo string) {
	t.Helper()
	app := filepath.Join(repo, filepath.FromSlash(tr.appPath))
	files := tr.files
	if !tr.inline {
		files = map[string]string{"syncwave.yaml": tr.order()}
		for p, c := range tr.files {
			files[p] = c
		}
	}
	for p, c := range files {
		f := filepath.Join(app, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for l, target := range tr.links {
		f := filepath.Join(app, filepath.FromSlash(l))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(filepath.Dir(f), filepath.Join(app, filepath.FromSlash(target)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rel, f); err != nil {
			t.Fatal(err)
		}
	}
}

func (tr *tree) nativeSource() v1alpha1.ApplicationSource {
	d := tr.dir
	return v1alpha1.ApplicationSource{Path: tr.appPath, Directory: &d}
}

func (tr *tree) pluginSource(t testing.TB) v1alpha1.ApplicationSource {
	t.Helper()
	params := "[{name: allow-empty, string: \"true\"}]"
	if tr.inline {
		b, _ := json.Marshal(tr.order())
		params = fmt.Sprintf("[{name: allow-empty, string: \"true\"}, {name: order, string: %s}]", b)
	}
	return sourceYAML(t, fmt.Sprintf("path: %s\nplugin: {name: syncwave, parameters: %s}", tr.appPath, params))
}

// String shows the tree for a failure message.
func (tr *tree) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tree (seed %d): app path %s, recurse %v, include %q, exclude %q, order inline %v\n",
		tr.seed, tr.appPath, tr.dir.Recurse, tr.dir.Include, tr.dir.Exclude, tr.inline)
	var paths []string
	for p := range tr.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(&b, "--- %s\n%s", p, tr.files[p])
		if !strings.HasSuffix(tr.files[p], "\n") {
			b.WriteString("\n")
		}
	}
	for l, target := range tr.links {
		fmt.Fprintf(&b, "--- %s -> %s (symlink)\n", l, target)
	}
	return b.String()
}

// comparable returns the plugin's objects and the native directory
// source's, both without Argo CD's tracking metadata and syncwave's own
// annotations, for diffSets. Argo CD would apply syncwave.yaml as a
// resource; syncwave skips it, so it is left out of the native side.
func comparable(native, viaPlugin []*unstructured.Unstructured) (got, want []*unstructured.Unstructured) {
	for _, o := range native {
		if o.GetKind() == "SyncOrder" && strings.HasPrefix(o.GetAPIVersion(), "syncwave.io/") {
			continue
		}
		c, _ := untracked(o)
		want = append(want, c)
	}
	for _, o := range viaPlugin {
		c, _ := untracked(o)
		got = append(got, withoutSyncwave(c))
	}
	return got, want
}
