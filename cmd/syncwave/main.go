// Command syncwave renders Kubernetes manifests and orders them for Argo CD's
// sync engine. See `syncwave --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/syncwave/syncwave/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
