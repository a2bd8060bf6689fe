package cmpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	argocmp "github.com/argoproj/argo-cd/v2/cmpserver"
	"github.com/argoproj/argo-cd/v2/cmpserver/plugin"
	"github.com/argoproj/argo-cd/v2/common"
	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v2/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v2/reposerver/repository"
	"github.com/argoproj/argo-cd/v2/util/git"
	"github.com/argoproj/gitops-engine/pkg/utils/kube"
	log "github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const (
	// imageBinary is the binary path in the project's plugin.yaml (the
	// sidecar image); the tests replace it, and only it.
	imageBinary = "/usr/local/bin/syncwave"
	// pluginName is what Applications give as spec.source.plugin.name.
	pluginName = "syncwave"

	repoURL     = "https://git.example.com/your-org/syncwave.git"
	revision    = "0123456789abcdef0123456789abcdef01234567"
	appLabelKey = "syncwave.test/app-instance"
)

var (
	// syncwaveBin is the binary built by TestMain; rootDir the root module.
	syncwaveBin string
	rootDir     string
	// projectPluginYAML and testPluginYAML are the project's plugin.yaml
	// and the one the cmp-server runs (binary path replaced).
	projectPluginYAML []byte
	testPluginYAML    []byte
	pluginConfig      *plugin.PluginConfig
)

// TestMain builds syncwave once, writes the test plugin.yaml and starts the
// real cmp-server on a unix socket; every test and benchmark of the package
// talks to that one server (its constructor registers process-wide metrics,
// so there can be only one).
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	// The cmp-server and the repo-server log every request, and every
	// refusal the tests provoke; -v shows their warnings and errors.
	log.SetLevel(log.FatalLevel)
	if testing.Verbose() {
		log.SetLevel(log.WarnLevel)
	}

	tmp, err := os.MkdirTemp("", "swcmp") // short: a unix socket path has ≤108 bytes
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	stop, err := setup(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmpserver test setup:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

func setup(tmp string) (stop func(), err error) {
	if rootDir, err = filepath.Abs("../.."); err != nil {
		return nil, err
	}
	syncwaveBin = filepath.Join(tmp, "bin", "syncwave")
	build := exec.Command("go", "build", "-o", syncwaveBin, "./cmd/syncwave")
	build.Dir = rootDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build syncwave: %v\n%s", err, out)
	}

	if projectPluginYAML, err = os.ReadFile(filepath.Join(rootDir, "plugin.yaml")); err != nil {
		return nil, err
	}
	if testPluginYAML, err = withBinary(projectPluginYAML, syncwaveBin); err != nil {
		return nil, err
	}
	cfgDir := filepath.Join(tmp, "config")
	sockDir := filepath.Join(tmp, "plugins")
	workDir := filepath.Join(tmp, "work")
	for _, d := range []string{cfgDir, sockDir, workDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "plugin.yaml"), testPluginYAML, 0o644); err != nil {
		return nil, err
	}
	// Read by the cmp-server (socket, workdir) and by the repo-server's
	// plugin discovery (socket), as in the sidecar deployment.
	os.Setenv(common.EnvPluginSockFilePath, sockDir)
	os.Setenv(common.EnvCMPWorkDir, workDir)

	if pluginConfig, err = plugin.ReadPluginConfig(cfgDir); err != nil {
		return nil, fmt.Errorf("argo cd rejects the plugin.yaml: %w", err)
	}
	srv, err := argocmp.NewServer(plugin.CMPServerInitConstants{PluginConfig: *pluginConfig})
	if err != nil {
		return nil, err
	}
	gs, err := srv.CreateGRPC()
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("unix", pluginConfig.Address())
	if err != nil {
		return nil, err
	}
	go func() { _ = gs.Serve(lis) }()

	// The floor of any sidecar plugin, for the latency benchmark: a plugin
	// whose init is /bin/true and whose generate only prints the manifest files,
	// behind the same cmp-server code, tarball and untar.
	floorDir := filepath.Join(tmp, "floor")
	if err := os.MkdirAll(floorDir, 0o755); err != nil {
		return nil, err
	}
	floorYAML := "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: " + floorPlugin +
		"\nspec:\n  init:\n    command: [/bin/true]\n  generate:\n    command: [/bin/sh, -c, 'for f in m*.yaml; do cat $f; echo ---; done']\n"
	if err := os.WriteFile(filepath.Join(floorDir, "plugin.yaml"), []byte(floorYAML), 0o644); err != nil {
		return nil, err
	}
	floorCfg, err := plugin.ReadPluginConfig(floorDir)
	if err != nil {
		return nil, err
	}
	fsrv, err := argocmp.NewServer(plugin.CMPServerInitConstants{PluginConfig: *floorCfg})
	if err != nil {
		return nil, err
	}
	fgs, err := fsrv.CreateGRPC()
	if err != nil {
		return nil, err
	}
	flis, err := net.Listen("unix", floorCfg.Address())
	if err != nil {
		return nil, err
	}
	go func() { _ = fgs.Serve(flis) }()
	return func() { gs.Stop(); fgs.Stop() }, nil
}

// floorPlugin names the trivial plugin the latency benchmark compares with.
const floorPlugin = "floor"

// withBinary returns plugin.yaml with every command that runs the image's
// binary pointed at bin instead, and nothing else changed.
func withBinary(pluginYAML []byte, bin string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(pluginYAML, &doc); err != nil {
		return nil, err
	}
	n := replaceBinary(doc, imageBinary, bin)
	if n == 0 {
		return nil, fmt.Errorf("plugin.yaml runs no %s", imageBinary)
	}
	return yaml.Marshal(doc)
}

// replaceBinary rewrites command[0] == from to to in every command list
// under v and returns how many it rewrote.
func replaceBinary(v any, from, to string) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if list, ok := c.([]any); ok && k == "command" && len(list) > 0 && list[0] == from {
				list[0] = to
				n++
				continue
			}
			n += replaceBinary(c, from, to)
		}
	case []any:
		for _, c := range v {
			n += replaceBinary(c, from, to)
		}
	}
	return n
}

// app is one Application's manifest generation as the repo-server runs it.
type app struct {
	name        string // ARGOCD_APP_NAME, possibly <namespace>_<name>
	namespace   string // destination namespace
	kubeVersion string
	apiVersions []string
	source      v1alpha1.ApplicationSource
}

// generate runs Argo CD's repo-server pipeline for a on the repository at
// repoRoot and returns the manifests Argo CD would apply.
func generate(ctx context.Context, repoRoot string, a app) ([]*unstructured.Unstructured, error) {
	src := a.source.DeepCopy()
	q := &apiclient.ManifestRequest{
		Repo:              &v1alpha1.Repository{Repo: repoURL},
		Revision:          revision,
		AppName:           a.name,
		Namespace:         a.namespace,
		AppLabelKey:       appLabelKey,
		TrackingMethod:    "annotation+label",
		KubeVersion:       a.kubeVersion,
		ApiVersions:       a.apiVersions,
		ApplicationSource: src,
	}
	appPath := filepath.Join(repoRoot, filepath.FromSlash(src.Path))
	resp, err := repository.GenerateManifests(ctx, appPath, repoRoot, revision, q, false, git.NoopCredsStore{}, resource.MustParse("10M"), nil)
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(resp.Manifests))
	for _, m := range resp.Manifests {
		var obj map[string]any
		if err := json.Unmarshal([]byte(m), &obj); err != nil {
			return nil, fmt.Errorf("argo cd returned a manifest that is not JSON: %w", err)
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
	return out, nil
}

// render runs `syncwave render args...` and returns its objects as Argo CD
// reads a plugin's output (kube.SplitYAML, Lists exploded), or its stderr
// as the error.
func render(t testing.TB, args ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(syncwaveBin, append([]string{"render"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimSpace(stderr.String()))
	}
	objs, err := kube.SplitYAML(stdout.Bytes())
	if err != nil {
		t.Fatalf("argo cd cannot read syncwave render's output: %v", err)
	}
	return explodeLists(t, objs), nil
}

// explodeLists unfolds List objects one level, as GenerateManifests does.
func explodeLists(t testing.TB, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if !o.IsList() {
			out = append(out, o)
			continue
		}
		err := o.EachListItem(func(item runtime.Object) error {
			out = append(out, item.(*unstructured.Unstructured))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// syncwaveAnnotations are the annotations syncwave writes.
var syncwaveAnnotations = []string{
	"argocd.argoproj.io/sync-wave",
	"argocd.argoproj.io/hook",
	"argocd.argoproj.io/hook-delete-policy",
	"argocd.argoproj.io/sync-options",
}

// untracked returns a copy of o without Argo CD's tracking label and
// annotations (and without a labels or annotations map left empty), and
// whether o carried the tracking annotation.
func untracked(o *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	c := o.DeepCopy()
	ann := c.GetAnnotations()
	_, tracked := ann[common.AnnotationKeyAppInstance]
	delete(ann, common.AnnotationKeyAppInstance)
	delete(ann, common.AnnotationInstallationID)
	setMap(c, "annotations", ann)
	labels := c.GetLabels()
	delete(labels, appLabelKey)
	setMap(c, "labels", labels)
	return c, tracked
}

// withoutSyncwave returns a copy of o without syncwave's annotations.
func withoutSyncwave(o *unstructured.Unstructured) *unstructured.Unstructured {
	c := o.DeepCopy()
	ann := c.GetAnnotations()
	for _, k := range syncwaveAnnotations {
		delete(ann, k)
	}
	setMap(c, "annotations", ann)
	return c
}

func setMap(o *unstructured.Unstructured, field string, m map[string]string) {
	if len(m) == 0 {
		unstructured.RemoveNestedField(o.Object, "metadata", field)
		return
	}
	unstructured.SetNestedStringMap(o.Object, m, "metadata", field)
}

// canonical returns the objects as sorted canonical JSON documents: a
// multiset that ignores order.
func canonical(t testing.TB, objs []*unstructured.Unstructured) []string {
	t.Helper()
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := json.Marshal(o.Object) // maps marshal with sorted keys
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// diffSets describes the difference of two canonical multisets, or "".
func diffSets(got, want []string) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	count := map[string]int{}
	for _, s := range want {
		count[s]++
	}
	for _, s := range got {
		count[s]--
	}
	var b strings.Builder
	fmt.Fprintf(&b, "got %d objects, want %d\n", len(got), len(want))
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch n := count[k]; {
		case n > 0:
			fmt.Fprintf(&b, "  missing ×%d: %s\n", n, k)
		case n < 0:
			fmt.Fprintf(&b, "  extra   ×%d: %s\n", -n, k)
		}
	}
	return b.String()
}

// find returns the object of this kind and name, or fails.
func find(t testing.TB, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s among %d objects", kind, name, len(objs))
	return nil
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// examplesRepo returns a repository holding a copy of the project's
// examples/ (a small tarball, unlike the whole checkout).
func examplesRepo(t testing.TB) string {
	t.Helper()
	repo := t.TempDir()
	copyTree(t, filepath.Join(rootDir, "examples"), filepath.Join(repo, "examples"))
	return repo
}

// application reads an Application manifest of examples/applications.
func application(t testing.TB, file string) v1alpha1.Application {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rootDir, "examples", "applications", file))
	if err != nil {
		t.Fatal(err)
	}
	var a v1alpha1.Application
	if err := yaml.UnmarshalStrict(b, &a); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if a.Spec.Source == nil || a.Spec.Source.Plugin == nil || a.Spec.Source.Plugin.Name != pluginName {
		t.Fatalf("%s: not an application of the %s plugin", file, pluginName)
	}
	return a
}

// sourceYAML decodes an ApplicationSource written as in an Application.
func sourceYAML(t testing.TB, s string) v1alpha1.ApplicationSource {
	t.Helper()
	var src v1alpha1.ApplicationSource
	if err := yaml.UnmarshalStrict([]byte(s), &src); err != nil {
		t.Fatal(err)
	}
	return src
}
