package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/plugin"
	"github.com/syncwave/syncwave/render"
)

// TestInitRegistryConfig: init reads the credentials file named by
// SYNCWAVE_REGISTRY_CONFIG (else HELM_REGISTRY_CONFIG); the sidecar's
// environment check knows the variable.
func TestInitRegistryConfig(t *testing.T) {
	if plugin.EnvRegistryConfig != render.EnvRegistryConfig {
		t.Fatalf("plugin and render name different variables: %s, %s", plugin.EnvRegistryConfig, render.EnvRegistryConfig)
	}
	if _, err := plugin.FromEnv([]string{plugin.EnvRegistryConfig + "=/secrets/config.json"}, t.TempDir()); err != nil {
		t.Errorf("FromEnv: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x, repository: \"oci://127.0.0.1:1/charts\"}\n")
	for _, v := range []string{render.EnvRegistryConfig, "HELM_REGISTRY_CONFIG"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv(render.EnvRegistryConfig, "")
			t.Setenv("HELM_REGISTRY_CONFIG", "")
			missing := filepath.Join(dir, "no-such-"+strings.ToLower(v)+".json")
			t.Setenv(v, missing)
			out, errOut, code := run(t, dir, "init", "--repo-root", dir, ".")
			if code != 1 || out != "" || !strings.Contains(errOut, "dependency redis: registry credentials file "+missing+": no such file or directory") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}
