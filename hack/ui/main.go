// Command ui bundles the Argo CD UI extension (ui/extension) with esbuild's
// Go API and writes the installer's tar (resources/extension-syncwave.js)
// and, with -js, the bundle alone.
//
//	go run ./hack/ui -o bin/ui/extension-syncwave.tar -js bin/ui/extension-syncwave.js
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/syncwave/syncwave/ui"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ui:", err)
		os.Exit(1)
	}
}

func run() error {
	src := flag.String("src", "ui/extension", "directory of the extension's TypeScript (index.tsx)")
	out := flag.String("o", "bin/ui/extension-syncwave.tar", "the tar to write")
	js := flag.String("js", "", "also write the bundle alone to this file")
	flag.Parse()
	b, err := ui.Bundle(*src)
	if err != nil {
		return err
	}
	t, err := ui.Tar(b)
	if err != nil {
		return err
	}
	if err := write(*out, t); err != nil {
		return err
	}
	if *js != "" {
		if err := write(*js, b); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d bytes (%s %d bytes)\n", *out, len(t), ui.FileName, len(b))
	return nil
}

func write(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
