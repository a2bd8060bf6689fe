package uiext

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/ui"
)

// argoCDManifests is the manifests directory of the Argo CD module this
// module builds (v2.14.21).
func argoCDManifests(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-cd/v2").Output()
	if err != nil {
		t.Fatalf("locate the Argo CD module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "manifests")
}

type podSpec struct {
	Containers []struct {
		Name         string `json:"name"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
			ReadOnly  bool   `json:"readOnly"`
		} `json:"volumeMounts"`
	} `json:"containers"`
	Volumes []struct {
		Name      string `json:"name"`
		ConfigMap *struct {
			Name string `json:"name"`
		} `json:"configMap"`
	} `json:"volumes"`
}

// TestInstallComponent builds Argo CD's own install.yaml with the sidecar
// component and the UI component, as the README says, and checks that
// argocd-server mounts a ConfigMap holding the bundle the sources build at
// /tmp/extensions/syncwave, under a name Argo CD loads, next to its own
// volumes; and that the Helm values mount the same.
func TestInstallComponent(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dir := t.TempDir()
	install, err := os.ReadFile(filepath.Join(argoCDManifests(t), "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "install.yaml"), install, 0o644); err != nil {
		t.Fatal(err)
	}
	// kustomize takes components by relative path only.
	rel, err := filepath.Rel(dir, filepath.Join(root, "examples", "install"))
	if err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\nresources: [install.yaml]\ncomponents:\n" +
		"  - " + rel + "\n  - " + rel + "/ui\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	bundle, err := ui.Bundle(filepath.Join(root, "ui", "extension"))
	if err != nil {
		t.Fatal(err)
	}
	configMaps := map[string]map[string]string{}
	var server podSpec
	var serverFound, repoSidecar bool
	for _, r := range rm.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
			Spec struct {
				Template struct {
					Spec podSpec `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		switch {
		case obj.Kind == "ConfigMap":
			configMaps[obj.Metadata.Name] = obj.Data
		case obj.Kind == "Deployment" && obj.Metadata.Name == "argocd-server":
			server, serverFound = obj.Spec.Template.Spec, true
		case obj.Kind == "Deployment" && obj.Metadata.Name == "argocd-repo-server":
			for _, c := range obj.Spec.Template.Spec.Containers {
				repoSidecar = repoSidecar || c.Name == "syncwave"
			}
		}
	}
	if !serverFound || !repoSidecar {
		t.Fatalf("argocd-server found %v, the repo-server sidecar %v", serverFound, repoSidecar)
	}
	var cmName string
	for _, v := range server.Volumes {
		if v.Name == "syncwave-ui-extension" && v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if !strings.HasPrefix(cmName, "syncwave-ui-extension-") {
		t.Fatalf("argocd-server volumes: no hashed syncwave-ui-extension ConfigMap (%q)", cmName)
	}
	data, ok := configMaps[cmName]
	if !ok || data[ui.FileName] != string(bundle) {
		t.Errorf("ConfigMap %s does not hold the bundle the sources build as %s", cmName, ui.FileName)
	}
	for name := range data {
		if !ui.NamePattern.MatchString(name) {
			t.Errorf("ConfigMap %s key %s: Argo CD loads only %s", cmName, name, ui.NamePattern)
		}
	}
	mounted, ownVolumes := false, 0
	for _, c := range server.Containers {
		if c.Name != "argocd-server" {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == "syncwave-ui-extension" {
				mounted = m.MountPath == "/tmp/extensions/syncwave" && m.ReadOnly
			} else {
				ownVolumes++
			}
		}
	}
	if !mounted || ownVolumes == 0 {
		t.Errorf("argocd-server: extension mounted read-only at /tmp/extensions/syncwave %v; its own mounts kept: %d", mounted, ownVolumes)
	}

	// The Helm values: the same mount of the ConfigMap the README creates.
	hb, err := os.ReadFile(filepath.Join(root, "examples", "install", "argo-cd-chart-values-ui.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(hb, &struct {
		Server struct {
			VolumeMounts any `json:"volumeMounts"`
			Volumes      any `json:"volumes"`
		} `json:"server"`
	}{}); err != nil {
		t.Errorf("Helm values: %v", err)
	}
	var hv struct {
		Server struct {
			VolumeMounts []struct {
				Name, MountPath string
				ReadOnly        bool
			} `json:"volumeMounts"`
			Volumes []struct {
				Name      string
				ConfigMap struct{ Name string } `json:"configMap"`
			} `json:"volumes"`
		} `json:"server"`
	}
	if err := yaml.Unmarshal(hb, &hv); err != nil {
		t.Fatal(err)
	}
	if len(hv.Server.VolumeMounts) != 1 || hv.Server.VolumeMounts[0].MountPath != "/tmp/extensions/syncwave" || !hv.Server.VolumeMounts[0].ReadOnly ||
		len(hv.Server.Volumes) != 1 || hv.Server.Volumes[0].ConfigMap.Name != "syncwave-ui-extension" || hv.Server.Volumes[0].Name != hv.Server.VolumeMounts[0].Name {
		t.Errorf("Helm values: %+v", hv.Server)
	}
}
