//go:build fidelitytools

package render

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

// TestCorpusFidelity compares syncwave's rendering of a corpus of public
// charts and kustomizations, kept outside the repository, with `helm
// template` v3.22.0 (Helm 3 mode) and v4.2.1 (Helm 4 mode) and `kustomize
// build` v5.8.2: the same objects after
// normalising (see compareObjects). For charts it also requires the
// metadata-only decoder to print the same bytes as the full parse.
// SYNCWAVE_CORPUS names the corpus directory; its items.txt lists the items
// as hack/bench-corpus.sh describes (that script writes the default list).
// Without SYNCWAVE_CORPUS the test is skipped.
func TestCorpusFidelity(t *testing.T) {
	corpus := os.Getenv("SYNCWAVE_CORPUS")
	if corpus == "" {
		t.Skip("SYNCWAVE_CORPUS not set")
	}
	corpus, _ = filepath.Abs(corpus)
	list, err := os.ReadFile(filepath.Join(corpus, "items.txt"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := OpenRoot(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 3 {
			t.Fatalf("items.txt: %q: want NAME TOOL PATH ...", line)
		}
		name, tool, dir := f[0], f[1], f[2]
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			switch tool {
			case "helm":
				if len(f) < 5 {
					t.Fatalf("items.txt: %q: want NAME helm PATH RELEASE NAMESPACE [FLAGS]", line)
				}
				for _, m := range helmModes {
					t.Run(m.String(), func(t *testing.T) { corpusHelm(t, root, corpus, dir, f[3], f[4], f[5:], m) })
				}
			case "kustomize":
				corpusKustomize(t, root, corpus, dir)
			default:
				t.Fatalf("items.txt: %q: unknown tool %s", line, tool)
			}
		})
	}
}

func corpusHelm(t *testing.T, root *Root, corpus, dir, release, ns string, flags []string, m helmMode) {
	helm := tool(t, m.tool)
	o := HelmOptions{Path: dir, ReleaseName: release, Namespace: ns, HelmVersion: m.version}
	for i := 0; i < len(flags); i++ {
		switch flags[i] {
		case "--set":
			i++
			o.Set = append(o.Set, flags[i])
		case "--set-string":
			i++
			o.SetString = append(o.SetString, flags[i])
		default:
			t.Fatalf("flag %s: only --set and --set-string are supported here", flags[i])
		}
	}
	run := func() []byte {
		args := append([]string{"template", release, filepath.Join(corpus, dir), "--namespace", ns, "--include-crds"}, flags...)
		cmd := exec.Command(helm, args...)
		cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir(), "KUBECONFIG=/nonexistent")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm template: %v", err)
		}
		return out
	}
	render := func(fast, annotate bool) []byte {
		o := o
		o.fullParse = !fast
		rs, err := Helm(context.Background(), root, o, func(w string) { t.Log("warning:", w) })
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if annotate {
				r.SetAnnotation("argocd.argoproj.io/sync-wave", "7")
			}
		}
		var b bytes.Buffer
		if err := manifest.Write(&b, rs); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Equal(render(true, true), render(false, true)) {
		t.Errorf("the metadata-only decoder and the full parse print different bytes")
	}
	// Objects helm itself does not reproduce between two runs (random
	// secrets, generated certificates) are left out of the comparison.
	ref, ref2 := parseStream(t, run()), parseStream(t, run())
	got := parseStream(t, render(true, false))
	var unstable []string
	for k, v := range ref {
		if v2, ok := ref2[k]; !ok || !reflect.DeepEqual(v, v2) {
			unstable = append(unstable, k)
			delete(ref, k)
			delete(got, k)
		}
	}
	if len(unstable) > 0 {
		t.Logf("left out, not reproducible by helm itself: %v", unstable)
	}
	compareObjects(t, dir, got, ref)
	t.Logf("%d objects compared", len(ref))
}

func corpusKustomize(t *testing.T, root *Root, corpus, dir string) {
	kust := tool(t, "kustomize")
	out, err := exec.Command(kust, "build", filepath.Join(corpus, dir)).Output()
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	rs, err := Kustomize(context.Background(), root, KustomizeOptions{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	if err := manifest.Write(&ours, rs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours.Bytes(), out) {
		t.Errorf("output is not byte-identical to kustomize build")
	}
	ref := parseStream(t, out)
	compareObjects(t, dir, parseStream(t, ours.Bytes()), ref)
	t.Logf("%d objects compared, output byte-identical", len(ref))
}
