// Package egress is where a download may connect: the HTTP client of the
// dependency download, with a connect policy checked on the address each
// connection is made to (after name resolution, so a name that resolves
// to an internal address is refused however it was chosen) and timeouts
// on every step of a request. It holds no credentials and reads no
// environment: the CLI builds a Policy from the sidecar's variables.
package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sidecar variables of the connect policy.
const (
	// EnvAllowHosts lists hosts (host or host:port, comma- or
	// space-separated) the sidecar may reach whatever address they resolve
	// to, by https or plain http: an in-cluster ChartMuseum, a registry on
	// a private network.
	EnvAllowHosts = "SYNCWAVE_ALLOW_HOSTS"
	// EnvAllowNetworks lists networks (CIDR: 10.20.0.0/16, fd00::/8, or a
	// single address) whose addresses the sidecar may connect to by https.
	EnvAllowNetworks = "SYNCWAVE_ALLOW_NETWORKS"
)

// Timeouts of the steps of one request; the command's deadline bounds the
// whole download on top of them.
const (
	DialTimeout           = 10 * time.Second
	TLSHandshakeTimeout   = 10 * time.Second
	ResponseHeaderTimeout = 30 * time.Second
)

// ErrRefused is what a connection the policy does not allow fails with.
var ErrRefused = errors.New("refused by the sidecar's connect policy")

// Policy says where a download may connect. The zero Policy allows every
// address and plain http (syncwave init on a workstation).
type Policy struct {
	// Restricted refuses loopback, link-local, private, shared (CGNAT),
	// unspecified, multicast and reserved addresses, and plain http,
	// unless Hosts or Networks allow them.
	Restricted bool
	// Hosts may be reached at any address, by http or https.
	Hosts []HostPort
	// Networks may be connected to (by https).
	Networks []netip.Prefix
}

// HostPort is one entry of EnvAllowHosts: a lower-case host name or
// address, and a port ("" for any).
type HostPort struct{ Host, Port string }

func (h HostPort) String() string {
	if h.Port == "" {
		return h.Host
	}
	return net.JoinHostPort(h.Host, h.Port)
}

// ParsePolicy reads the allow-lists (EnvAllowHosts, EnvAllowNetworks) of a
// restricted policy. Errors name the variable and the entry.
func ParsePolicy(hosts, networks string) (Policy, error) {
	p := Policy{Restricted: true}
	var errs []error
	for _, e := range fields(hosts) {
		h, err := parseHostPort(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %v", EnvAllowHosts, e, err))
			continue
		}
		p.Hosts = append(p.Hosts, h)
	}
	for _, e := range fields(networks) {
		pr, err := netip.ParsePrefix(e)
		if err != nil {
			a, err2 := netip.ParseAddr(e)
			if err2 != nil {
				errs = append(errs, fmt.Errorf("%s: %q: expected a CIDR such as 10.20.0.0/16 or fd00::/8, or an address", EnvAllowNetworks, e))
				continue
			}
			pr = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if pr.Addr().Is4In6() {
			pr = netip.PrefixFrom(pr.Addr().Unmap(), pr.Bits()-96)
		}
		p.Networks = append(p.Networks, pr.Masked())
	}
	return p, errors.Join(errs...)
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func parseHostPort(e string) (HostPort, error) {
	if strings.Contains(e, "://") || strings.ContainsAny(e, "/?#@") {
		return HostPort{}, errors.New("expected host or host:port, without a scheme or path")
	}
	host, port := e, ""
	if h, p, err := net.SplitHostPort(e); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return HostPort{}, errors.New("the port must be a number from 1 to 65535")
		}
	} else if strings.Count(e, ":") == 1 {
		return HostPort{}, err
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return HostPort{}, errors.New("no host")
	}
	return HostPort{Host: host, Port: port}, nil
}

// AllowsHost reports whether the host (and port) of a URL is on the hosts
// list.
func (p Policy) AllowsHost(host, port string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	for _, h := range p.Hosts {
		if h.Host == host && (h.Port == "" || h.Port == port) {
			return true
		}
	}
	return false
}

// blocked are the special-purpose ranges a restricted policy refuses on top
// of what netip classifies (loopback, private, link-local, multicast,
// unspecified): the shared address space of carrier-grade NAT (also used
// for cluster networks), IETF protocol assignments, benchmarking, the
// reserved and broadcast block, and the IPv6 prefixes that embed an IPv4
// address chosen by whoever picks the name (NAT64, 6to4, Teredo).
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("100::/64"),
}

// Public reports whether a is an ordinary internet address: none of
// loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
// (169.254/16, fe80::/10), multicast, unspecified or a blocked range.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// AllowsAddr reports whether a connection to a may be made.
func (p Policy) AllowsAddr(a netip.Addr) bool {
	if !p.Restricted {
		return true
	}
	a = a.Unmap()
	for _, n := range p.Networks {
		if n.Contains(a) {
			return true
		}
	}
	return Public(a)
}

// Client returns the HTTP client of a download under policy p: its own
// resolver and dialer (not the process defaults, which the sandbox
// refuses), the policy checked on every connection's address, proxies from
// the environment, and a timeout on each step of a request.
func Client(p Policy) *http.Client {
	return &http.Client{Transport: &policyTransport{policy: p, next: transport(p)}}
}

func transport(p Policy) *http.Transport {
	resolver := &net.Resolver{}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			d := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second, Resolver: resolver}
			if p.Restricted && !p.AllowsHost(host, port) {
				d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
					ap, err := netip.ParseAddrPort(address)
					if err != nil {
						return fmt.Errorf("connect to %s: %w", host, ErrRefused)
					}
					if !p.AllowsAddr(ap.Addr()) {
						return &RefusedError{Host: host, Addr: ap.Addr().Unmap()}
					}
					return nil
				}
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       30 * time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConns:          16,
		ForceAttemptHTTP2:     true,
	}
}

// RefusedError is a connection to an address the policy does not allow.
type RefusedError struct {
	Host string
	Addr netip.Addr
}

func (e *RefusedError) Error() string {
	what := "a non-public address"
	switch a := e.Addr; {
	case a.IsLoopback():
		what = "a loopback address"
	case a.IsLinkLocalUnicast():
		what = "a link-local address"
	case a.IsPrivate():
		what = "a private address"
	}
	host := e.Host
	if host != e.Addr.String() {
		host += " (" + e.Addr.String() + ")"
	}
	return fmt.Sprintf("connect to %s: %s, %v; an operator allows it with %s or %s in the sidecar's environment", host, what, ErrRefused, EnvAllowHosts, EnvAllowNetworks)
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// policyTransport refuses plain http to a host that is not on the list;
// through a proxy, it checks the addresses the target resolves to here
// (the proxy connects, so the dialer sees only the proxy's address).
type policyTransport struct {
	policy Policy
	next   *http.Transport
}

func (t *policyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p := t.policy
	if p.Restricted && !p.AllowsHost(r.URL.Hostname(), portOf(r.URL.Scheme, r.URL.Port())) {
		if r.URL.Scheme != "https" {
			closeBody(r)
			return nil, fmt.Errorf("plain %s to %s is %v (https only, unless the host is in %s)", r.URL.Scheme, r.URL.Host, ErrRefused, EnvAllowHosts)
		}
		if proxy, err := t.next.Proxy(r); err == nil && proxy != nil {
			if err := p.checkName(r.Context(), r.URL.Hostname()); err != nil {
				closeBody(r)
				return nil, err
			}
		}
	}
	return t.next.RoundTrip(r)
}

func (p Policy) checkName(ctx context.Context, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		if !p.AllowsAddr(a) {
			return &RefusedError{Host: host, Addr: a.Unmap()}
		}
		return nil
	}
	addrs, err := (&net.Resolver{}).LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if !p.AllowsAddr(a) {
			return &RefusedError{Host: host, Addr: a.Unmap()}
		}
	}
	return nil
}

func portOf(scheme, port string) string {
	switch {
	case port != "":
		return port
	case scheme == "http":
		return "80"
	}
	return "443"
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

// WithTLS returns a copy of the transport with other TLS settings (a
// repository's caFile or client certificate), under the same policy.
func (t *policyTransport) WithTLS(set func(*tls.Config)) http.RoundTripper {
	tr := t.next.Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	set(cfg)
	tr.TLSClientConfig = cfg
	return &policyTransport{policy: t.policy, next: tr}
}
