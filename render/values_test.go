package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/order"
)

// TestInlineValuesReadAsValuesFile: the same text reaches the chart alike
// whether it sits under helm.values in syncwave.yaml or in a values file
// (`enabled: yes` is true in both; syncwave.yaml's YAML 1.2 made it "yes").
func TestInlineValuesReadAsValuesFile(t *testing.T) {
	const text = "enabled: yes\nlevel: on\nname: \"no\"\nmode: 0755\nratio: 1.50\nlist: [y, n]\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "values.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := valuesWith(helm3, root, ".", HelmOptions{ValueFiles: []string{"values.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	indented := ""
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		indented += "        " + l + "\n"
	}
	o, err := order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources:\n  - helm:\n      values:\n"+indented), nil)
	if err != nil {
		t.Fatal(err)
	}
	ho, err := helmSourceOptions(root, ".", o.Sources[0].Helm, &HelmInputs{ReleaseName: "r"})
	if err != nil {
		t.Fatal(err)
	}
	inline, err := valuesWith(helm3, root, ".", ho)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inline, fromFile) {
		t.Errorf("inline values %#v\nvalue file    %#v", inline, fromFile)
	}
	if fromFile["enabled"] != true || fromFile["name"] != "no" {
		t.Errorf("value file read as %#v", fromFile)
	}
}
