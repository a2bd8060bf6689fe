package argocdapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/syncwave/syncwave/manifest"
)

// Server is an Argo CD API server and how to reach it.
type Server struct {
	// Addr is host[:port], optionally with a root path (host/argocd) as
	// argocd --server takes it; an https:// or http:// prefix is accepted.
	Addr string
	// Token is the bearer token (ARGOCD_AUTH_TOKEN). Empty: no
	// Authorization header (the server then answers 401 unless anonymous
	// access is on).
	Token string
	// Insecure skips the TLS certificate check (argocd --insecure).
	Insecure bool
	// PlainText talks HTTP without TLS (argocd --plaintext).
	PlainText bool
	// Client is the HTTP client; nil builds one from Insecure with Timeout.
	Client *http.Client
	// Timeout bounds one request when Client is nil (0: 60 s).
	Timeout time.Duration
}

// Manifests is the answer of the manifests endpoint: the target manifests
// Argo CD renders for the Application, decoded, with their text.
type Manifests struct {
	// Resources are the manifests in Argo CD's order; Source of each is
	// "<app> manifests[i]".
	Resources []*manifest.Resource
	// Texts are the JSON documents, parallel to Resources.
	Texts [][]byte
	// Namespace is the Application's destination namespace, Revision the
	// resolved revision, SourceType Argo CD's name of the source kind.
	Namespace, Server, Revision, SourceType string
}

// manifestResponse is repository.ManifestResponse as the gateway writes it.
type manifestResponse struct {
	Manifests  []string `json:"manifests"`
	Namespace  string   `json:"namespace"`
	Server     string   `json:"server"`
	Revision   string   `json:"revision"`
	SourceType string   `json:"sourceType"`
}

// apiError is the gateway's error body.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// ParseApp splits an application argument as the argocd CLI does:
// "namespace/name" names an Application in another namespace.
func ParseApp(arg string) (name, namespace string, err error) {
	if arg == "" {
		return "", "", errors.New("empty application name")
	}
	ns, n, ok := strings.Cut(arg, "/")
	if !ok {
		return arg, "", nil
	}
	if ns == "" || n == "" || strings.Contains(n, "/") {
		return "", "", fmt.Errorf("application %q: expected NAME or NAMESPACE/NAME", arg)
	}
	return n, ns, nil
}

// base is the URL of the server's root.
func (s Server) base() (*url.URL, error) {
	addr := strings.TrimSpace(s.Addr)
	if addr == "" {
		return nil, errors.New("no Argo CD server: set ARGOCD_SERVER (host[:port], as for the argocd CLI) or --server")
	}
	scheme := "https"
	if s.PlainText {
		scheme = "http"
	}
	switch {
	case strings.HasPrefix(addr, "https://"):
		if s.PlainText {
			return nil, fmt.Errorf("server %q is https, but --plaintext asks for http", addr)
		}
		addr = strings.TrimPrefix(addr, "https://")
	case strings.HasPrefix(addr, "http://"):
		scheme = "http"
		addr = strings.TrimPrefix(addr, "http://")
	case strings.Contains(addr, "://"):
		return nil, fmt.Errorf("server %q: expected host[:port] (or an https:// or http:// address)", addr)
	}
	host, root, _ := strings.Cut(addr, "/")
	if host == "" {
		return nil, fmt.Errorf("server %q: no host", s.Addr)
	}
	u := &url.URL{Scheme: scheme, Host: host, Path: "/" + strings.Trim(root, "/")}
	if _, err := url.Parse(u.String()); err != nil {
		return nil, fmt.Errorf("server %q: %w", s.Addr, err)
	}
	return u, nil
}

func (s Server) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	// A transport and resolver of its own, with net/http's defaults: never
	// http.DefaultTransport or net.DefaultResolver, process globals that a
	// rendering's containment replaces (sandbox.DenyNetwork) for as long as
	// it runs; a command reading them during another's rendering (tests run
	// commands in one process) found a refusing transport and panicked.
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: &net.Resolver{}}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if s.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure, as the argocd CLI
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{Transport: t, Timeout: timeout}
}

// maxAnswer bounds the answer read (Argo CD's own gRPC limit is 200 MiB).
const maxAnswer = 256 << 20

// Manifests reads the target manifests of the Application name (in
// appNamespace, "" for Argo CD's own namespace) at revision ("" for its
// target revision).
func (s Server) Manifests(ctx context.Context, name, appNamespace, revision string) (*Manifests, error) {
	u, err := s.base()
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/applications/" + url.PathEscape(name) + "/manifests"
	q := url.Values{}
	if appNamespace != "" {
		q.Set("appNamespace", appNamespace)
	}
	if revision != "" {
		q.Set("revision", revision)
	}
	u.RawQuery = q.Encode()
	app := name
	if appNamespace != "" {
		app = appNamespace + "/" + name
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("application %s: %s", app, s.describe(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("application %s: read the answer of %s: %w", app, u.Host, err)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("application %s: the answer of %s is larger than %d MiB", app, u.Host, maxAnswer>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, s.statusError(app, u, resp.StatusCode, body)
	}
	var mr manifestResponse
	if err := json.Unmarshal(body, &mr); err != nil {
		return nil, fmt.Errorf("application %s: the answer of %s is not a manifest response: %w", app, u.Host, err)
	}
	out := &Manifests{Namespace: mr.Namespace, Server: mr.Server, Revision: mr.Revision, SourceType: mr.SourceType}
	for i, m := range mr.Manifests {
		src := fmt.Sprintf("%s manifests[%d]", app, i)
		rs, err := manifest.Decode(src, []byte(m), manifest.Options{Format: manifest.OneJSON})
		if err != nil {
			return nil, fmt.Errorf("application %s: %w", app, err)
		}
		for _, r := range rs {
			out.Resources = append(out.Resources, r)
			out.Texts = append(out.Texts, []byte(m))
		}
	}
	return out, nil
}

// describe is a transport error with a hint; it never holds the token (the
// request's URL has none).
func (s Server) describe(err error) string {
	msg := err.Error()
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ce) || strings.Contains(msg, "x509:"):
		return msg + " (a self-signed or private certificate: --insecure skips the check, as for the argocd CLI)"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return msg + " (the server speaks plain HTTP: --plaintext)"
	}
	return msg
}

func (s Server) statusError(app string, u *url.URL, code int, body []byte) error {
	var e apiError
	_ = json.Unmarshal(body, &e)
	msg := e.Message
	if msg == "" {
		msg = e.Error
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 512 {
			msg = msg[:512] + "…"
		}
		msg = strings.ToValidUTF8(msg, "")
	}
	where := u.Scheme + "://" + u.Host
	switch code {
	case http.StatusUnauthorized:
		if s.Token == "" {
			return fmt.Errorf("application %s: Argo CD at %s wants a token (401): set ARGOCD_AUTH_TOKEN (argocd account generate-token)", app, where)
		}
		return fmt.Errorf("application %s: Argo CD at %s refused the token of ARGOCD_AUTH_TOKEN (401: %s)", app, where, msg)
	case http.StatusForbidden:
		return fmt.Errorf("application %s: Argo CD at %s denies it (403: %s): the token's account needs the get permission on applications, and Argo CD answers so for an application that does not exist too", app, where, msg)
	case http.StatusNotFound:
		return fmt.Errorf("application %s: not found at %s (404: %s)", app, where, msg)
	}
	return fmt.Errorf("application %s: Argo CD at %s answered %d: %s", app, where, code, msg)
}
