//go:build fidelitytools

package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	// The registry's htpasswd authentication and in-memory storage,
	// registered by name as the registry binary does.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"

	"github.com/syncwave/syncwave/manifest"
)

// distRegistry is CNCF Distribution (the registry behind most self-hosted
// and many hosted OCI registries), run in-process on 127.0.0.1 with TLS, an
// htpasswd file and in-memory storage. It counts the GETs of each blob.
type distRegistry struct {
	srv  *httptest.Server
	host string // 127.0.0.1:port
	ca   string // PEM file of the server's certificate
	mu   sync.Mutex
	gets map[string]int // blob digest -> GETs
}

var blobPath = regexp.MustCompile(`^/v2/.+/blobs/(sha256:[0-9a-f]{64})$`)

func newDistRegistry(t *testing.T, user, password string) *distRegistry {
	t.Helper()
	tmp := t.TempDir()
	// The registry checks the bcrypt hash on every request: the lowest cost
	// keeps a request at a few milliseconds.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(t, err)
	htpasswd := filepath.Join(tmp, "htpasswd")
	must(t, os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600))
	// The configuration file format of the registry binary.
	cfg, err := configuration.Parse(strings.NewReader(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory: {}
  maintenance:
    uploadpurging: {enabled: false}
auth:
  htpasswd:
    realm: syncwave-test
    path: %s
http:
  secret: syncwave-test-upload-secret
`, htpasswd)))
	must(t, err)
	// The registry logs through logrus's standard logger (its binary sets
	// the level from log.level; the handlers alone do not). Pushes make it
	// log 404s of the blobs helm checks before uploading: the log is kept
	// and shown only when the test fails.
	logs := &syncBuffer{}
	logrus.SetLevel(logrus.WarnLevel)
	logrus.SetOutput(logs)
	t.Cleanup(func() {
		logrus.SetOutput(os.Stderr)
		if t.Failed() {
			t.Logf("registry log:\n%s", logs.String())
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	r := &distRegistry{gets: map[string]int{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if m := blobPath.FindStringSubmatch(req.URL.Path); m != nil && req.Method == http.MethodGet {
			r.mu.Lock()
			r.gets[m[1]]++
			r.mu.Unlock()
		}
		app.ServeHTTP(w, req)
	}))
	t.Cleanup(func() {
		r.srv.Close()
		app.Shutdown()
		cancel()
	})
	r.host = strings.TrimPrefix(r.srv.URL, "https://")
	r.ca = filepath.Join(tmp, "ca.pem")
	must(t, os.WriteFile(r.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw}), 0o644))
	return r
}

// syncBuffer is a bytes.Buffer safe for the registry's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (r *distRegistry) blobGets() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.gets {
		out[k] = v
	}
	return out
}

func (r *distRegistry) resetGets() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gets = map[string]int{}
}

// TestHelmFidelityLockAliasesOCI (issue 18, class 5) is
// TestHelmFidelityLockAliases over an OCI registry: CNCF Distribution on
// 127.0.0.1 with TLS and htpasswd. The real helm CLI (v3.22.0, v4.2.1) logs
// in (its registry config.json is the one syncwave then reads), pushes sub
// 1.0.0, 1.1.0 and 1.2.0, writes Chart.lock with `helm dependency update`,
// and renders with `helm dependency build` + `helm template`; syncwave's
// FetchDependencies on the same lock, with the same credentials file and CA,
// followed by its rendering, must give the same objects, downloading each
// locked archive once, a disabled alias's too.
func TestHelmFidelityLockAliasesOCI(t *testing.T) {
	const user, password = "robot", "Oci-s3cret-for-the-test"
	// The three versions of sub, as newSubRepo serves them over https.
	tmp := t.TempDir()
	archives := map[string]string{} // version -> .tgz
	digests := map[string]string{}  // blob digest -> version
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		p, err := chartutil.Save(&chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: "sub", Version: v},
			Templates: []*chart.File{{Name: "templates/objects.yaml", Data: []byte(
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Chart.Version | replace \".\" \"-\" }}\n" +
					"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Chart.Name }}\nspec:\n  ports: [{port: 80}]\n")}},
		}, tmp)
		must(t, err)
		data, err := os.ReadFile(p)
		must(t, err)
		sum := sha256.Sum256(data)
		archives[v] = p
		digests["sha256:"+hex.EncodeToString(sum[:])] = v
	}

	for _, h := range []struct {
		tool string
		mode int
	}{{"helm", 3}, {"helm4", 4}} {
		helm := tool(t, h.tool)
		t.Run(fmt.Sprintf("helm%d", h.mode), func(t *testing.T) {
			reg := newDistRegistry(t, user, password)
			regConfig := filepath.Join(t.TempDir(), "config.json")
			env := append(os.Environ(), "HELM_REGISTRY_CONFIG="+regConfig, "HELM_REPOSITORY_CONFIG="+filepath.Join(t.TempDir(), "repositories.yaml"),
				"HELM_REPOSITORY_CACHE="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(),
				"HELM_DATA_HOME="+t.TempDir(), "KUBECONFIG=/nonexistent", "DOCKER_CONFIG="+t.TempDir())
			helmRun := func(stdin string, args ...string) string {
				t.Helper()
				cmd := exec.Command(helm, args...)
				cmd.Env = env
				cmd.Stdin = strings.NewReader(stdin)
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, errb.String())
				}
				return out.String()
			}
			helmRun(password, "registry", "login", reg.host, "--username", user, "--password-stdin", "--ca-file", reg.ca)
			if cfg, err := os.ReadFile(regConfig); err != nil || !strings.Contains(string(cfg), reg.host) {
				t.Fatalf("helm registry login wrote no entry for %s into %s: %v %s", reg.host, regConfig, err, cfg)
			}
			repoURL := "oci://" + reg.host + "/charts"
			for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
				helmRun("", "push", archives[v], repoURL, "--ca-file", reg.ca)
			}

			for _, c := range lockAliasCases {
				t.Run(c.name, func(t *testing.T) {
					tmp := t.TempDir()
					ours, theirs := filepath.Join(tmp, "ours"), filepath.Join(tmp, "theirs")
					for _, d := range []string{ours, theirs} {
						writeChart(t, d, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"+strings.ReplaceAll(c.aliases, "URL", repoURL),
							map[string]string{"values.yaml": aliasesValues, "templates/cm.yaml": aliasesParent})
					}
					// helm writes the lock; then both sides start without charts/
					helmRun("", "dependency", "update", filepath.Join(theirs, "app"), "--ca-file", reg.ca)
					lock, err := os.ReadFile(filepath.Join(theirs, "app", "Chart.lock"))
					must(t, err)
					if strings.Count(string(lock), "- name: sub") != strings.Count(c.aliases, "name: sub") || !strings.Contains(string(lock), repoURL) {
						t.Fatalf("helm wrote a lock that does not list every alias from %s:\n%s", repoURL, lock)
					}
					must(t, os.WriteFile(filepath.Join(ours, "app", "Chart.lock"), lock, 0o644))
					must(t, os.RemoveAll(filepath.Join(theirs, "app", "charts")))
					helmRun("", "dependency", "build", filepath.Join(theirs, "app"), "--ca-file", reg.ca)
					out, stderr, err := helmTemplate(helm, filepath.Join(theirs, "app"), nil, t)
					if err != nil {
						t.Fatalf("helm template: %v\n%s", err, stderr)
					}
					ref := parseStream(t, out)

					reg.resetGets()
					root, err := OpenRoot(ours)
					must(t, err)
					// The registry refuses anonymous pulls: without the
					// credentials file syncwave must stop and name it.
					if _, err := FetchDependencies(context.Background(), root, "app", FetchOptions{RegistryCAFile: reg.ca}); err == nil || !strings.Contains(err.Error(), "requires credentials") {
						t.Fatalf("FetchDependencies without %s: %v, want a refusal naming the missing credentials", EnvRegistryConfig, err)
					}
					got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{RegistryConfig: regConfig, RegistryCAFile: reg.ca})
					if err != nil {
						t.Fatal(err)
					}
					var versions []string
					for _, d := range got {
						versions = append(versions, d.Version)
					}
					pulled := map[string]bool{}
					for dg, n := range reg.blobGets() {
						v, isChart := digests[dg]
						if !isChart {
							continue // a config blob
						}
						pulled[v] = true
						if n != 1 {
							t.Errorf("sub %s: archive downloaded %d times", v, n)
						}
					}
					for _, v := range regexp.MustCompile(`version: (1\.\d\.0)`).FindAllStringSubmatch(c.aliases, -1) {
						if !pulled[v[1]] {
							t.Errorf("sub %s, a Chart.lock entry, was not downloaded (pulled %v, FetchDependencies reported %v)", v[1], pulled, versions)
						}
					}
					rs, err := Helm(context.Background(), root, HelmOptions{Path: "app", ReleaseName: "fid", Namespace: "fid", HelmVersion: h.mode}, func(string) {})
					must(t, err)
					var b bytes.Buffer
					must(t, manifest.Write(&b, rs))
					mine := parseStream(t, b.Bytes())
					if len(mine) != c.objects || len(ref) != c.objects {
						t.Errorf("syncwave %d objects, helm %d, want %d", len(mine), len(ref), c.objects)
					}
					compareObjects(t, c.name, mine, ref)
				})
			}
		})
	}
}
