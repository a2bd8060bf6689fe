package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateLint: generate prints lint errors as warnings and still
// renders, unless the ordering file's lint.failOn asks it to fail.
func TestGenerateLint(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct {
		path     string
		code     int
		stderr   []string
		noStdout bool
	}{
		{path: "internal/cli/testdata/lint-hook-identity-fail/app", code: 0, stderr: []string{
			"Warning: lint error hook-identity Job db/migrate (hook.yaml:1): this hook runs in PreSync wave 0 but its ServiceAccount db/migrator",
		}},
		{path: "internal/cli/testdata/generate-lint-fail-on/app", code: 1, noStdout: true, stderr: []string{
			"Warning: lint error hook-identity Job db/migrate",
			`Error: lint: 3 findings at or above lint.failOn "error" in the ordering file`,
		}},
		{path: "internal/cli/testdata/lint-hook-identity-pass/app", code: 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			env := argoVersions[0].environ(appSource{name: "db", namespace: "db", path: tc.path})
			out, errOut, code := runHost(t, env, filepath.Join(root, tc.path), "generate")
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if len(tc.stderr) == 0 && errOut != "" {
				t.Errorf("unexpected stderr: %s", errOut)
			}
			if tc.noStdout != (out == "") {
				t.Errorf("stdout %q", firstLine(out))
			}
		})
	}
	// SYNCWAVE_ARGOCD_CM: the argocd-cm's Application check silences the gate warning
	path := "internal/cli/testdata/lint-gate-without-health-pass/app"
	env := argoVersions[0].environ(appSource{name: "root", namespace: "argocd", path: path},
		"SYNCWAVE_ARGOCD_CM="+filepath.Join(root, path, "argocd-cm.yaml"))
	if _, errOut, code := runHost(t, env, filepath.Join(root, path), "generate"); code != 0 || errOut != "" {
		t.Errorf("exit %d: %s", code, errOut)
	}
	env = argoVersions[0].environ(appSource{name: "root", namespace: "argocd", path: path}, "SYNCWAVE_ARGOCD_CM=/nonexistent")
	if _, errOut, code := runHost(t, env, filepath.Join(root, path), "generate"); code != 0 || !strings.Contains(errOut, "Warning: lint skipped: SYNCWAVE_ARGOCD_CM: argocd-cm stat /nonexistent: no such file or directory") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
