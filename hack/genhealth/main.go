// Command genhealth writes syncwave's tables of the health checks Argo CD
// has, read from Argo CD's own source: the group/kinds the gitops-engine's
// GetHealthCheckFunc switches on (Go code, parsed, not run) and the
// directories of resource_customizations that hold a health.lua (names only:
// no script is copied).
//
// Two sources:
//
//	# the Argo CD v2 version a Go module pins (test/go.mod), from GOMODCACHE:
//	go run ./hack/genhealth -gomod test -line 2.14 -o health/zz_argocd_2_14.go
//	# an Argo CD git clone: every 3.N line's newest patch tag
//	go run ./hack/genhealth -git /path/to/argo-cd -line 3 -o health/zz_argocd_3.go
//
// health/doc.go runs the first through go generate.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func main() {
	gomod := flag.String("gomod", "", "directory of a Go module that requires github.com/argoproj/argo-cd/v2 (its pinned version is read)")
	gitDir := flag.String("git", "", "an argoproj/argo-cd git clone (bare or not); its v<line>.N.M tags are read")
	line := flag.String("line", "", "the Argo CD line the table is for: 2.14 or 3")
	out := flag.String("o", "", "output Go file")
	flag.Parse()
	if *out == "" || *line == "" || (*gomod == "") == (*gitDir == "") {
		fmt.Fprintln(os.Stderr, "genhealth: -o, -line and exactly one of -gomod or -git are required")
		os.Exit(2)
	}
	var t *table
	var err error
	if *gomod != "" {
		t, err = fromModule(*gomod, *line)
	} else {
		t, err = fromGit(*gitDir, *line)
	}
	if err == nil {
		err = write(*out, t)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genhealth:", err)
		os.Exit(1)
	}
}

// tree reads one version of a source tree.
type tree interface {
	read(p string) ([]byte, error)
	// files lists the files under dir, slash paths relative to dir.
	files(dir string) ([]string, error)
}

type dirTree string

func (d dirTree) read(p string) ([]byte, error) { return os.ReadFile(filepath.Join(string(d), p)) }

func (d dirTree) files(dir string) ([]string, error) {
	var out []string
	root := filepath.Join(string(d), dir)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

type gitTree struct{ repo, rev string }

func (g gitTree) git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"--git-dir", g.repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return b, nil
}

func (g gitTree) read(p string) ([]byte, error) { return g.git("show", g.rev+":"+p) }

func (g gitTree) files(dir string) ([]string, error) {
	b, err := g.git("ls-tree", "-r", "--name-only", g.rev, dir+"/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, strings.TrimPrefix(l, dir+"/"))
		}
	}
	return out, nil
}

type gk struct{ group, kind string }

type script struct {
	gk
	since string // first 3.N line holding it ("" for a single version)
}

type table struct {
	line, version, engine, source string
	builtIn                       []gk
	lua                           []script
}

type modInfo struct {
	Path, Version, Dir, Error string
}

// fromModule reads the versions of Argo CD and gitops-engine that the module
// in dir selects, downloading them to the module cache when needed.
func fromModule(dir, line string) (*table, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/argoproj/argo-cd/v2", "github.com/argoproj/gitops-engine")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil && len(b) == 0 {
		return nil, fmt.Errorf("go mod download in %s: %v: %s", dir, err, stderr.String())
	}
	mods := map[string]modInfo{}
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var m modInfo
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("go mod download output: %w", err)
		}
		if m.Error != "" {
			return nil, fmt.Errorf("module %s: %s", m.Path, m.Error)
		}
		mods[m.Path] = m
	}
	argo, eng := mods["github.com/argoproj/argo-cd/v2"], mods["github.com/argoproj/gitops-engine"]
	if argo.Dir == "" || eng.Dir == "" {
		return nil, fmt.Errorf("module %s does not require both github.com/argoproj/argo-cd/v2 and github.com/argoproj/gitops-engine", dir)
	}
	builtIn, err := engineChecks(dirTree(eng.Dir), "")
	if err != nil {
		return nil, err
	}
	lua, err := luaChecks(dirTree(argo.Dir))
	if err != nil {
		return nil, err
	}
	t := &table{line: line, version: argo.Version, engine: eng.Version, source: "the Go module cache (the version " + filepath.Base(dir) + "/go.mod pins)", builtIn: builtIn}
	for _, g := range lua {
		t.lua = append(t.lua, script{gk: g})
	}
	return t, nil
}

var patchTag = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`)

// fromGit reads the newest patch tag of every <line>.N minor: built-in
// checks from the newest one's gitops-engine (in the tree since 3.3), Lua
// scripts from all, each with the first minor that has it.
func fromGit(repo, line string) (*table, error) {
	if fi, err := os.Stat(filepath.Join(repo, ".git")); err == nil && fi.IsDir() {
		repo = filepath.Join(repo, ".git")
	}
	b, err := gitTree{repo: repo}.git("tag", "--list", "v"+line+".*")
	if err != nil {
		return nil, err
	}
	newest := map[int][2]int{} // minor -> patch, found
	for _, tag := range strings.Fields(string(b)) {
		m := patchTag.FindStringSubmatch(tag)
		if m == nil || m[1] != line {
			continue
		}
		minor, _ := strconv.Atoi(m[2])
		patch, _ := strconv.Atoi(m[3])
		if cur, ok := newest[minor]; !ok || patch > cur[0] {
			newest[minor] = [2]int{patch, 1}
		}
	}
	if len(newest) == 0 {
		return nil, fmt.Errorf("%s: no v%s.N.M tags", repo, line)
	}
	var minors []int
	for m := range newest {
		minors = append(minors, m)
	}
	sort.Ints(minors)
	since := map[gk]string{}
	var tags []string
	for _, m := range minors {
		tag := fmt.Sprintf("v%s.%d.%d", line, m, newest[m][0])
		tags = append(tags, tag)
		lua, err := luaChecks(gitTree{repo: repo, rev: tag})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tag, err)
		}
		for _, g := range lua {
			if _, ok := since[g]; !ok {
				since[g] = fmt.Sprintf("%s.%d", line, m)
			}
		}
		// a script dropped by a later minor must not stay in the table
		keep := map[gk]bool{}
		for _, g := range lua {
			keep[g] = true
		}
		for g := range since {
			if !keep[g] {
				delete(since, g)
			}
		}
	}
	last := tags[len(tags)-1]
	builtIn, err := engineChecks(gitTree{repo: repo, rev: last}, "gitops-engine/")
	if err != nil {
		return nil, fmt.Errorf("%s: %w (gitops-engine is in Argo CD's tree since v3.3)", last, err)
	}
	t := &table{line: line + ".x", version: last, engine: last + " gitops-engine/", source: "Argo CD's git tags " + strings.Join(tags, ", "), builtIn: builtIn}
	for g, s := range since {
		t.lua = append(t.lua, script{gk: g, since: s})
	}
	return t, nil
}

// luaChecks lists resource_customizations/<group>/<kind>/health.lua. A "_"
// in a directory name is Argo CD's wildcard ("*").
func luaChecks(t tree) ([]gk, error) {
	files, err := t.files("resource_customizations")
	if err != nil {
		return nil, err
	}
	var out []gk
	for _, f := range files {
		parts := strings.Split(f, "/")
		if len(parts) != 3 || parts[2] != "health.lua" {
			continue
		}
		out = append(out, gk{strings.ReplaceAll(parts[0], "_", "*"), strings.ReplaceAll(parts[1], "_", "*")})
	}
	if len(out) == 0 {
		return nil, errors.New("no resource_customizations/<group>/<kind>/health.lua")
	}
	return out, nil
}

// engineChecks parses gitops-engine's pkg/health/health.go and returns the
// group/kinds GetHealthCheckFunc returns a function for. Kind constants are
// resolved from pkg/utils/kube.
func engineChecks(t tree, prefix string) ([]gk, error) {
	consts := map[string]string{}
	files, err := t.files(prefix + "pkg/utils/kube")
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.Contains(f, "/") || !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := t.read(prefix + "pkg/utils/kube/" + f)
		if err != nil {
			return nil, err
		}
		af, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if v, ok := stringLit(vs.Values[i]); ok {
							consts[n.Name] = v
						}
					}
				}
			}
		}
	}
	src, err := t.read(prefix + "pkg/health/health.go")
	if err != nil {
		return nil, err
	}
	af, err := parser.ParseFile(fset, "health.go", src, 0)
	if err != nil {
		return nil, err
	}
	var fn *ast.FuncDecl
	for _, d := range af.Decls {
		if f, ok := d.(*ast.FuncDecl); ok && f.Name.Name == "GetHealthCheckFunc" {
			fn = f
		}
	}
	if fn == nil {
		return nil, errors.New("pkg/health/health.go: no func GetHealthCheckFunc")
	}
	value := func(e ast.Expr) (string, error) {
		if v, ok := stringLit(e); ok {
			return v, nil
		}
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if v, ok := consts[sel.Sel.Name]; ok {
				return v, nil
			}
		}
		return "", fmt.Errorf("pkg/health/health.go:%d: cannot resolve case value", fset.Position(e.Pos()).Line)
	}
	var out []gk
	var walkErr error
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok || !isField(sw.Tag, "Group") {
			return true
		}
		for _, c := range sw.Body.List {
			cc := c.(*ast.CaseClause)
			for _, ge := range cc.List {
				group, err := value(ge)
				if err != nil {
					walkErr = err
					return false
				}
				for _, st := range cc.Body {
					// if gvk.Kind == X { return f }
					if is, ok := st.(*ast.IfStmt); ok {
						be, ok := is.Cond.(*ast.BinaryExpr)
						if !ok || be.Op != token.EQL || !isField(be.X, "Kind") || !returnsFunc(is.Body.List) {
							continue
						}
						kind, err := value(be.Y)
						if err != nil {
							walkErr = err
							return false
						}
						out = append(out, gk{group, kind})
						continue
					}
					inner, ok := st.(*ast.SwitchStmt)
					if !ok || !isField(inner.Tag, "Kind") {
						continue
					}
					for _, k := range inner.Body.List {
						kc := k.(*ast.CaseClause)
						if !returnsFunc(kc.Body) {
							continue
						}
						for _, ke := range kc.List {
							kind, err := value(ke)
							if err != nil {
								walkErr = err
								return false
							}
							out = append(out, gk{group, kind})
						}
					}
				}
			}
		}
		return false
	})
	if walkErr != nil {
		return nil, walkErr
	}
	if len(out) == 0 {
		return nil, errors.New("pkg/health/health.go: GetHealthCheckFunc has no switch on gvk.Group / gvk.Kind")
	}
	return out, nil
}

func isField(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name
}

func returnsFunc(body []ast.Stmt) bool {
	for _, s := range body {
		if r, ok := s.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
			if id, ok := r.Results[0].(*ast.Ident); ok && id.Name == "nil" {
				return false
			}
			return true
		}
	}
	return false
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

func write(file string, t *table) error {
	less := func(a, b gk) bool {
		if a.group != b.group {
			return a.group < b.group
		}
		return a.kind < b.kind
	}
	sort.Slice(t.builtIn, func(i, j int) bool { return less(t.builtIn[i], t.builtIn[j]) })
	sort.Slice(t.lua, func(i, j int) bool { return less(t.lua[i].gk, t.lua[j].gk) })
	ident := "argocd" + strings.NewReplacer(".", "_", "x", "").Replace(strings.TrimSuffix(t.line, ".x"))
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by hack/genhealth from %s; DO NOT EDIT.\n\n", t.source)
	fmt.Fprintf(&b, "package health\n\n")
	fmt.Fprintf(&b, "// %s is Argo CD %s's health knowledge: %d built-in (gitops-engine) and %d Lua checks.\n", ident, t.version, len(t.builtIn), len(t.lua))
	fmt.Fprintf(&b, "var %s = &Table{\n\tLine: %q,\n\tVersion: %q,\n\tEngine: %q,\n\tBuiltIn: []GroupKind{\n", ident, t.line, t.version, t.engine)
	for _, g := range t.builtIn {
		fmt.Fprintf(&b, "\t\t{%q, %q},\n", g.group, g.kind)
	}
	fmt.Fprintf(&b, "\t},\n\tLua: []Script{\n")
	for _, s := range t.lua {
		if s.since != "" {
			fmt.Fprintf(&b, "\t\t{GroupKind{%q, %q}, %q},\n", s.group, s.kind, s.since)
		} else {
			fmt.Fprintf(&b, "\t\t{GroupKind: GroupKind{%q, %q}},\n", s.group, s.kind)
		}
	}
	fmt.Fprintf(&b, "\t},\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("format: %w", err)
	}
	return os.WriteFile(file, src, 0o644)
}
