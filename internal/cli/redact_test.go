package cli

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/internal/redact"
	"github.com/syncwave/syncwave/render"
)

// TestNoSecretInMessages runs whole command lines with a credential of
// every source syncwave reads (the registry config.json's auth, password,
// identitytoken and registrytoken; repositories.yaml; SYNCWAVE_REPO_*), in
// the ways the issue found them printed (issue 18, class 6) and in a
// message that quotes the value outright (a chart's fail, standing for any
// library's message): the value never appears on stdout or stderr.
//
// Values shorter than redact.MinLen are not masked by value (they would
// match ordinary words); the cases marked short show that the messages
// that printed them no longer quote them at all.
func TestNoSecretInMessages(t *testing.T) {
	const long, short = "Sup3r-secret-Value-9f3k", "Q7x"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	ociChart := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x, repository: \"oci://127.0.0.1:1/charts\"}\n"
	httpsChart := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x, repository: \"https://127.0.0.1:1/charts\"}\n"
	failChart := func(secret string) map[string]string {
		return map[string]string{"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n", "templates/t.yaml": "{{ fail \"the value is " + secret + ", said a library\" }}\n"}
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	configJSON := func(field, value string) string {
		return fmt.Sprintf("{\"auths\": {\"127.0.0.1:1\": {%q: %q}}}\n", field, value)
	}
	for _, tc := range []struct {
		name   string
		secret string
		files  map[string]string // "{{DIR}}" is the application directory
		env    map[string]string
		args   string
		stderr string // a part of the message
	}{
		{name: "config.json auth without a colon", secret: long, files: map[string]string{"Chart.yaml": ociChart, "config.json": configJSON("auth", b64(long))},
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "init --repo-root . .", stderr: `auths["127.0.0.1:1"].auth: expected base64 of user:password, found no colon in the decoded text (not shown)`},
		{name: "config.json auth without a colon, short", secret: short, files: map[string]string{"Chart.yaml": ociChart, "config.json": configJSON("auth", b64(short))},
			env: map[string]string{"HELM_REGISTRY_CONFIG": "{{DIR}}/config.json"}, args: "init --repo-root . .", stderr: "found no colon"},
		{name: "config.json auth", secret: long, files: with(failChart(long), "config.json", configJSON("auth", b64("reader:"+long))),
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "render .", stderr: "the value is ***, said a library"},
		{name: "config.json password", secret: long, files: with(failChart(long), "config.json", configJSON("password", long)),
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "render .", stderr: "the value is ***"},
		{name: "config.json identitytoken", secret: long, files: with(failChart(long), "config.json", configJSON("identitytoken", long)),
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "render .", stderr: "the value is ***"},
		{name: "config.json registrytoken", secret: long, files: with(failChart(long), "config.json", configJSON("registrytoken", long)),
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "render .", stderr: "the value is ***"},
		{name: "config.json that is not JSON", secret: long, files: with(failChart(long), "config.json", "{\"auths\": {\"h\": {\"password\": \""+long+"\"}\n"),
			env: map[string]string{render.EnvRegistryConfig: "{{DIR}}/config.json"}, args: "render .", stderr: "the value is ***"},
		{name: "repositories.yaml password starting with *", secret: "*" + long, files: map[string]string{"Chart.yaml": httpsChart, "r.yaml": "repositories:\n- name: a\n  url: https://127.0.0.1:1/charts\n  password: *" + long + "\n"},
			env: map[string]string{render.EnvRepositoryConfig: "{{DIR}}/r.yaml"}, args: "init --repo-root . .", stderr: "invalid YAML at line 4 (an alias: a value starting with * must be quoted); the text is not shown"},
		{name: "repositories.yaml password starting with *, short", secret: short, files: map[string]string{"Chart.yaml": httpsChart, "r.yaml": "repositories:\n- name: a\n  url: https://127.0.0.1:1/charts\n  password: *" + short + "\n"},
			env: map[string]string{"HELM_REPOSITORY_CONFIG": "{{DIR}}/r.yaml"}, args: "init --repo-root . .", stderr: "invalid YAML at line 4"},
		{name: "repositories.yaml password", secret: long, files: with(failChart(long), "r.yaml", "repositories:\n- {name: a, url: 'https://h/charts', password: '"+long+"'}\n"),
			env: map[string]string{render.EnvRepositoryConfig: "{{DIR}}/r.yaml"}, args: "render .", stderr: "the value is ***"},
		{name: "repositories.yaml key file", secret: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", files: with(failChart("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "r.yaml", "repositories:\n- {name: a, url: 'https://h/charts', certFile: c.pem, keyFile: k.pem}\n", "k.pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"),
			env: map[string]string{render.EnvRepositoryConfig: "{{DIR}}/r.yaml"}, args: "render .", stderr: "the value is ***"},
		{name: "SYNCWAVE_REPO_URL swapped with the password", secret: long, files: map[string]string{"Chart.yaml": httpsChart},
			env: map[string]string{render.EnvRepoURL: long, render.EnvRepoUsername: "reader", render.EnvRepoPassword: "https://127.0.0.1:1/charts"}, args: "init --repo-root . .", stderr: "SYNCWAVE_REPO_URL: expected oci://host"},
		{name: "SYNCWAVE_REPO_URL swapped with the password, short", secret: short, files: map[string]string{"Chart.yaml": httpsChart},
			env: map[string]string{render.EnvRepoURL: short, render.EnvRepoUsername: "reader", render.EnvRepoPassword: "https://127.0.0.1:1/charts"}, args: "init --repo-root . .", stderr: "the value is not shown"},
		{name: "SYNCWAVE_REPO_URL with a token query", secret: "QueryTok3n-abc", files: map[string]string{"Chart.yaml": httpsChart},
			env: map[string]string{render.EnvRepoURL: "https://127.0.0.1:1/charts?token=QueryTok3n-abc", render.EnvRepoUsername: "reader", render.EnvRepoPassword: long}, args: "init --repo-root . .", stderr: "https://127.0.0.1:1/charts?token=***: a query or fragment in the URL"},
		{name: "SYNCWAVE_REPO_PASSWORD", secret: long, files: failChart(long),
			env: map[string]string{render.EnvRepoURL: "https://h/charts", render.EnvRepoUsername: "reader", render.EnvRepoPassword: long}, args: "render .", stderr: "the value is ***"},
		{name: "SYNCWAVE_REPO_PASSWORD in the sidecar", secret: long, files: failChart(long),
			env: map[string]string{render.EnvRepoURL: "https://h/charts", render.EnvRepoUsername: "reader", render.EnvRepoPassword: long, "ARGOCD_APP_NAME": "app", "ARGOCD_APP_SOURCE_PATH": "."}, args: "generate", stderr: "the value is ***"},
		{name: "a URL's user information in any message", secret: long, files: failChart("https://reader:" + long + "@charts.example.com/x"),
			args: "render .", stderr: "the value is https://reader:***@charts.example.com/x, said"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			subst := strings.NewReplacer("{{DIR}}", dir)
			writeTree(t, dir, tc.files, subst)
			for _, v := range []string{render.EnvRegistryConfig, "HELM_REGISTRY_CONFIG", render.EnvRepositoryConfig, "HELM_REPOSITORY_CONFIG", render.EnvRepoURL, render.EnvRepoUsername, render.EnvRepoPassword, "ARGOCD_APP_NAME", "ARGOCD_APP_SOURCE_PATH"} {
				t.Setenv(v, subst.Replace(tc.env[v]))
			}
			out, errOut, code := run(t, dir, strings.Fields(tc.args)...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %q", code, errOut)
			}
			if strings.Contains(out+errOut, tc.secret) || strings.Contains(out+errOut, strings.TrimPrefix(tc.secret, "*")) {
				t.Errorf("the secret is printed:\nstdout %q\nstderr %q", out, errOut)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderr, errOut)
			}
			if len(tc.secret) < redact.MinLen && strings.Contains(errOut, redact.Mask) {
				t.Errorf("a short secret was masked by value: %q", errOut)
			}
		})
	}
}

// TestRedactionKeepsMessagesReadable: a registered secret that is a
// common word part does not mangle the words holding it.
func TestRedactionKeepsMessagesReadable(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n", "templates/t.yaml": "{{ fail \"the repository said no\" }}\n"}, strings.NewReplacer())
	for _, v := range []string{render.EnvRegistryConfig, "HELM_REGISTRY_CONFIG", render.EnvRepositoryConfig, "HELM_REPOSITORY_CONFIG"} {
		t.Setenv(v, "")
	}
	t.Setenv(render.EnvRepoURL, "https://h/charts")
	t.Setenv(render.EnvRepoUsername, "reader")
	t.Setenv(render.EnvRepoPassword, "repo")
	_, errOut, _ := run(t, dir, "render", ".")
	if !strings.Contains(errOut, "the repository said no") {
		t.Errorf("stderr: %q", errOut)
	}
}

// TestRedactionBeforeShortening: a message longer than maxMessage is cut
// in the middle; a secret across the cut is masked whole, not cut into a
// part that no longer matches it.
func TestRedactionBeforeShortening(t *testing.T) {
	const secret = "Cut-across-the-middle-s3cret"
	for _, v := range []string{render.EnvRegistryConfig, "HELM_REGISTRY_CONFIG", render.EnvRepositoryConfig, "HELM_REPOSITORY_CONFIG"} {
		t.Setenv(v, "")
	}
	t.Setenv(render.EnvRepoURL, "https://h/charts")
	t.Setenv(render.EnvRepoUsername, "reader")
	t.Setenv(render.EnvRepoPassword, secret)
	render1 := func(pad int, text string) string {
		dir := t.TempDir()
		tpl := fmt.Sprintf("{{ fail (printf \"%%s%%s%%s\" (repeat %d \"x\") %q (repeat 20000 \"y\")) }}\n", pad, text)
		writeTree(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n", "templates/t.yaml": tpl}, strings.NewReplacer())
		_, errOut, _ := run(t, dir, "render", ".")
		return errOut
	}
	// Where the chart's text starts in the message, then a pad that puts
	// the cut in the middle of the secret.
	probe := render1(0, "MARK")
	at := strings.Index(probe, "MARK") - len("Error: ")
	if at < 0 {
		t.Fatalf("no mark in %q", probe[:200])
	}
	cut := maxMessage - 2048
	pad := cut - at - len(secret)/2
	errOut := render1(pad, secret)
	if !strings.Contains(errOut, "bytes omitted") {
		t.Fatalf("the message was not shortened: %d bytes", len(errOut))
	}
	for i := 4; i < len(secret); i++ {
		if strings.Contains(errOut, secret[:i]+" …") || strings.Contains(errOut, "… "+secret[len(secret)-i:]) {
			t.Fatalf("a part of the secret (%d bytes) is left at the cut", i)
		}
	}
	if !strings.Contains(errOut, "x***y") && !strings.Contains(errOut, "x*** …") && !strings.Contains(errOut, "x**") {
		t.Errorf("the secret was not masked before the cut: %q", errOut[max(0, cut-40):cut+80])
	}
}
