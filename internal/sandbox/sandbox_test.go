package sandbox

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestDenyNetwork: while denied, the default client, transport and
// resolver refuse; afterwards they work again, and init's client works
// throughout.
func TestDenyNetwork(t *testing.T) {
	srv, hits := countingServer(t)
	restore := DenyNetwork()
	inner := DenyNetwork() // nests
	if _, err := http.Get(srv.URL); !errors.Is(err, ErrNetwork) {
		t.Errorf("http.Get: %v, want ErrNetwork", err)
	}
	if _, err := (&http.Client{}).Get(srv.URL); !errors.Is(err, ErrNetwork) {
		t.Errorf("a client without a transport: %v, want ErrNetwork", err)
	}
	if _, err := net.DefaultResolver.LookupHost(context.Background(), "example.invalid"); err == nil {
		t.Error("resolver works while denied")
	}
	if os.Getenv("GIT_ALLOW_PROTOCOL") != gitProtocols {
		t.Error("GIT_ALLOW_PROTOCOL not set")
	}
	inner()
	if _, err := http.Get(srv.URL); !errors.Is(err, ErrNetwork) {
		t.Errorf("after the inner restore: %v, want still refused", err)
	}
	resp, err := Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("init's client: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("%d requests, want 1 (init's client only)", hits.Load())
	}
	restore()
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatalf("after restore: %v", err)
	}
	resp.Body.Close()
}

// TestKrustyCannotFetch: with the network denied, kustomize's own loader
// (no syncwave check in front of it) fetches nothing for any field that
// takes a URL: the refusal holds by construction.
func TestKrustyCannotFetch(t *testing.T) {
	srv, hits := countingServer(t)
	u := srv.URL
	for _, k := range []string{
		"resources: [cm.yaml]\npatchesStrategicMerge: [" + u + "/p.yaml]\n",
		"resources: [" + u + "/cm.yaml]\n",
		"resources: [cm.yaml]\npatches: [{path: " + u + "/p.yaml}]\n",
		"resources: [cm.yaml]\npatchesJson6902: [{target: {version: v1, kind: ConfigMap, name: x}, path: " + u + "/p.json}]\n",
		"resources: [cm.yaml]\nreplacements: [{path: " + u + "/r.yaml}]\n",
		"resources: [cm.yaml]\nconfigMapGenerator: [{name: g, files: [k=" + u + "/f]}]\n",
		"resources: [cm.yaml]\nconfigMapGenerator: [{name: g, envs: [" + u + "/e.env]}]\n",
		"resources: [cm.yaml]\nconfigurations: [" + u + "/c.yaml]\n",
		"resources: [cm.yaml]\ncrds: [" + u + "/crd.yaml]\n",
		"resources: [cm.yaml]\nopenapi: {path: " + u + "/s.json}\n",
		"resources: [cm.yaml]\ntransformers: [" + u + "/t.yaml]\n",
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644)
		os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644)
		opts := krusty.MakeDefaultOptions()
		opts.LoadRestrictions = types.LoadRestrictionsRootOnly
		opts.PluginConfig = types.DisabledPluginConfig()
		restore := DenyNetwork()
		_, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		restore()
		if err == nil {
			t.Errorf("%q: built without error", k)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("kustomize made %d requests with the network denied", n)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512Mi": 512 << 20, "1Gi": 1 << 30, "2G": 2 << 30, "1GB": 1e9, "100": 100, "1.5Gi": 3 << 29, "off": 0, "0": 0, "64KiB": 64 << 10} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1Gi", "1Xi", "1e400"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
	if s := FormatSize(512 << 20); s != "512Mi" {
		t.Errorf("FormatSize = %s", s)
	}
}

// TestWatch: a budget below what is allocated cancels with a MemoryError.
func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := Watch(cancel, 64<<20)
	defer stop()
	var keep [][]byte
	deadline := time.Now().Add(20 * time.Second)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		keep = append(keep, make([]byte, 8<<20))
		for _, b := range keep[len(keep)-1:] {
			for i := range b {
				b[i] = 1
			}
		}
		time.Sleep(time.Millisecond)
	}
	var me *MemoryError
	if !errors.As(context.Cause(ctx), &me) || !strings.Contains(me.Error(), "memory budget of 64Mi exceeded") {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
	_ = keep
}

func TestLimitWriterGrow(t *testing.T) {
	var buf bytes.Buffer
	w := &LimitWriter{W: &buf, Limit: 1 << 20}
	w.Grow(4 << 20) // past the limit: dropped, the write fails anyway
	if buf.Cap() >= 4<<20 {
		t.Fatalf("grew to %d past the limit", buf.Cap())
	}
	w.Grow(64 << 10)
	if buf.Cap() < 64<<10 {
		t.Fatalf("cap %d after Grow(64Ki)", buf.Cap())
	}
	if _, err := w.Write(make([]byte, 2<<20)); err == nil {
		t.Fatal("a write past the limit succeeded")
	}
}
