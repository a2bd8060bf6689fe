package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/plugin"
	"github.com/syncwave/syncwave/render"
)

// TestInitRepositoryCredentials: init reads the credentials of a private
// chart repository from the repositories.yaml file named by
// SYNCWAVE_REPOSITORY_CONFIG (else HELM_REPOSITORY_CONFIG) or from
// SYNCWAVE_REPO_URL/USERNAME/PASSWORD, and never prints the password.
func TestInitRepositoryCredentials(t *testing.T) {
	for _, p := range [][2]string{
		{plugin.EnvRepositoryConfig, render.EnvRepositoryConfig}, {plugin.EnvRepoURL, render.EnvRepoURL},
		{plugin.EnvRepoUsername, render.EnvRepoUsername}, {plugin.EnvRepoPassword, render.EnvRepoPassword},
	} {
		if p[0] != p[1] {
			t.Fatalf("plugin and render name different variables: %s, %s", p[0], p[1])
		}
	}
	in, err := plugin.FromEnv([]string{plugin.EnvRepositoryConfig + "=/r.yaml", plugin.EnvRepoURL + "=https://h", plugin.EnvRepoUsername + "=u", plugin.EnvRepoPassword + "=p"}, t.TempDir())
	if err != nil || len(in.Warnings) != 0 {
		t.Fatalf("FromEnv: %v %v", err, in.Warnings)
	}

	const user, pass = "reader", "Secr3t-not-for-logs"
	srv, _ := redisRepo(t, "/charts", user, pass)
	conf := t.TempDir()
	good, bad := filepath.Join(conf, "good.yaml"), filepath.Join(conf, "bad.yaml")
	writeFile(t, good, fmt.Sprintf("apiVersion: \"\"\nrepositories:\n- name: private\n  url: %s/charts\n  username: %s\n  password: %s\n", srv.URL, user, pass))
	writeFile(t, bad, fmt.Sprintf("repositories:\n- name: private\n  url: %s/charts/\n  username: %s\n  password: wrong-%s\n", srv.URL, user, pass))

	for _, tc := range []struct {
		name string
		env  map[string]string
		err  string // "" for success
	}{
		{"none", nil, "dependency redis: get " + srv.URL + "/charts/index.yaml: 401 Unauthorized: repository " + srv.URL + "/charts requires credentials and none are configured for it (set SYNCWAVE_REPOSITORY_CONFIG"},
		{"SYNCWAVE_REPOSITORY_CONFIG", map[string]string{render.EnvRepositoryConfig: good}, ""},
		{"HELM_REPOSITORY_CONFIG", map[string]string{"HELM_REPOSITORY_CONFIG": good}, ""},
		{"SYNCWAVE_REPOSITORY_CONFIG first", map[string]string{render.EnvRepositoryConfig: bad, "HELM_REPOSITORY_CONFIG": good}, `refused the credentials of entry "private" of ` + bad},
		{"missing file", map[string]string{render.EnvRepositoryConfig: filepath.Join(conf, "nope.yaml")}, "repository config " + filepath.Join(conf, "nope.yaml") + ": no such file or directory"},
		// Helm reads a missing repositories.yaml as empty: so, for Helm's
		// variable, does syncwave (the repository then asks for credentials).
		{"missing HELM_REPOSITORY_CONFIG file", map[string]string{"HELM_REPOSITORY_CONFIG": filepath.Join(conf, "nope.yaml")}, "requires credentials and none are configured for it"},
		{"environment", map[string]string{render.EnvRepoURL: srv.URL, render.EnvRepoUsername: user, render.EnvRepoPassword: pass}, ""},
		{"environment refused", map[string]string{render.EnvRepoURL: srv.URL + "/", render.EnvRepoUsername: user, render.EnvRepoPassword: "wrong-" + pass}, "refused the credentials of SYNCWAVE_REPO_USERNAME/SYNCWAVE_REPO_PASSWORD"},
		{"environment without URL", map[string]string{render.EnvRepoUsername: user, render.EnvRepoPassword: pass}, "SYNCWAVE_REPO_URL is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{render.EnvRepositoryConfig, "HELM_REPOSITORY_CONFIG", render.EnvRepoURL, render.EnvRepoUsername, render.EnvRepoPassword} {
				t.Setenv(v, tc.env[v])
			}
			app := t.TempDir()
			writeFile(t, filepath.Join(app, "Chart.yaml"), fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s/charts}\n", srv.URL))
			out, errOut, code := run(t, app, "init", "--repo-root", ".", ".")
			if strings.Contains(out+errOut, pass) {
				t.Errorf("the password is printed: %q %q", out, errOut)
			}
			if tc.err == "" {
				if code != 0 || out != "" || errOut != "Downloaded redis 19.2.0 into charts/redis-19.2.0.tgz\n" {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				return
			}
			if code != 1 || out != "" || !strings.Contains(errOut, tc.err) {
				t.Fatalf("exit %d, stdout %q, stderr %q\nwant %q", code, out, errOut, tc.err)
			}
		})
	}
}
