package render

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	repoUser = "ci-reader"
	repoPass = "s3cret-Pa55word-do-not-print"
)

// authRepo serves the charts of newChartRepo behind basic auth (when user is
// set), recording the Authorization header of every request.
type authRepo struct {
	srv   *httptest.Server
	mu    sync.Mutex
	auths map[string]string // path -> Authorization header received
}

func newAuthRepo(t *testing.T, files map[string][]byte, user, pass string, start func(*httptest.Server)) *authRepo {
	t.Helper()
	r := &authRepo{auths: map[string]string{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths[req.URL.Path] = req.Header.Get("Authorization")
		r.mu.Unlock()
		if user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		data, ok := files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(data)
	}))
	if start == nil {
		r.srv.Start()
	} else {
		start(r.srv)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *authRepo) auth(p string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.auths[p]
}

func writeRepositoryConfig(t *testing.T, body string) []*RepoCredential {
	t.Helper()
	f := filepath.Join(t.TempDir(), "repositories.yaml")
	must(t, os.WriteFile(f, []byte(body), 0o600))
	creds, err := LoadRepositoryConfig(f)
	must(t, err)
	return creds
}

func fetchOne(t *testing.T, repoURL string, o FetchOptions) ([]Downloaded, error) {
	t.Helper()
	dir := t.TempDir()
	root := writeChart(t, dir, fmt.Sprintf("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s}\n", repoURL), nil)
	got, err := FetchDependencies(context.Background(), root, "app", o)
	if err != nil {
		if entries, _ := os.ReadDir(filepath.Join(dir, "app", "charts")); len(entries) != 0 {
			t.Errorf("charts/ not empty after a failure: %v", entries)
		}
		if strings.Contains(err.Error(), repoPass) || strings.Contains(err.Error(), "wrong-"+repoPass) {
			t.Errorf("the error prints a password: %v", err)
		}
	}
	return got, err
}

func TestFetchDependenciesBasicAuth(t *testing.T) {
	files := newChartRepo(t).files
	repo := newAuthRepo(t, files, repoUser, repoPass, nil)
	entry := func(pass string) string {
		return fmt.Sprintf("apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- name: private\n  url: %s/\n  username: %s\n  password: %s\n", repo.srv.URL, repoUser, pass)
	}

	t.Run("repositories.yaml", func(t *testing.T) {
		got, err := fetchOne(t, repo.srv.URL, FetchOptions{Repositories: writeRepositoryConfig(t, entry(repoPass))})
		must(t, err)
		if len(got) != 1 || got[0].Version != "19.2.0" {
			t.Fatalf("downloaded %+v", got)
		}
		if repo.auth("/charts/redis-19.2.0.tgz") == "" {
			t.Error("the archive on the repository's host was fetched without credentials")
		}
	})
	t.Run("environment", func(t *testing.T) {
		env := map[string]string{EnvRepoURL: repo.srv.URL, EnvRepoUsername: repoUser, EnvRepoPassword: repoPass}
		c, err := EnvRepoCredential(func(k string) string { return env[k] })
		must(t, err)
		got, err := fetchOne(t, repo.srv.URL+"/", FetchOptions{Repositories: []*RepoCredential{c}})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("downloaded %+v", got)
		}
	})
	t.Run("auth required", func(t *testing.T) {
		_, err := fetchOne(t, repo.srv.URL, FetchOptions{})
		for _, want := range []string{"dependency redis:", "401 Unauthorized", "requires credentials and none are configured", EnvRepositoryConfig, EnvRepoUsername} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
		}
	})
	t.Run("refused", func(t *testing.T) {
		_, err := fetchOne(t, repo.srv.URL, FetchOptions{Repositories: writeRepositoryConfig(t, entry("wrong-"+repoPass))})
		if err == nil || !strings.Contains(err.Error(), "dependency redis:") || !strings.Contains(err.Error(), `refused the credentials of entry "private" of `) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("entry for another repository", func(t *testing.T) {
		env := map[string]string{EnvRepoURL: repo.srv.URL + "/team", EnvRepoUsername: repoUser, EnvRepoPassword: repoPass}
		c, err := EnvRepoCredential(func(k string) string { return env[k] })
		must(t, err)
		_, err = fetchOne(t, repo.srv.URL, FetchOptions{Repositories: []*RepoCredential{c}})
		if err == nil || !strings.Contains(err.Error(), "none are configured") {
			t.Fatalf("error %v", err)
		}
		if a := repo.auth("/index.yaml"); a != "" {
			t.Fatalf("credentials for %s/team sent to %s/index.yaml", repo.srv.URL, repo.srv.URL)
		}
	})
}

// The index of a private repository lists its charts on another host (a
// CDN): the credentials go there only with pass_credentials_all.
func TestFetchDependenciesCredentialsStayOnTheRepositoryHost(t *testing.T) {
	files := newChartRepo(t).files
	for _, cdnAuth := range []bool{false, true} {
		user := ""
		if cdnAuth {
			user = repoUser
		}
		cdn := newAuthRepo(t, files, user, repoPass, nil)
		// Another host: localhost rather than 127.0.0.1.
		cdnURL := strings.Replace(cdn.srv.URL, "127.0.0.1", "localhost", 1)
		idx := strings.ReplaceAll(string(files["/index.yaml"]), "urls: [charts/", "urls: ["+cdnURL+"/charts/")
		repo := newAuthRepo(t, map[string][]byte{"/index.yaml": []byte(idx)}, repoUser, repoPass, nil)
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("cdn auth %v, pass_credentials_all %v", cdnAuth, all), func(t *testing.T) {
				creds := writeRepositoryConfig(t, fmt.Sprintf("repositories:\n- name: private\n  url: %s\n  username: %s\n  password: %s\n  pass_credentials_all: %v\n", repo.srv.URL, repoUser, repoPass, all))
				got, err := fetchOne(t, repo.srv.URL, FetchOptions{Repositories: creds})
				sent := cdn.auth("/charts/redis-19.2.0.tgz") != ""
				switch {
				case all:
					must(t, err)
					if !sent {
						t.Fatal("pass_credentials_all: no credentials sent to the chart host")
					}
				case cdnAuth:
					if err == nil || !strings.Contains(err.Error(), "dependency redis 19.2.0") || !strings.Contains(err.Error(), "served from another host") || !strings.Contains(err.Error(), "pass_credentials_all: true") {
						t.Fatalf("error %v", err)
					}
					if sent {
						t.Fatal("credentials sent to another host")
					}
				default:
					must(t, err)
					if len(got) != 1 {
						t.Fatalf("downloaded %+v", got)
					}
					if sent {
						t.Fatal("credentials sent to another host")
					}
				}
			})
		}
	}
}

// A redirect to another host does not carry the credentials, not even to a
// subdomain (where Go's client would keep them).
func TestFetchDependenciesRedirectDropsCredentials(t *testing.T) {
	files := newChartRepo(t).files
	cdn := newAuthRepo(t, files, "", "", nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != repoUser || p != repoPass {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if req.URL.Path == "/index.yaml" {
			w.Write(files["/index.yaml"])
			return
		}
		http.Redirect(w, req, "http://cdn.charts.test"+req.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	// charts.test is the repository, cdn.charts.test the chart host.
	addr := map[string]string{"charts.test:80": srv.Listener.Addr().String(), "cdn.charts.test:80": cdn.srv.Listener.Addr().String()}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr[a])
	}}}
	creds := writeRepositoryConfig(t, fmt.Sprintf("repositories:\n- {name: r, url: 'http://charts.test', username: %s, password: %s}\n", repoUser, repoPass))
	_, err := fetchOne(t, "http://charts.test", FetchOptions{Client: client, Repositories: creds})
	must(t, err)
	if a := cdn.auth("/charts/redis-19.2.0.tgz"); a != "" {
		t.Fatal("credentials followed a redirect to another host")
	}
}

func TestFetchDependenciesTLS(t *testing.T) {
	files := newChartRepo(t).files
	caPEM, serverCert, clientCA, clientCertPEM, clientKeyPEM := testPKI(t)
	repo := newAuthRepo(t, files, repoUser, repoPass, func(s *httptest.Server) {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: clientCA, ClientAuth: tls.VerifyClientCertIfGiven}
		s.StartTLS()
	})
	mtls := newAuthRepo(t, files, "", "", func(s *httptest.Server) {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: clientCA, ClientAuth: tls.RequireAndVerifyClientCert}
		s.StartTLS()
	})
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.crt": caPEM, "tls.crt": clientCertPEM, "tls.key": clientKeyPEM, "junk.crt": []byte("not a certificate")} {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	// Each subtest has its own file beside the certificates: they run in parallel.
	conf := func(t *testing.T, body string) []*RepoCredential {
		f := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".yaml")
		must(t, os.WriteFile(f, []byte(body), 0o600))
		creds, err := LoadRepositoryConfig(f)
		must(t, err)
		return creds
	}
	for name, tc := range map[string]struct {
		url, entry, err string
	}{
		"custom CA":               {url: repo.srv.URL, entry: "caFile: ca.crt"},
		"unknown CA":              {url: repo.srv.URL, entry: "name: x", err: "set caFile in a repositories.yaml entry for " + repo.srv.URL},
		"insecure_skip_tls":       {url: repo.srv.URL, entry: "insecure_skip_tls_verify: true"},
		"not a CA":                {url: repo.srv.URL, entry: "caFile: junk.crt", err: "junk.crt holds no PEM certificate"},
		"client certificate":      {url: mtls.srv.URL, entry: "{caFile: ca.crt, certFile: tls.crt, keyFile: tls.key}"},
		"no client certificate":   {url: mtls.srv.URL, entry: "caFile: ca.crt", err: "dependency redis: get " + mtls.srv.URL + "/index.yaml: remote error: tls: certificate required (the repository asks for a client certificate: set certFile and keyFile"},
		"key that does not match": {url: mtls.srv.URL, entry: "{caFile: ca.crt, certFile: tls.crt, keyFile: ca.crt}", err: "not a certificate and its key"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			creds := conf(t, fmt.Sprintf("repositories:\n- {name: tls, url: %s, username: %s, password: %s, %s}\n", tc.url, repoUser, repoPass, strings.Trim(tc.entry, "{}")))
			got, err := fetchOne(t, tc.url, FetchOptions{Repositories: creds})
			if tc.err == "" {
				must(t, err)
				if len(got) != 1 {
					t.Fatalf("downloaded %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// testPKI makes a CA, a server certificate for 127.0.0.1 and localhost
// signed by it, and a client certificate and key signed by it.
func testPKI(t *testing.T) (caPEM []byte, server tls.Certificate, clientCAs *x509.CertPool, clientCert, clientKey []byte) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(t, err)
		return k
	}
	caKey := key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(t, err)
	ca, err = x509.ParseCertificate(caDER)
	must(t, err)
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	issue := func(serial int64, tmpl *x509.Certificate) ([]byte, []byte) {
		k := key()
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(serial), time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		must(t, err)
		kd, err := x509.MarshalECPrivateKey(k)
		must(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	}
	sc, sk := issue(2, &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	server, err = tls.X509KeyPair(sc, sk)
	must(t, err)
	clientCert, clientKey = issue(3, &x509.Certificate{Subject: pkix.Name{CommonName: "syncwave"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	clientCAs = x509.NewCertPool()
	clientCAs.AddCert(ca)
	return caPEM, server, clientCAs, clientCert, clientKey
}

func TestRepoCredentialMatches(t *testing.T) {
	env := func(u string) *RepoCredential {
		c, err := EnvRepoCredential(func(k string) string {
			return map[string]string{EnvRepoURL: u, EnvRepoUsername: "u", EnvRepoPassword: "p"}[k]
		})
		must(t, err)
		return c
	}
	file := &RepoCredential{URL: "https://charts.example.com/team/"}
	for _, tc := range []struct {
		c    *RepoCredential
		repo string
		want bool
	}{
		{file, "https://charts.example.com/team", true},
		{file, "https://charts.example.com/team/", true},
		{file, "https://charts.example.com/team/sub", false},
		{file, "http://charts.example.com/team", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/sub/", true},
		{env("https://charts.example.com/team"), "https://charts.example.com/team", true},
		{env("https://charts.example.com/team"), "https://charts.example.com/team-evil", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/", false},
		{env("https://charts.example.com"), "https://charts.example.com.evil.test/x", false},
		{env("https://charts.example.com"), "https://charts.example.com:8443/x", false},
		{env("https://charts.example.com"), "https://CHARTS.example.com/x", true},
		{env("https://charts.example.com"), "http://charts.example.com/x", false},
		// paths a server may read differently from how they compare here
		{env("https://charts.example.com/team"), "https://charts.example.com/team/..;/team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/;/../team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/../team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/%2e%2e/team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/%2E%2E/team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/%2e%2e%2fteam-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team%2f..%2fteam-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/.%2e/team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/./sub", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team//sub", false},
		{env("https://charts.example.com/team"), "https://charts.example.com//team/sub", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/..\\team-b", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team;x=1/sub", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/team/sub%20dir", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/TEAM/sub", false},
		{env("https://charts.example.com/team"), "https://charts.example.com/Team", false},
		{env("https://charts.example.com/team"), "https://Charts.Example.COM/team/sub", true},
		{env("https://charts.example.com/team/"), "https://charts.example.com/team/sub", true},
		{file, "https://charts.example.com/team/../team", false},
		{file, "https://charts.example.com/TEAM/", false},
		{file, "https://charts.example.com/team//", true},
	} {
		if got := tc.c.matches(tc.repo); got != tc.want {
			t.Errorf("%s matches %s: %v, want %v", tc.c.URL, tc.repo, got, tc.want)
		}
	}
}

func TestEnvRepoCredential(t *testing.T) {
	for _, tc := range []struct {
		env map[string]string
		err string
	}{
		{map[string]string{}, ""},
		{map[string]string{EnvRepoUsername: "u", EnvRepoPassword: repoPass}, "SYNCWAVE_REPO_URL is not"},
		{map[string]string{EnvRepoURL: "https://h"}, "neither"},
		{map[string]string{EnvRepoURL: "ftp://h", EnvRepoPassword: repoPass}, "expected an http or https URL"},
		{map[string]string{EnvRepoURL: "https://u:" + repoPass + "@h", EnvRepoPassword: repoPass}, "user information in the URL"},
		{map[string]string{EnvRepoURL: "oci://registry.test:5000", EnvRepoPassword: repoPass}, ""},
	} {
		c, err := EnvRepoCredential(func(k string) string { return tc.env[k] })
		if tc.err == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.env, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), repoPass) {
			t.Errorf("%v: %v, %v, want an error with %q and no password", tc.env, c, err, tc.err)
		}
	}
	c, _ := EnvRepoCredential(func(k string) string {
		return map[string]string{EnvRepoURL: "https://h", EnvRepoPassword: repoPass}[k]
	})
	if s := fmt.Sprintf("%v %+v %#v %s", c, c, c, c); strings.Contains(s, repoPass) {
		t.Errorf("formatting prints the password: %s", s)
	}
}

func TestLoadRepositoryConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"repositories:\n- {name: a, url: 'ftp://h', password: " + repoPass + "}\n": `entry "a": url: ftp://h: expected an http or https URL`,
		"repositories:\n- {url: 'https://h', certFile: c.crt}\n":                   "entry 1: certFile and keyFile go together",
		"repositories: {a: b}\n": "repository config",
		"repositories:\n- {name: a, url: 'https://u:" + repoPass + "@h'}\n":                        "user information in the URL",
		"repositories:\n- {name: a, url: 'https://h', password: [" + repoPass + "]}\n":             "repository config",
		"repositories:\n- {name: a, url: 'https://h', password: " + repoPass + "}\n  bad: [indent": "repository config",
	} {
		f := filepath.Join(dir, "repositories.yaml")
		must(t, os.WriteFile(f, []byte(body), 0o600))
		_, err := LoadRepositoryConfig(f)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), f) || strings.Contains(err.Error(), repoPass) {
			t.Errorf("%q: %v, want an error naming %s with %q and no password", body, err, f, want)
		}
	}
	if _, err := LoadRepositoryConfig(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml: no such file") {
		t.Errorf("missing file: %v", err)
	}
	creds := writeRepositoryConfig(t, "repositories:\n- {url: 'https://h', caFile: ca.crt, certFile: /abs/c.crt, keyFile: k.key}\n")
	if !filepath.IsAbs(creds[0].CAFile) || creds[0].CertFile != "/abs/c.crt" || filepath.Base(creds[0].KeyFile) != "k.key" || !filepath.IsAbs(creds[0].KeyFile) {
		t.Errorf("paths not resolved against the file's directory: %+v", *creds[0])
	}
}

// FuzzRepositoryConfig: no panic; an accepted entry has an http(s) URL with
// a host, and its description never holds its password.
func FuzzRepositoryConfig(f *testing.F) {
	f.Add([]byte("repositories:\n- {name: a, url: 'https://h/x', username: u, password: p, pass_credentials_all: true}\n"))
	f.Add([]byte("apiVersion: \"\"\nrepositories:\n- name: b\n  url: http://127.0.0.1:8080\n  caFile: ca.crt\n"))
	f.Add([]byte("repositories: [null, {url: 'https://h'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		creds, err := parseRepositoryConfig(data, "/etc/r/repositories.yaml")
		if err != nil {
			return
		}
		for _, c := range creds {
			if _, err := repoURL(c.URL); err != nil {
				t.Fatalf("accepted %q: %v", c.URL, err)
			}
			if len(c.Password) > 3 && !strings.Contains(c.Name, c.Password) && strings.Contains(c.String(), c.Password) {
				t.Fatalf("description %q holds the password", c.String())
			}
			c.matches("https://h/x")
		}
	})
}

// FuzzEnvRepoCredential: no panic; accepted credentials have a URL, and
// matching never panics.
func FuzzEnvRepoCredential(f *testing.F) {
	f.Add("https://charts.example.com/team", "u", "p", "https://charts.example.com/team/x")
	f.Add("oci://registry:5000", "", "tok", "oci://registry:5000/charts")
	f.Add("", "u", "", "http://h")
	f.Fuzz(func(t *testing.T, u, user, pass, repo string) {
		env := map[string]string{EnvRepoURL: u, EnvRepoUsername: user, EnvRepoPassword: pass}
		c, err := EnvRepoCredential(func(k string) string { return env[k] })
		if err != nil {
			if pass != "" && len(pass) > 4 && !strings.Contains(u, pass) && !strings.Contains(user, pass) && strings.Contains(err.Error(), pass) {
				t.Fatalf("error %q shows the password", err)
			}
			return
		}
		if c == nil {
			if u != "" || user != "" || pass != "" {
				t.Fatal("no credential and no error")
			}
			return
		}
		if c.URL == "" || !c.hasAuth() {
			t.Fatalf("accepted %+v", c)
		}
		if c.matches(repo) && !strings.HasPrefix(strings.ToLower(repo), strings.ToLower(strings.SplitN(c.URL, "://", 2)[0])) {
			t.Fatalf("%s matches %s of another scheme", c.URL, repo)
		}
	})
}

// TestEnvCredentialScopeCoversArchives: the environment's credentials go
// with a chart archive only when its URL lies under their scope too, not
// to any path of the same host.
func TestEnvCredentialScopeCoversArchives(t *testing.T) {
	c, err := EnvRepoCredential(func(k string) string {
		return map[string]string{EnvRepoURL: "https://charts.example.com/team", EnvRepoUsername: "u", EnvRepoPassword: "p"}[k]
	})
	must(t, err)
	a := &repoAccess{repo: "https://charts.example.com/team", cred: c}
	for u, want := range map[string]bool{
		"https://charts.example.com/team/index.yaml":            true,
		"https://charts.example.com/team/redis-1.0.0.tgz":       true,
		"https://charts.example.com/team-b/redis-1.0.0.tgz":     false,
		"https://charts.example.com/team/..;/team-b/redis.tgz":  false,
		"https://charts.example.com/team/%2e%2e/team-b/r.tgz":   false,
		"https://charts.example.com/other/redis-1.0.0.tgz":      false,
		"https://cdn.example.com/team/redis-1.0.0.tgz":          false,
		"https://charts.example.com/team/sub/redis-1.0.0.tgz":   true,
		"https://charts.example.com/team/redis.tgz?sig=abc&x=y": true,
	} {
		if _, _, got := a.basicAuth(u); got != want {
			t.Errorf("credentials sent with %s: %v, want %v", u, got, want)
		}
	}
}
