package render

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"fmt"
	"strings"
	"testing"
)

func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

func TestCheckAliases(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		refused    bool
	}{
		{"no aliases", "a: &x 1\nb: 2\n", false},
		{"a few aliases", "base: &b {a: 1, b: 2}\nx: *b\ny: *b\nz: {<<: *b, c: 3}\n", false},
		{"5 levels (10^5 nodes)", bomb(5), false},
		{"7 levels (10^7 nodes)", bomb(7), true},
		{"10 levels", bomb(10), true},
		{"spread over documents", strings.Repeat(bomb(6)+"---\n", 30), true},
		{"not YAML: left to the reader", "a: [\n*x &y", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			err := checkAliases([]byte(tc.yaml))
			if (err != nil) != tc.refused {
				t.Fatalf("err %v, refused %v", err, tc.refused)
			}
		})
	}
}

// FuzzCheckAliases: whatever the bytes (cycles, aliases to aliases,
// broken streams), the check returns without panicking or hanging.
func FuzzCheckAliases(f *testing.F) {
	for _, s := range []string{bomb(3), bomb(8), "a: &a [*a]\n", "a: &a {b: *a}\n", "- &x 1\n- *x\n", "&a [*a, *a]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = checkAliases(data)
	})
}
