package render

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// Sidecar variables for the credentials of https chart repositories.
const (
	// EnvRepositoryConfig names a file in Helm's repositories.yaml format
	// (`helm repo add` writes it); without it HELM_REPOSITORY_CONFIG is
	// used when set.
	EnvRepositoryConfig = "SYNCWAVE_REPOSITORY_CONFIG"
	// EnvRepoURL, EnvRepoUsername and EnvRepoPassword are one set of basic
	// auth credentials, sent only to repositories whose URL lies under
	// EnvRepoURL (same scheme and host, a path at or below its path).
	EnvRepoURL      = "SYNCWAVE_REPO_URL"
	EnvRepoUsername = "SYNCWAVE_REPO_USERNAME"
	EnvRepoPassword = "SYNCWAVE_REPO_PASSWORD"
)

const maxRepositoryConfigSize = 1 << 20

// RepoCredential is the access to one chart repository: an entry of
// repositories.yaml, or the environment's credentials.
type RepoCredential struct {
	Name                  string `json:"name"`
	URL                   string `json:"url"`
	Username              string `json:"username"`
	Password              string `json:"password"`
	CertFile              string `json:"certFile"`
	KeyFile               string `json:"keyFile"`
	CAFile                string `json:"caFile"`
	InsecureSkipTLSVerify bool   `json:"insecure_skip_tls_verify"`
	PassCredentialsAll    bool   `json:"pass_credentials_all"`

	// source says where the entry comes from, for messages.
	source string
	// prefix: the entry covers every repository under URL (the
	// environment's form), not URL alone (repositories.yaml's).
	prefix bool
}

// String never shows the password.
func (c *RepoCredential) String() string { return c.source }

// GoString never shows the password either (%#v).
func (c *RepoCredential) GoString() string { return "RepoCredential(" + c.source + ")" }

func (c *RepoCredential) hasAuth() bool { return c.Username != "" || c.Password != "" }

// LoadRepositoryConfig reads a repositories.yaml file (Helm's format:
// `repositories:` entries with name, url, username, password, certFile,
// keyFile, caFile, insecure_skip_tls_verify, pass_credentials_all).
// Relative certFile, keyFile and caFile paths are taken from the file's
// directory. Messages name the file and the entry, never a secret.
func LoadRepositoryConfig(file string) ([]*RepoCredential, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("repository config %s: %w", file, unwrapPathErr(err))
	}
	if fi.Size() > maxRepositoryConfigSize {
		return nil, fmt.Errorf("repository config %s: larger than %d bytes", file, maxRepositoryConfigSize)
	}
	// readRegular opens without blocking and refuses a FIFO or device.
	data, err := readRegular(file)
	if err != nil {
		return nil, fmt.Errorf("repository config %s: %w", file, unwrapPathErr(err))
	}
	return parseRepositoryConfig(data, file)
}

func parseRepositoryConfig(data []byte, file string) ([]*RepoCredential, error) {
	var doc struct {
		Repositories []*RepoCredential `json:"repositories"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// The parser's message quotes the text, which may be a password.
		return nil, fmt.Errorf("repository config %s: %s", file, secretFileYAMLMessage(err, data))
	}
	dir := filepath.Dir(file)
	var out []*RepoCredential
	for i, e := range doc.Repositories {
		if e == nil {
			continue
		}
		e.source = fmt.Sprintf("entry %d", i+1)
		if e.Name != "" {
			e.source = fmt.Sprintf("entry %q", e.Name)
		}
		e.source += " of " + file
		if _, err := repoURL(e.URL); err != nil {
			return nil, fmt.Errorf("repository config %s: %s: url: %v", file, strings.TrimSuffix(e.source, " of "+file), err)
		}
		if (e.CertFile == "") != (e.KeyFile == "") {
			return nil, fmt.Errorf("repository config %s: %s: certFile and keyFile go together", file, strings.TrimSuffix(e.source, " of "+file))
		}
		for _, p := range []*string{&e.CertFile, &e.KeyFile, &e.CAFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// EnvRepoCredential reads the environment's credentials (EnvRepoURL,
// EnvRepoUsername, EnvRepoPassword through getenv): nil when none is set.
// A user name or password without the URL they are for is an error, so
// that credentials never go to a host nobody named.
func EnvRepoCredential(getenv func(string) string) (*RepoCredential, error) {
	u, user, pass := getenv(EnvRepoURL), getenv(EnvRepoUsername), getenv(EnvRepoPassword)
	if u == "" && user == "" && pass == "" {
		return nil, nil
	}
	if u == "" {
		return nil, fmt.Errorf("%s or %s is set but %s is not: say which repositories the credentials are for", EnvRepoUsername, EnvRepoPassword, EnvRepoURL)
	}
	if user == "" && pass == "" {
		return nil, fmt.Errorf("%s is set but neither %s nor %s", EnvRepoURL, EnvRepoUsername, EnvRepoPassword)
	}
	p, err := url.Parse(u)
	if err == nil && p.Scheme == "oci" {
		if p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" {
			return nil, fmt.Errorf("%s: expected oci://host[:port][/path], https://host[:port][/path] or http://…", EnvRepoURL)
		}
	} else if p, err := url.Parse(u); err != nil || p.Host == "" || p.Scheme == "" {
		// Not a URL at all: perhaps a secret put in the wrong variable
		// (swapped with the password); never echo it.
		return nil, fmt.Errorf("%s: expected oci://host[:port][/path], https://host[:port][/path] or http://… (the value is not shown: it does not look like a URL and may be a secret)", EnvRepoURL)
	} else if _, err := repoURL(u); err != nil {
		return nil, fmt.Errorf("%s: %v", EnvRepoURL, err)
	}
	return &RepoCredential{URL: u, Username: user, Password: pass, source: EnvRepoUsername + "/" + EnvRepoPassword + " (for " + EnvRepoURL + ")", prefix: true}, nil
}

var (
	aliasValue = regexp.MustCompile(`(^|[:\[{,-])\s*\*[^\s*]`)
)

// secretFileYAMLMessage is a YAML error of a file that holds credentials,
// without the text the parser quotes: the line, and what kind of fault.
func secretFileYAMLMessage(err error, data []byte) string {
	msg := "invalid YAML"
	if at := yamlLine(err); at != "" {
		msg += at
	} else if strings.Contains(err.Error(), "unknown anchor") {
		// the parser does not say where: the first value written as an alias
		for i, l := range strings.Split(string(data), "\n") {
			if aliasValue.MatchString(l) {
				msg += fmt.Sprintf(" at line %d", i+1)
				break
			}
		}
	}
	switch e := err.Error(); {
	case strings.Contains(e, "unknown anchor"):
		msg += " (an alias: a value starting with * must be quoted)"
	case strings.Contains(e, "cannot unmarshal"), strings.Contains(e, "json: "):
		msg += " (a field of the wrong type)"
	}
	return msg + "; the text is not shown, as the file holds credentials"
}

// repoURL checks a repository URL: http or https, a host, no user
// information, query or fragment.
func repoURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: expected an http or https URL", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: no host", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: user information in the URL; use username and password", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: a query or fragment in the URL", u.Redacted())
	}
	return u, nil
}

// matches reports whether the credential is for the repository at repo: the
// same URL (trailing slashes aside, as Helm compares them), or for the
// environment's form any URL with the same scheme and host whose path is
// at or below the credential's path. The host compares without regard to
// case, the path exactly; a path that a server could read differently
// from how it reads here (dot segments, "..;", percent-encoding, empty
// segments, backslashes, semicolons) matches nothing, so credentials are
// never sent to it.
func (c *RepoCredential) matches(repo string) bool {
	a, err1 := url.Parse(c.URL)
	b, err2 := url.Parse(repo)
	if err1 != nil || err2 != nil || !strings.EqualFold(a.Scheme, b.Scheme) || !strings.EqualFold(a.Host, b.Host) {
		return false
	}
	pa, ok1 := canonicalPath(a)
	pb, ok2 := canonicalPath(b)
	if !ok1 || !ok2 {
		return false
	}
	if !c.prefix {
		return pa == pb
	}
	return pa == "/" || pa == pb || strings.HasPrefix(pb, pa+"/")
}

// canonicalPath returns the path of u without its trailing slashes, and
// whether it is canonical: every segment a plain name, written as it is
// read (no percent-encoding), none of ".", "..", "" (a double slash), and
// no ";" or "\" anywhere (Tomcat- and Jetty-based servers read
// "/team/..;/other" as "/other").
func canonicalPath(u *url.URL) (string, bool) {
	raw := u.EscapedPath()
	if raw != u.Path || strings.ContainsAny(raw, "%;\\") {
		return "", false
	}
	p := strings.TrimRight(raw, "/")
	if p == "" {
		return "/", true
	}
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}

// findRepoCredential returns the credential for repo: a repositories.yaml
// entry for that URL first, then the environment's.
func findRepoCredential(creds []*RepoCredential, repo string) *RepoCredential {
	for _, c := range creds {
		if !c.prefix && c.matches(repo) {
			return c
		}
	}
	for _, c := range creds {
		if c.prefix && c.matches(repo) {
			return c
		}
	}
	return nil
}

// sameOrigin reports whether two URLs have the same scheme and host (port
// included): the rule for sending a repository's credentials with a chart
// download, as Helm's getter applies it unless pass_credentials_all.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// repoAccess is how one repository is reached: its credential (or none)
// and the HTTP client (with the credential's TLS settings).
type repoAccess struct {
	repo   string
	cred   *RepoCredential
	client *http.Client
}

// basicAuth returns the user name and password to send with a request for
// u, and whether to send them.
func (a *repoAccess) basicAuth(u string) (string, string, bool) {
	if a.cred == nil || !a.cred.hasAuth() {
		return "", "", false
	}
	if a.cred.prefix {
		// The environment's credentials go only to URLs under their
		// scope, a chart archive's too.
		if a.cred.matches(u) {
			return a.cred.Username, a.cred.Password, true
		}
		return "", "", false
	}
	if a.cred.PassCredentialsAll || sameOrigin(a.repo, u) {
		return a.cred.Username, a.cred.Password, true
	}
	return "", "", false
}

// clientFor returns base, or a copy with c's TLS settings.
func clientFor(base *http.Client, c *RepoCredential) (*http.Client, error) {
	cl := *base
	// Authorization never follows a redirect to another host (Go keeps it
	// for subdomains; a repository's credentials are for its host alone).
	prev := base.CheckRedirect
	cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			req.Header.Del("Authorization")
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	if c == nil || (c.CAFile == "" && c.CertFile == "" && !c.InsecureSkipTLSVerify) {
		return &cl, nil
	}
	var errs []error
	rt, err := withTLS(base.Transport, func(cfg *tls.Config) {
		if c.CAFile != "" {
			pem, err := readSmallFile(c.CAFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: caFile: %w", c.source, err))
				return
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("%s: caFile %s holds no PEM certificate", c.source, c.CAFile))
				return
			}
			cfg.RootCAs = pool
		}
		if c.CertFile != "" {
			certPEM, err := readSmallFile(c.CertFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: certFile: %w", c.source, err))
				return
			}
			keyPEM, err := readSmallFile(c.KeyFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: keyFile: %w", c.source, err))
				return
			}
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				// crypto/tls's messages name what is wrong, not the key.
				errs = append(errs, fmt.Errorf("%s: certFile %s and keyFile %s: not a certificate and its key", c.source, c.CertFile, c.KeyFile))
				return
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		cfg.InsecureSkipVerify = c.InsecureSkipTLSVerify
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.source, err)
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	cl.Transport = rt
	return &cl, nil
}

// TLSConfigurer is a transport that can make a copy of itself with other
// TLS settings (egress's client).
type TLSConfigurer interface {
	WithTLS(set func(*tls.Config)) http.RoundTripper
}

// withTLS returns a copy of rt whose TLS settings set changes.
func withTLS(rt http.RoundTripper, set func(*tls.Config)) (http.RoundTripper, error) {
	switch t := rt.(type) {
	case nil:
		d, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, errors.New("TLS settings need the standard HTTP transport")
		}
		return withTLS(d, set)
	case *http.Transport:
		tr := t.Clone()
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
		}
		set(cfg)
		tr.TLSClientConfig = cfg
		return tr, nil
	case TLSConfigurer:
		return t.WithTLS(set), nil
	}
	return nil, errors.New("TLS settings need the standard HTTP transport")
}
func readSmallFile(name string) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPathErr(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if st.Size() > maxRepositoryConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxRepositoryConfigSize)
	}
	data, err := readRegular(name) // checked again on the open file, without blocking
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPathErr(err))
	}
	return data, nil
}

// httpStatusError is a response other than 200.
type httpStatusError struct {
	url  string // redacted
	code int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("get %s: %d %s", e.url, e.code, http.StatusText(e.code))
}

// explainRepoError adds to an error of a request for u (the index or a
// chart of the repository behind a) what the user can do about it.
func (a *repoAccess) explainRepoError(u string, err error) error {
	repo := redact(a.repo)
	var se *httpStatusError
	if errors.As(err, &se) && (se.code == http.StatusUnauthorized || se.code == http.StatusForbidden) {
		switch {
		case a.cred != nil && a.cred.hasAuth() && !a.cred.PassCredentialsAll && !sameOrigin(a.repo, u):
			h, _ := url.Parse(u)
			return fmt.Errorf("%w: the chart is served from another host (%s), to which the credentials of %s are not sent (set pass_credentials_all: true in a repositories.yaml entry for %s if that host is to receive them)", err, h.Host, a.cred.source, repo)
		case a.cred != nil && a.cred.hasAuth():
			return fmt.Errorf("%w: repository %s refused the credentials of %s", err, repo, a.cred.source)
		default:
			return fmt.Errorf("%w: repository %s requires credentials and none are configured for it (set %s to a repositories.yaml file with an entry for %s, or set %s, %s and %s in the sidecar's environment)", err, repo, EnvRepositoryConfig, repo, EnvRepoURL, EnvRepoUsername, EnvRepoPassword)
		}
	}
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &cv) {
		return fmt.Errorf("%w (for a private certificate authority, set caFile in a repositories.yaml entry for %s, named by %s)", err, repo, EnvRepositoryConfig)
	}
	if strings.Contains(err.Error(), "tls: certificate required") {
		return fmt.Errorf("%w (the repository asks for a client certificate: set certFile and keyFile in a repositories.yaml entry for %s, named by %s)", err, repo, EnvRepositoryConfig)
	}
	return err
}
