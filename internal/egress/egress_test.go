package egress

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34":        true,
		"2606:4700::1111":      true,
		"127.0.0.1":            false,
		"127.1.2.3":            false,
		"::1":                  false,
		"10.1.2.3":             false,
		"172.16.0.1":           false,
		"172.31.255.255":       false,
		"172.32.0.1":           true,
		"192.168.1.1":          false,
		"169.254.169.254":      false,
		"fe80::1":              false,
		"fc00::1":              false,
		"fd12:3456::1":         false,
		"100.64.0.1":           false,
		"100.127.255.255":      false,
		"100.128.0.1":          true,
		"0.0.0.0":              false,
		"::":                   false,
		"255.255.255.255":      false,
		"224.0.0.1":            false,
		"ff02::1":              false,
		"::ffff:127.0.0.1":     false,
		"::ffff:10.0.0.1":      false,
		"::ffff:93.184.216.34": true,
		"64:ff9b::a00:1":       false, // NAT64 of 10.0.0.1
		"2002:a00:1::1":        false, // 6to4 of 10.0.0.1
		"198.18.0.1":           false,
		"192.0.0.170":          false,
		"240.0.0.1":            false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy("ChartMuseum.tools.svc.cluster.local:8080, registry.corp.", "10.20.0.0/16 fd00::/8,192.168.5.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, port string
		want       bool
	}{
		{"chartmuseum.tools.svc.cluster.local", "8080", true},
		{"chartmuseum.tools.svc.cluster.local", "80", false},
		{"registry.corp", "443", true},
		{"REGISTRY.corp.", "5000", true},
		{"registry.corp.evil", "443", false},
	} {
		if got := p.AllowsHost(c.host, c.port); got != c.want {
			t.Errorf("AllowsHost(%s, %s) = %v, want %v", c.host, c.port, got, c.want)
		}
	}
	for addr, want := range map[string]bool{"10.20.3.4": true, "10.21.0.1": false, "fd00::5": true, "192.168.5.5": true, "192.168.5.6": false, "127.0.0.1": false, "93.184.216.34": true} {
		if got := p.AllowsAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("AllowsAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	if (Policy{}).AllowsAddr(netip.MustParseAddr("127.0.0.1")) != true {
		t.Error("the zero policy (a workstation) refuses loopback")
	}
	for _, c := range []struct{ hosts, networks, want string }{
		{"http://charts.internal", "", `SYNCWAVE_ALLOW_HOSTS: "http://charts.internal": expected host or host:port`},
		{"charts.internal/path", "", `expected host or host:port`},
		{"charts.internal:0", "", `the port must be a number from 1 to 65535`},
		{"", "10.0.0.0/33", `SYNCWAVE_ALLOW_NETWORKS: "10.0.0.0/33": expected a CIDR`},
		{"", "cluster", `SYNCWAVE_ALLOW_NETWORKS: "cluster": expected a CIDR`},
	} {
		if _, err := ParsePolicy(c.hosts, c.networks); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePolicy(%q, %q): %v, want %q", c.hosts, c.networks, err, c.want)
		}
	}
}

// TestDialChecksResolvedAddress: a name that resolves to a loopback
// address is refused at connect time (the check is on the address dialled,
// so DNS rebinding gains nothing); the same name on the hosts list is
// reached; the zero policy reaches it.
func TestDialChecksResolvedAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	u := "http://localhost:" + port + "/"
	restricted, _ := ParsePolicy("", "")
	if _, err := Client(restricted).Get(u); err == nil || !strings.Contains(err.Error(), "plain http to localhost:"+port) {
		t.Errorf("plain http: %v", err)
	}
	// https to a name resolving to loopback: refused at dial
	tr := transport(restricted)
	_, err := tr.DialContext(context.Background(), "tcp", "localhost:"+port)
	var re *RefusedError
	if !errors.As(err, &re) || !errors.Is(err, ErrRefused) || !re.Addr.IsLoopback() {
		t.Errorf("dial localhost: %v", err)
	}
	allowed, _ := ParsePolicy("localhost", "")
	if resp, err := Client(allowed).Get(u); err != nil {
		t.Errorf("allowed host: %v", err)
	} else {
		resp.Body.Close()
	}
	if resp, err := Client(Policy{}).Get(u); err != nil {
		t.Errorf("zero policy: %v", err)
	} else {
		resp.Body.Close()
	}
}
