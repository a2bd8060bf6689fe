package sandbox

import "testing"

// FuzzParseSize: no panic; an accepted size is positive (or 0 for "no
// limit") and FormatSize of it parses back to within rounding.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512Mi", "1Gi", "1.5Gi", "off", "0", "100", "1GB", "64KiB", "-1", "1e400", "9999999999Ti", " 2 G "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if n == 0 {
			return
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil {
			t.Fatalf("FormatSize(%d) = %q does not parse: %v", n, FormatSize(n), err)
		}
		if d := back - n; d > n/10+1 || -d > n/10+1 {
			t.Fatalf("%q: %d formats as %q, read back as %d", s, n, FormatSize(n), back)
		}
	})
}
