// Command gendir writes a large, deterministic directory of small manifests
// for benchmarks: -docs ConfigMaps spread evenly over -files YAML files in
// one directory (docs-0000.yaml ...), documents separated by "---". Each
// document is 85 bytes (89 with its separator):
//
//	apiVersion: v1
//	kind: ConfigMap
//	metadata:
//	  name: cm-000042
//	data:
//	  key: value-000042
//
// With the defaults, 100,000 documents in 1,000 files, about 8.9 MB. The
// directory has no Chart.yaml, kustomization or syncwave.yaml: syncwave
// reads it as a directory source, Argo CD as its native directory source.
// Usage:
//
//	go run ./hack/gendir -out /tmp/bigdir [-docs 100000] [-files 1000]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "", "output directory (created)")
	docs := flag.Int("docs", 100000, "documents")
	files := flag.Int("files", 1000, "files the documents are spread over")
	flag.Parse()
	if *out == "" || *docs < 1 || *files < 1 || *files > *docs {
		fmt.Fprintln(os.Stderr, "gendir: -out is required; 1 <= -files <= -docs")
		os.Exit(2)
	}
	if err := gen(*out, *docs, *files); err != nil {
		fmt.Fprintln(os.Stderr, "gendir:", err)
		os.Exit(1)
	}
}

func gen(dir string, docs, files int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	n := 0
	for f := 0; f < files; f++ {
		b.Reset()
		// the first docs%files files hold one document more
		per := docs / files
		if f < docs%files {
			per++
		}
		for i := 0; i < per; i++ {
			if i > 0 {
				b.WriteString("---\n")
			}
			fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%06d\ndata:\n  key: value-%06d\n", n, n)
			n++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("docs-%04d.yaml", f)), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
