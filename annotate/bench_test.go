package annotate

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// synth builds an ordering file with groups groups and edges random acyclic
// edges (each from a lower- to a higher-numbered group), and resources
// resources spread evenly over the groups, selected by name.
func synth(tb testing.TB, resources, groups, edges int) (*order.SyncOrder, []byte) {
	rng := rand.New(rand.NewSource(1))
	var o strings.Builder
	o.WriteString("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n")
	after := make([][]int, groups)
	for e := 0; e < edges; e++ {
		a, b := rng.Intn(groups), rng.Intn(groups)
		if a == b {
			e--
			continue
		}
		if a > b {
			a, b = b, a
		}
		after[b] = append(after[b], a)
	}
	for g := 0; g < groups; g++ {
		fmt.Fprintf(&o, "  - name: g%d\n    select: [{kind: ConfigMap, name: \"r%d-*\"}, {name: exact-%d}]\n", g, g, g)
		if len(after[g]) > 0 {
			o.WriteString("    after: [")
			for i, a := range after[g] {
				if i > 0 {
					o.WriteString(", ")
				}
				fmt.Fprintf(&o, "g%d", a)
			}
			o.WriteString("]\n")
		}
	}
	so, err := order.Decode("syncwave.yaml", []byte(o.String()), SyntaxNames())
	if err != nil {
		tb.Fatal(err)
	}
	var m strings.Builder
	for i := 0; i < resources; i++ {
		g := i % groups
		name := fmt.Sprintf("exact-%d", g)
		if i/groups%2 == 1 {
			name = fmt.Sprintf("r%d-%d", g, i)
		}
		fmt.Fprintf(&m, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: ns%d\n", name, i)
	}
	return so, []byte(m.String())
}

func benchApply(b *testing.B, resources, groups, edges int) {
	so, stream := synth(b, resources, groups, edges)
	b.ReportAllocs()
	var cpu time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		res, err := manifest.Decode("bench.yaml", stream, manifest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		c0 := cpuTime()
		b.StartTimer()
		_, err = Apply(so, res)
		b.StopTimer()
		cpu += cpuTime() - c0
		n++
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
}

// BenchmarkApply10k: 10,000 resources in 1,000 groups with 2,000 edges.
func BenchmarkApply10k(b *testing.B) { benchApply(b, 10_000, 1_000, 2_000) }

// BenchmarkApply100k: 100,000 resources in 10,000 groups (20,000 edges).
func BenchmarkApply100k(b *testing.B) { benchApply(b, 100_000, 10_000, 20_000) }

// TestSynthWaves checks the benchmark input is what it claims: every
// resource placed, every edge respected.
func TestSynthWaves(t *testing.T) {
	t.Parallel()
	so, stream := synth(t, 2_000, 200, 400)
	res, err := manifest.Decode("bench.yaml", stream, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Apply(so, res)
	if err != nil {
		t.Fatal(err)
	}
	wave := map[string]string{}
	for i, r := range out.Resources {
		if out.Placements[i].Group == "" {
			t.Fatalf("%s not placed", r)
		}
		w, _ := r.Annotation(argocd.AnnotationSyncWave)
		wave[out.Placements[i].Group] = w
	}
	for _, g := range so.Groups {
		for _, a := range g.After {
			var wa, wg int
			fmt.Sscan(wave[a], &wa)
			fmt.Sscan(wave[g.Name], &wg)
			if wg <= wa {
				t.Fatalf("%s (wave %d) is not after %s (wave %d)", g.Name, wg, a, wa)
			}
		}
	}
}

// synthDeps is synth with resources/2 resources in groups groups (edges
// group edges) and resources/2 resources no group selects, each of which
// depends (config.kubernetes.io/depends-on) on one earlier unselected
// resource and on one selected resource: resources annotation edges.
func synthDeps(tb testing.TB, resources, groups, edges int) (*order.SyncOrder, []byte) {
	half := resources / 2
	so, stream := synth(tb, half, groups, edges)
	rng := rand.New(rand.NewSource(2))
	var m strings.Builder
	m.Write(stream)
	selected := func(i int) string { // name and namespace of synth's resource i
		g := i % groups
		name := fmt.Sprintf("exact-%d", g)
		if i/groups%2 == 1 {
			name = fmt.Sprintf("r%d-%d", g, i)
		}
		return fmt.Sprintf("/namespaces/ns%d/ConfigMap/%s", i, name)
	}
	for k := 0; k < half; k++ {
		var deps []string
		if k > 0 {
			deps = append(deps, fmt.Sprintf("/namespaces/free/ConfigMap/free-%d", rng.Intn(k)))
		} else {
			deps = append(deps, selected(rng.Intn(half)))
		}
		deps = append(deps, selected(rng.Intn(half)))
		fmt.Fprintf(&m, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: free-%d\n  namespace: free\n  annotations:\n    config.kubernetes.io/depends-on: %s\n", k, strings.Join(deps, ","))
	}
	return so, []byte(m.String())
}

func benchApplyDeps(b *testing.B, resources, groups, edges int) {
	so, stream := synthDeps(b, resources, groups, edges)
	b.ReportAllocs()
	var cpu time.Duration // process CPU time (all threads) spent in Apply
	n := 0
	for b.Loop() {
		b.StopTimer()
		res, err := manifest.Decode("bench.yaml", stream, manifest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		c0 := cpuTime()
		b.StartTimer()
		out, err := Apply(so, res)
		b.StopTimer()
		cpu += cpuTime() - c0
		n++
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Warnings) > 0 {
			b.Fatal(out.Warnings[0])
		}
	}
	// On a loaded machine wall time says little; CPU time does.
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
}

// cpuTime is the user plus system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApplyDeps100k: 100,000 resources, 10,000 groups (20,000 group
// edges) selecting half of them, 100,000 depends-on edges on the other half.
func BenchmarkApplyDeps100k(b *testing.B) { benchApplyDeps(b, 100_000, 10_000, 20_000) }

// TestSynthDepsWaves checks the dependency benchmark's input: every
// depends-on edge is respected.
func TestSynthDepsWaves(t *testing.T) {
	t.Parallel()
	so, stream := synthDeps(t, 4_000, 200, 400)
	res, err := manifest.Decode("bench.yaml", stream, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Apply(so, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Warnings) > 0 {
		t.Fatal(out.Warnings[0])
	}
	wave := map[string]int{}
	for _, r := range out.Resources {
		var w int
		s, _ := r.Annotation(argocd.AnnotationSyncWave)
		fmt.Sscan(s, &w)
		wave["/namespaces/"+r.Namespace+"/ConfigMap/"+r.Name] = w
	}
	n := 0
	for _, r := range out.Resources {
		v, ok := r.Annotation(DependsOn)
		if !ok {
			continue
		}
		me := wave["/namespaces/"+r.Namespace+"/ConfigMap/"+r.Name]
		for _, d := range strings.Split(v, ",") {
			n++
			if wave[d] >= me {
				t.Fatalf("%s (wave %d) is not after %s (wave %d)", r, me, d, wave[d])
			}
		}
	}
	if n != 4_000 {
		t.Fatalf("%d edges, want 4000", n)
	}
}

// BenchmarkApplyReferences10k: 10,000 Deployments, each with a
// ServiceAccount, a ConfigMap and a Secret it references, no groups,
// dependencies.references on: 30,000 inferred edges among 40,000 resources.
func BenchmarkApplyReferences10k(b *testing.B) {
	const size = 10_000
	var m strings.Builder
	for i := 0; i < size; i++ {
		fmt.Fprintf(&m, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a%d, namespace: ns}\n", i)
		fmt.Fprintf(&m, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a%d, namespace: ns}\n", i)
		fmt.Fprintf(&m, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: a%d, namespace: ns}\n", i)
		fmt.Fprintf(&m, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a%d, namespace: ns}\nspec:\n  template:\n    spec:\n      serviceAccountName: a%d\n      containers:\n        - name: c\n          image: x\n          envFrom: [{configMapRef: {name: a%d}}]\n          env: [{name: P, valueFrom: {secretKeyRef: {name: a%d, key: p}}}]\n", i, i, i, i)
	}
	so, err := order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies: {references: true}\n"), SyntaxNames())
	if err != nil {
		b.Fatal(err)
	}
	text := []byte(m.String())
	var cpu time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		res, err := manifest.Decode("app.yaml", text, manifest.Options{Reader: manifest.Fast})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		c0 := cpuTime()
		b.StartTimer()
		out, err := ApplyWith(so, res, Options{})
		b.StopTimer()
		cpu += cpuTime() - c0
		n++
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
		if w, _ := out.Resources[3].Annotation(argocd.AnnotationSyncWave); w != "1" {
			b.Fatalf("Deployment a0 in wave %q, want 1", w)
		}
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
}
