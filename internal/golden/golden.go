// Package golden is the one golden-file helper of syncwave's tests, and the
// owner of the one -update flag: `go test ./... -update` rewrites every
// golden file instead of comparing with it.
//
// Every test package of the module imports it (TestEveryTestPackageImports
// checks), so that the flag is defined in each test binary and go test
// ./... -update never fails with "flag provided but not defined".
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Check compares got with the golden file, or with -update writes it. An
// empty got means the file must not exist (-update removes it), so a case
// can expect "no output" or "no error file".
func Check(t testing.TB, file string, got []byte) {
	t.Helper()
	if *update {
		if len(got) == 0 {
			if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		if len(got) == 0 {
			return
		}
		t.Errorf("%s does not exist; got:\n%s\n(run go test with -update to write it, then review the diff)", file, got)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test with -update to accept, then review the diff)\n%s", file, Diff(want, got))
	}
}

// CheckString is Check for a string.
func CheckString(t testing.TB, file, got string) {
	t.Helper()
	Check(t, file, []byte(got))
}

// Diff describes the first difference between want and got, with a few
// lines of context, and both lengths.
func Diff(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (want %d lines, got %d):\n", i+1, len(w), len(g))
	from := max(0, i-2)
	for j := from; j < i; j++ {
		fmt.Fprintf(&b, "  %s\n", w[j])
	}
	for j := i; j < min(len(w), i+3); j++ {
		fmt.Fprintf(&b, "- %s\n", w[j])
	}
	for j := i; j < min(len(g), i+3); j++ {
		fmt.Fprintf(&b, "+ %s\n", g[j])
	}
	return b.String()
}
