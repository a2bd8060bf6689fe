//go:build sealproof

package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// EnvSealProof, in the proof build only, lists what the process tries
// right after sealing, each attempt reported on stderr as
// "sealproof: <what>: ok" or "sealproof: <what>: refused: <error>":
//
//	tcp=HOST:PORT    a raw net.Dial
//	udp=HOST:PORT    one UDP datagram
//	dns=HOST:PORT    a DNS lookup (Go's resolver) sent to that server
//	read=PATH        reading a file
//	write=PATH       creating a file
//	exec=PATH        running a program
//
// separated by ";". A test runs the proof build with it (sealproof_test.go).
const EnvSealProof = "SYNCWAVE_SEALPROOF"

func proveSeal(environ []string, stderr io.Writer) {
	spec := envLookup(environ)(EnvSealProof)
	if spec == "" {
		return
	}
	for _, item := range strings.Split(spec, ";") {
		kind, arg, _ := strings.Cut(item, "=")
		var err error
		switch kind {
		case "tcp":
			var c net.Conn
			if c, err = net.DialTimeout("tcp", arg, 2*time.Second); err == nil {
				c.Close()
			}
		case "udp":
			var c net.Conn
			if c, err = net.Dial("udp", arg); err == nil {
				_, err = c.Write([]byte("sealproof"))
				c.Close()
			}
		case "dns":
			r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "udp", arg)
			}}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = r.LookupHost(ctx, "sealproof.example")
			cancel()
		case "read":
			_, err = os.ReadFile(arg)
		case "write":
			err = os.WriteFile(arg, []byte("sealproof"), 0o644)
		case "exec":
			err = exec.Command(arg).Run()
		default:
			err = fmt.Errorf("unknown probe %q", kind)
		}
		if err != nil {
			fmt.Fprintf(stderr, "sealproof: %s: refused: %v\n", item, err)
		} else {
			fmt.Fprintf(stderr, "sealproof: %s: ok\n", item)
		}
	}
}
