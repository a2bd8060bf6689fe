package pipeline

import (
	"testing"

	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/render"
)

// TestEverySourceKindRenders: a kind of source is two files, its entry in
// order/sources.go (sourceKinds: decoding, defaults, checks, detection)
// and its renderer, render/<kind>.go, which registers under the same name.
// The pipeline names no kind, so a kind without a renderer fails here.
func TestEverySourceKindRenders(t *testing.T) {
	kinds := order.SourceKinds()
	if len(kinds) < 3 {
		t.Fatalf("source kinds %v, want at least directory, helm, kustomize", kinds)
	}
	for _, k := range kinds {
		if !render.HasSource(k) {
			t.Errorf("source kind %q (order/sources.go) has no renderer: register one with render.RegisterSource from render/%s.go", k, k)
		}
	}
	if render.HasSource("jsonnet") {
		t.Error("render.HasSource reports a kind nobody registered")
	}
}
