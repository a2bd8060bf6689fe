//go:build fidelitytools

package render

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

// TestHelmFidelityLockAliases (issue 18, class 5): a Chart.lock written by
// `helm dependency update` for two aliases of one chart at different
// versions, and for an alias disabled by its condition, over an https chart
// repository on 127.0.0.1. `helm dependency build` + `helm template` (v3.22.0
// and v4.2.1) and syncwave's download + rendering give the same objects, and
// syncwave downloads each locked archive once.
// lockAliasCases are the Chart.yaml dependencies of the parent chart (URL
// stands for the repository) and the objects both sides must render.
var lockAliasCases = []struct {
	name    string
	aliases string // dependencies of Chart.yaml
	objects int
}{
	{"two aliases at different versions", "  - {name: sub, alias: old, version: 1.1.0, repository: URL}\n  - {name: sub, alias: new, version: 1.2.0, repository: URL}\n", 5},
	{"an alias disabled by its condition", "  - {name: sub, alias: new, version: 1.2.0, repository: URL}\n  - {name: sub, alias: disabled, version: 1.0.0, repository: URL, condition: disabled.enabled}\n", 3},
	{"both", strings.SplitAfter(aliasesChart("URL"), "dependencies:\n")[1], 5},
}

func TestHelmFidelityLockAliases(t *testing.T) {
	for _, h := range []struct {
		tool string
		mode int
	}{{"helm", 3}, {"helm4", 4}} {
		helm := tool(t, h.tool)
		for _, c := range lockAliasCases {
			t.Run(fmt.Sprintf("%s [helm%d]", c.name, h.mode), func(t *testing.T) {
				repo := newSubRepo(t, true)
				u := repo.srv.URL
				tmp := t.TempDir()
				ca := filepath.Join(tmp, "ca.pem")
				must(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: repo.srv.Certificate().Raw}), 0o644))
				repos := filepath.Join(tmp, "repositories.yaml")
				must(t, os.WriteFile(repos, []byte(fmt.Sprintf("apiVersion: \"\"\ngenerated: \"2024-01-01T00:00:00Z\"\nrepositories:\n- name: subs\n  url: %s\n  caFile: %s\n", u, ca)), 0o644))
				env := append(os.Environ(), "HELM_REPOSITORY_CONFIG="+repos, "HELM_REPOSITORY_CACHE="+t.TempDir(),
					"HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir(), "KUBECONFIG=/nonexistent")
				helmRun := func(args ...string) string {
					t.Helper()
					cmd := exec.Command(helm, args...)
					cmd.Env = env
					var out, errb bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					if err := cmd.Run(); err != nil {
						t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, errb.String())
					}
					return out.String()
				}

				// helm writes the lock; then both sides start without charts/
				ours, theirs := filepath.Join(tmp, "ours"), filepath.Join(tmp, "theirs")
				for _, d := range []string{ours, theirs} {
					writeChart(t, d, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"+strings.ReplaceAll(c.aliases, "URL", u),
						map[string]string{"values.yaml": aliasesValues, "templates/cm.yaml": aliasesParent})
				}
				helmRun("dependency", "update", filepath.Join(theirs, "app"))
				lock, err := os.ReadFile(filepath.Join(theirs, "app", "Chart.lock"))
				must(t, err)
				if strings.Count(string(lock), "- name: sub") != strings.Count(c.aliases, "name: sub") {
					t.Fatalf("helm wrote a lock that does not list every alias:\n%s", lock)
				}
				must(t, os.WriteFile(filepath.Join(ours, "app", "Chart.lock"), lock, 0o644))
				must(t, os.RemoveAll(filepath.Join(theirs, "app", "charts")))
				helmRun("dependency", "build", filepath.Join(theirs, "app"))
				out, stderr, err := helmTemplate(helm, filepath.Join(theirs, "app"), nil, t)
				if err != nil {
					t.Fatalf("helm template: %v\n%s", err, stderr)
				}
				ref := parseStream(t, out)

				for k := range repo.downloads {
					delete(repo.downloads, k)
				}
				creds, err := LoadRepositoryConfig(repos)
				must(t, err)
				root, err := OpenRoot(ours)
				must(t, err)
				if _, err := FetchDependencies(context.Background(), root, "app", FetchOptions{Repositories: creds}); err != nil {
					t.Fatal(err)
				}
				for f, n := range repo.downloads {
					if n != 1 {
						t.Errorf("%s downloaded %d times", f, n)
					}
				}
				if len(repo.downloads) != strings.Count(c.aliases, "name: sub") {
					t.Errorf("downloaded %v, want every lock entry", repo.downloads)
				}
				rs, err := Helm(context.Background(), root, HelmOptions{Path: "app", ReleaseName: "fid", Namespace: "fid", HelmVersion: h.mode}, func(string) {})
				must(t, err)
				var b bytes.Buffer
				must(t, manifest.Write(&b, rs))
				got := parseStream(t, b.Bytes())
				if len(got) != c.objects || len(ref) != c.objects {
					t.Errorf("syncwave %d objects, helm %d, want %d", len(got), len(ref), c.objects)
				}
				compareObjects(t, c.name, got, ref)
			})
		}
	}
}
