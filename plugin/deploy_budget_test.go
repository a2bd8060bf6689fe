package plugin

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/internal/sandbox"
)

// installBase stands for Argo CD's install.yaml: the repo-server, whose
// parallelism limit comes from argocd-cmd-params-cm, and that ConfigMap.
const installBase = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  template:
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.2.0
          env:
            - name: ARGOCD_REPO_SERVER_PARALLELISM_LIMIT
              valueFrom:
                configMapKeyRef:
                  name: argocd-cmd-params-cm
                  key: reposerver.parallelism.limit
                  optional: true
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cmd-params-cm
`

// sidecarBudget checks that a sidecar's memory limit, SYNCWAVE_PARALLELISM
// and the repo-server's parallelism limit agree: the generations that may
// run at once, each stopping at the budget derived from the limit, fit the
// container with the cmp-server's share; and the budget leaves a real
// chart room (kube-prometheus-stack peaks at about 150 MiB).
func sidecarBudget(t *testing.T, where string, c container, repoServerParallelism string) {
	t.Helper()
	var res struct {
		Limits struct {
			Memory string `json:"memory"`
		} `json:"limits"`
	}
	if err := yaml.Unmarshal(c.Resources, &res); err != nil {
		t.Fatalf("%s: resources: %v", where, err)
	}
	limit, err := sandbox.ParseSize(res.Limits.Memory)
	if err != nil || limit == 0 {
		t.Fatalf("%s: memory limit %q: %v", where, res.Limits.Memory, err)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env[EnvMaxMemory] != "" {
		t.Errorf("%s: %s is set: the budget is to follow the memory limit", where, EnvMaxMemory)
	}
	par, err := ParseParallelism(env[EnvParallelism])
	if err != nil {
		t.Fatalf("%s: %s=%q: %v", where, EnvParallelism, env[EnvParallelism], err)
	}
	if repoServerParallelism != strconv.Itoa(par) {
		t.Errorf("%s: the repo-server's reposerver.parallelism.limit is %q, the sidecar's %s %d: they must agree", where, repoServerParallelism, EnvParallelism, par)
	}
	budget := DefaultMemoryBudget(limit, par)
	if budget*int64(par)+SidecarOverhead > limit {
		t.Errorf("%s: %d generations of %s and the cmp-server's %s do not fit the memory limit %s", where, par, sandbox.FormatSize(budget), sandbox.FormatSize(SidecarOverhead), res.Limits.Memory)
	}
	if budget < 256<<20 {
		t.Errorf("%s: a budget of %s per generation is too small for real charts", where, sandbox.FormatSize(budget))
	}
}

// TestInstallBudget renders the kustomize component over a stand-in of
// Argo CD's install, and reads the Helm chart values, and checks that the
// memory limit, the budget and the parallelism agree in both.
func TestInstallBudget(t *testing.T) {
	t.Parallel()

	fsys := filesys.MakeFsInMemory()
	entries, err := os.ReadDir(installDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // other components (app-health, ui): not this kustomization's files
		}
		data, err := os.ReadFile(filepath.Join(installDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := fsys.WriteFile("/install/"+e.Name(), data); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.WriteFile("/base/install.yaml", []byte(installBase)))
	must(fsys.WriteFile("/base/kustomization.yaml", []byte("resources: [install.yaml]\n")))
	must(fsys.WriteFile("/app/kustomization.yaml", []byte("namespace: argocd\nresources: [../base]\ncomponents: [../install]\n")))
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, "/app")
	if err != nil {
		t.Fatal(err)
	}
	var sidecar *container
	parallelism := ""
	for _, r := range m.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		switch r.GetKind() {
		case "ConfigMap":
			var cm struct {
				Data map[string]string `json:"data"`
			}
			must(yaml.Unmarshal(data, &cm))
			parallelism = cm.Data["reposerver.parallelism.limit"]
		case "Deployment":
			var d struct {
				Spec struct {
					Template struct {
						Spec struct {
							Containers []container `json:"containers"`
						} `json:"spec"`
					} `json:"template"`
				} `json:"spec"`
			}
			must(yaml.Unmarshal(data, &d))
			for i, c := range d.Spec.Template.Spec.Containers {
				if c.Name == "syncwave" {
					sidecar = &d.Spec.Template.Spec.Containers[i]
				}
			}
		}
	}
	if sidecar == nil {
		t.Fatal("the rendered install has no syncwave container")
	}
	sidecarBudget(t, "kustomize component", *sidecar, parallelism)

	var v struct {
		Configs struct {
			Params map[string]any `json:"params"`
		} `json:"configs"`
		RepoServer struct {
			ExtraContainers []container `json:"extraContainers"`
		} `json:"repoServer"`
	}
	data, err := os.ReadFile(filepath.Join(installDir, "argo-cd-chart-values.yaml"))
	must(err)
	must(yaml.Unmarshal(data, &v))
	if len(v.RepoServer.ExtraContainers) != 1 {
		t.Fatalf("chart values: %d extra containers", len(v.RepoServer.ExtraContainers))
	}
	p, _ := v.Configs.Params["reposerver.parallelism.limit"].(float64)
	sidecarBudget(t, "chart values", v.RepoServer.ExtraContainers[0], strconv.Itoa(int(p)))
}
