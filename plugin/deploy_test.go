package plugin

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/order"
)

// The files this package generates and the deployment files that must
// agree with it, relative to the package directory.
const (
	pluginYAML    = "../plugin.yaml"
	discoveryYAML = "../examples/plugin-discovery/plugin.yaml"
	installDoc    = "../docs/install.md"
	dockerfile    = "../Dockerfile"
	installDir    = "../examples/install"
	appsDir       = "../examples/applications"
)

// TestGeneratedFiles: plugin.yaml, the discovery variant and the parameter
// table of docs/install.md are what `go generate ./plugin` writes from the
// table.
func TestGeneratedFiles(t *testing.T) {
	t.Parallel()

	for file, want := range map[string]string{
		pluginYAML:    string(ConfigYAML("")),
		discoveryYAML: string(ConfigYAML(DiscoverFileName)),
	} {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is stale: run go generate ./plugin", file)
		}
	}
	text, err := os.ReadFile(installDoc)
	if err != nil {
		t.Fatal(err)
	}
	updated, ok := ReplaceDocsTable(string(text))
	if !ok {
		t.Fatalf("%s lacks the parameter table markers %q ... %q", installDoc, DocsTableBegin, DocsTableEnd)
	}
	if updated != string(text) {
		t.Errorf("%s: the parameter table is stale: run go generate ./plugin", installDoc)
	}
}

// readConfig parses a plugin.yaml the way Argo CD's cmp-server does
// (util/config/reader.go: YAML to JSON, then encoding/json).
func readConfig(t *testing.T, file string) Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var c Config
	if err := json.Unmarshal(j, &c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

// TestPluginYAML checks plugin.yaml against what the product promises,
// independently of the generator: SPEC §4 and Argo CD's config.go rules.
func TestPluginYAML(t *testing.T) {
	t.Parallel()

	for _, file := range []string{pluginYAML, discoveryYAML} {
		c := readConfig(t, file)
		if c.Kind != "ConfigManagementPlugin" || c.APIVersion != "argoproj.io/v1alpha1" {
			t.Errorf("%s: kind %q apiVersion %q", file, c.Kind, c.APIVersion)
		}
		if c.Metadata.Name != "syncwave" || c.Spec.Version != "" {
			t.Errorf("%s: name %q version %q: Applications must be able to name the plugin plain \"syncwave\"", file, c.Metadata.Name, c.Spec.Version)
		}
		// no shell: the binary itself, by absolute path
		// no init command: generate downloads missing dependencies itself,
		// so that a generation is one process start
		if c.Spec.Init != nil {
			t.Errorf("%s: init runs %q; generate fetches missing dependencies itself", file, c.Spec.Init.Command)
		}
		for what, cmd := range map[string]*Command{"generate": &c.Spec.Generate, "dynamic": c.Spec.Parameters.Dynamic} {
			if cmd == nil {
				t.Errorf("%s: no %s command", file, what)
				continue
			}
			sub := map[string]string{"generate": "generate", "dynamic": "parameters"}[what]
			if want := []string{BinaryPath, sub}; !reflect.DeepEqual(append(cmd.Command, cmd.Args...), want) {
				t.Errorf("%s: %s runs %q, want %q", file, what, append(cmd.Command, cmd.Args...), want)
			}
		}
		if c.Spec.PreserveFileMode || c.Spec.ProvideGitCreds {
			t.Errorf("%s: preserveFileMode and provideGitCreds must stay off", file)
		}
		// the static announcement is the table, with the defaults the code applies
		if !reflect.DeepEqual(c.Spec.Parameters.Static, Static()) {
			t.Errorf("%s: static parameters differ from plugin.Parameters", file)
		}
		var names []string
		for _, a := range c.Spec.Parameters.Static {
			names = append(names, a.Name)
			if a.CollectionType == "" {
				t.Errorf("%s: %s has no collectionType (the UI needs it)", file, a.Name)
			}
		}
		if want := []string{"order-file", "order", "values-files", "values", "helm-parameters", "release-name", "allow-empty", "dependency-annotations", "helm-version", "argocd-version", "plan-record"}; !reflect.DeepEqual(names, want) {
			t.Errorf("%s: parameters %q, want %q", file, names, want)
		}
	}
	if c := readConfig(t, pluginYAML); c.Spec.Discover != nil {
		t.Errorf("plugin.yaml has a discover block; Applications name the plugin")
	}
	if c := readConfig(t, discoveryYAML); c.Spec.Discover == nil || c.Spec.Discover.FileName == "" {
		t.Errorf("the discovery variant has no discover.fileName")
	}
}

// TestDefaultsFromTable: what FromEnv applies when nothing is set is what
// the announcement shows.
func TestDefaultsFromTable(t *testing.T) {
	t.Parallel()

	in, err := FromEnv(nil, wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Static() {
		if in.Origins[a.Name] != "default" {
			t.Errorf("%s: origin %q", a.Name, in.Origins[a.Name])
		}
	}
	if b, _ := parseBool(mustLookup(ParamAllowEmpty).Announce().String); in.AllowEmpty != b {
		t.Errorf("allow-empty default %v, announced %v", in.AllowEmpty, b)
	}
}

// TestDockerfile checks the sidecar image's recipe: a multi-stage build of a
// static, trimmed binary into an image with nothing else than the binary,
// CA certificates and plugin.yaml, running as 999 with Argo CD's
// cmp-server as entrypoint.
func TestDockerfile(t *testing.T) {
	t.Parallel()

	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type stage struct {
		from  string
		lines []string
	}
	var stages []stage
	var cont string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, cont = cont+line, ""
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			stages = append(stages, stage{from: rest})
		case "ARG":
			if len(stages) == 0 {
				continue
			}
			fallthrough
		default:
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, strings.ToUpper(instr)+" "+rest)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, found %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:") || !strings.HasSuffix(build.from, " AS build") {
		t.Errorf("builder stage FROM %q", build.from)
	}
	has := func(s stage, pred func(string) bool) bool { return slices.ContainsFunc(s.lines, pred) }
	if !has(build, func(l string) bool {
		return strings.HasPrefix(l, "RUN ") && strings.Contains(l, "CGO_ENABLED=0") && strings.Contains(l, "go build -trimpath") && strings.Contains(l, "./cmd/syncwave")
	}) {
		t.Errorf("builder does not run CGO_ENABLED=0 go build -trimpath ./cmd/syncwave")
	}
	if final.from != "scratch" {
		t.Errorf("final stage FROM %q, want scratch", final.from)
	}
	want := []string{
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"COPY --from=build /out/syncwave " + BinaryPath,
		"COPY plugin.yaml " + ConfigPath,
		"COPY examples/install/ui/extension-syncwave.js /home/argocd/ui/resources/extension-syncwave.js",
		"USER 999:999",
		`ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]`,
	}
	for _, w := range want {
		if !slices.Contains(final.lines, w) {
			t.Errorf("final stage lacks %q", w)
		}
	}
	for _, l := range final.lines {
		switch strings.SplitN(l, " ", 2)[0] {
		case "COPY", "USER", "ENTRYPOINT", "ENV", "LABEL":
		default:
			t.Errorf("final stage runs %q: it must only copy files in", l)
		}
		if strings.HasPrefix(l, "COPY ") && !slices.Contains(want, l) {
			t.Errorf("final stage copies more than the binary, CA certificates, plugin.yaml and the UI bundle: %q", l)
		}
	}
}

// container is the part of a Kubernetes container spec the install checks.
type container struct {
	Name            string   `json:"name"`
	Image           string   `json:"image"`
	Command         []string `json:"command"`
	SecurityContext struct {
		RunAsNonRoot             *bool  `json:"runAsNonRoot"`
		RunAsUser                *int64 `json:"runAsUser"`
		ReadOnlyRootFilesystem   *bool  `json:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool  `json:"allowPrivilegeEscalation"`
		Capabilities             struct {
			Drop []string `json:"drop"`
		} `json:"capabilities"`
		SeccompProfile struct {
			Type string `json:"type"`
		} `json:"seccompProfile"`
	} `json:"securityContext"`
	VolumeMounts []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		SubPath   string `json:"subPath"`
	} `json:"volumeMounts"`
	Env []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"env"`
	Resources json.RawMessage `json:"resources"`
}

type volume struct {
	Name     string          `json:"name"`
	EmptyDir json.RawMessage `json:"emptyDir"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func checkSidecar(t *testing.T, file string, c container, vols []volume) {
	t.Helper()
	if c.Name != "syncwave" || c.Image == "" {
		t.Errorf("%s: container %q image %q", file, c.Name, c.Image)
	}
	if !reflect.DeepEqual(c.Command, []string{"/var/run/argocd/argocd-cmp-server"}) {
		t.Errorf("%s: command %q, want Argo CD's cmp-server", file, c.Command)
	}
	sc := c.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 999 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		!reflect.DeepEqual(sc.Capabilities.Drop, []string{"ALL"}) || sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("%s: securityContext %+v", file, sc)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	want := map[string]string{"/var/run/argocd": "var-files", "/home/argocd/cmp-server/plugins": "plugins", "/tmp": "syncwave-tmp"}
	if !reflect.DeepEqual(mounts, want) {
		t.Errorf("%s: mounts %v, want %v", file, mounts, want)
	}
	for _, e := range c.Env {
		if e.Name == EnvTimeout {
			if _, err := parseTimeout(e.Value); err != nil {
				t.Errorf("%s: %s=%q: %v", file, e.Name, e.Value, err)
			}
		} else if _, err := FromEnv([]string{e.Name + "=" + e.Value}, wd); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	found := false
	for _, v := range vols {
		if v.Name == "syncwave-tmp" && v.EmptyDir != nil {
			found = true
		}
		if v.Name == "tmp" {
			t.Errorf("%s: the sidecar must not share the repo-server's tmp volume", file)
		}
	}
	if !found {
		t.Errorf("%s: no syncwave-tmp emptyDir volume", file)
	}
}

// checkDefaultContainer: the repo-server pod names argocd-repo-server its
// default container, so that kubectl logs/exec without -c do not land in
// the sidecar (a strategic-merge patch puts syncwave first in the list).
func checkDefaultContainer(t *testing.T, file string, annotations map[string]string) {
	t.Helper()
	if got := annotations["kubectl.kubernetes.io/default-container"]; got != "argocd-repo-server" {
		t.Errorf("%s: pod annotation kubectl.kubernetes.io/default-container is %q, want argocd-repo-server", file, got)
	}
}

func TestInstallKustomize(t *testing.T) {
	t.Parallel()

	var k struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Patches    []struct {
			Path   string `json:"path"`
			Target struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"target"`
		} `json:"patches"`
	}
	readYAML(t, filepath.Join(installDir, "kustomization.yaml"), &k)
	if k.Kind != "Component" || len(k.Patches) != 2 || k.Patches[0].Target.Name != "argocd-repo-server" || k.Patches[1].Target.Name != "argocd-cmd-params-cm" {
		t.Fatalf("kustomization: %+v", k)
	}
	var d struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
				Spec struct {
					Containers []container `json:"containers"`
					Volumes    []volume    `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	file := filepath.Join(installDir, k.Patches[0].Path)
	readYAML(t, file, &d)
	if d.Kind != "Deployment" || d.Metadata.Name != "argocd-repo-server" || len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: %+v", file, d)
	}
	checkDefaultContainer(t, file, d.Spec.Template.Metadata.Annotations)
	vols := d.Spec.Template.Spec.Volumes
	checkSidecar(t, file, d.Spec.Template.Spec.Containers[0], vols)
	for _, name := range []string{"var-files", "plugins"} {
		if !slices.ContainsFunc(vols, func(v volume) bool { return v.Name == name && v.EmptyDir != nil }) {
			t.Errorf("%s: no %s emptyDir", file, name)
		}
	}

	// the Helm values give the same container
	var v struct {
		Configs    json.RawMessage `json:"configs"`
		RepoServer struct {
			PodAnnotations  map[string]string `json:"podAnnotations"`
			ExtraContainers []container       `json:"extraContainers"`
			Volumes         []volume          `json:"volumes"`
		} `json:"repoServer"`
	}
	hfile := filepath.Join(installDir, "argo-cd-chart-values.yaml")
	readYAML(t, hfile, &v)
	if len(v.RepoServer.ExtraContainers) != 1 {
		t.Fatalf("%s: %d extra containers", hfile, len(v.RepoServer.ExtraContainers))
	}
	checkSidecar(t, hfile, v.RepoServer.ExtraContainers[0], v.RepoServer.Volumes)
	checkDefaultContainer(t, hfile, v.RepoServer.PodAnnotations)
	if !reflect.DeepEqual(v.RepoServer.ExtraContainers[0], d.Spec.Template.Spec.Containers[0]) {
		t.Errorf("%s and %s describe different sidecars", hfile, file)
	}
	for _, vol := range v.RepoServer.Volumes {
		if vol.Name == "var-files" || vol.Name == "plugins" {
			t.Errorf("%s: the chart already defines volume %s; a second one is invalid", hfile, vol.Name)
		}
	}
}

// Application is the part of an Argo CD Application the examples use.
type Application struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Project string `json:"project"`
		Source  struct {
			RepoURL        string `json:"repoURL"`
			TargetRevision string `json:"targetRevision"`
			Path           string `json:"path"`
			Plugin         *struct {
				Name string `json:"name"`
				Env  []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"env"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"plugin"`
		} `json:"source"`
		Destination struct {
			Server    string `json:"server"`
			Namespace string `json:"namespace"`
		} `json:"destination"`
		SyncPolicy json.RawMessage `json:"syncPolicy"`
	} `json:"spec"`
}

// TestApplications validates examples/applications: Applications naming the
// plugin, with known parameters of the right shape and known variables, on
// example directories that exist. (internal/cli renders each of them
// through `syncwave generate` with the environment Argo CD would build.)
func TestApplications(t *testing.T) {
	t.Parallel()

	files, err := filepath.Glob(filepath.Join(appsDir, "*.yaml"))
	if err != nil || len(files) < 6 {
		t.Fatalf("found %d Applications (%v)", len(files), err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		var app Application
		readYAML(t, file, &app)
		src := app.Spec.Source
		if app.Kind != "Application" || app.APIVersion != "argoproj.io/v1alpha1" || src.Plugin == nil || src.Plugin.Name != Name {
			t.Errorf("%s: not an Application naming the plugin %q", file, Name)
			continue
		}
		if fi, err := os.Stat(filepath.Join("..", src.Path)); err != nil || !fi.IsDir() {
			t.Errorf("%s: path %s is not a directory of this repository", file, src.Path)
		}
		seen[src.Path] = true
		if len(src.Plugin.Parameters) > 0 {
			ps, err := ParseParameters(src.Plugin.Parameters)
			if err != nil {
				t.Errorf("%s: %v", file, err)
			}
			if o, ok := ps[ParamOrder]; ok {
				if _, err := order.Decode(file+" order", []byte(o.String), annotate.SyntaxNames()); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			}
		}
		for _, e := range src.Plugin.Env {
			if _, err := FromEnv([]string{appEnvPrefix + e.Name + "=" + e.Value}, wd); err != nil {
				t.Errorf("%s: plugin.env: %v", file, err)
			}
		}
	}
	for _, ex := range []string{"examples/sync-hook-wave", "examples/before-pin-skip", "examples/chart-with-hooks"} {
		if !seen[ex] {
			t.Errorf("no Application for %s", ex)
		}
	}
}
