package argocd

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNoVocabularyOutside fails when a non-test Go file of the module
// outside argocd/ spells an Argo CD or Helm hook annotation string: a
// string literal that holds one of the annotation keys, or that is exactly
// a hook type, phase, delete policy or Helm hook value. Everyone else asks
// this package. hack/ (generators of benchmark fixtures) and test/ (the
// separate module of differential tests, which feeds the reference engine
// its own strings) are outside the rule.
func TestNoVocabularyOutside(t *testing.T) {
	t.Parallel()
	keys := []string{AnnotationHook, AnnotationSyncWave, AnnotationHookDeletePolicy, AnnotationSyncOptions,
		AnnotationHelmHook, AnnotationHelmHookWeight, AnnotationHelmDeletePolicy}
	var words []string
	for _, h := range HookTypes {
		words = append(words, string(h))
	}
	for _, p := range DeletePolicyValues {
		words = append(words, string(p))
	}
	words = append(words, HelmHookEvents...)
	words = append(words, HelmCRDInstall)
	for k := range HelmDeletePolicies {
		words = append(words, k)
	}
	check := func(lit string) string {
		for _, k := range keys {
			if strings.Contains(lit, k) {
				return k
			}
		}
		if slices.Contains(words, strings.TrimSpace(lit)) {
			return strings.TrimSpace(lit)
		}
		return ""
	}
	// The rule must catch what it is meant to catch.
	for _, bad := range []string{`"helm.sh/hook"`, `"PreSync"`, `"post-delete"`, `"by argocd.argoproj.io/sync-wave"`} {
		s, _ := strconv.Unquote(bad)
		if check(s) == "" {
			t.Fatalf("the rule misses %s", bad)
		}
	}
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch filepath.ToSlash(path) {
			case "../argocd", "../hack", "../test", "../.git":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		found++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if w := check(s); w != "" {
				t.Errorf("%s: string literal %s spells Argo CD's %q; use the argocd package", fset.Position(lit.Pos()), lit.Value, w)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Fatalf("walked only %d Go files", found)
	}
}
