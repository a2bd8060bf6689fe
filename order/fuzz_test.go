package order

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/syncwave.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups: [{name: a, select: [{name: '{a,b}*'}], after: [a]}]\n"))
	f.Add([]byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies: {dependsOn: false, argoRollouts: null, references: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode("f.yaml", data, testSyntaxes)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		// Decode succeeded: validation is stable and waves compute.
		if err := o.Validate(); err != nil {
			t.Fatalf("Decode succeeded but Validate fails: %v", err)
		}
		o.Default()
		if err := o.Validate(); err != nil {
			t.Fatalf("Validate not stable after a second Default: %v", err)
		}
		if _, err := o.ComputeWaves(); err != nil {
			t.Fatalf("Decode succeeded but ComputeWaves fails: %v", err)
		}
		NewIndex(o.Groups).Match(&manifest.Resource{Kind: "Deployment", Name: "a"})
	})
}

func FuzzSelector(f *testing.F) {
	for _, s := range []string{"backend", "*", "{a,b}", "[a-z]*", "[!a]", `a\*`, "{", "[", "{a,{b,c}}", "**", "?"} {
		f.Add(s, "backend")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		s := Selector{Name: pattern, Namespace: pattern, Path: pattern}
		r := &manifest.Resource{Name: name, Namespace: name, Source: name}
		got := s.Matches(r)
		if err := s.Compile(); err != nil {
			if got {
				t.Fatalf("selector that does not compile matched")
			}
			return
		}
		if s.Matches(r) != got {
			t.Fatalf("compiled and uncompiled selectors disagree")
		}
		if IsLiteral(pattern) && pattern != "" && got != (pattern == name) {
			t.Fatalf("literal %q vs %q: match %v", pattern, name, got)
		}
	})
}

// FuzzParseSyntaxList: the --dependency-annotations value either parses, and
// then says exactly which syntaxes it names, or is an error naming the
// offending entry.
func FuzzParseSyntaxList(f *testing.F) {
	for _, s := range []string{"none", "depends-on,helm,kapp", "argo-rollouts, helm", " helm ", "helm,", "bogus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseSyntaxList(s, testSyntaxes)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		for _, syn := range testSyntaxes {
			if d.Enabled(syn) && s == "none" {
				t.Fatalf("%q enables %s", s, syn)
			}
		}
	})
}
