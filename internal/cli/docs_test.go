package cli

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/syncwave/syncwave/annotate"
	goldenfile "github.com/syncwave/syncwave/internal/golden"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/plugin"
)

// The documentation is tested like code: README.md and every page under
// docs/. These tests read the files from the repository root, by absolute
// path: run changes the working directory.

// docPages returns README.md, BENCHMARKS.md and docs/*.md, relative to the
// repository root.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(repoRoot(t), "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 10 {
		t.Fatalf("found only %d pages under docs/", len(pages))
	}
	out := []string{"README.md", "BENCHMARKS.md"}
	for _, p := range pages {
		rel, _ := filepath.Rel(repoRoot(t), p)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func readDoc(t *testing.T, page string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(page)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// block is a fenced code block of a page.
type block struct {
	info  string   // the word after the opening fence: "sh", "yaml", ""
	line  int      // line number of the opening fence
	lines []string // the lines inside the fences
}

// mdLine is a line of a page outside code blocks.
type mdLine struct {
	n    int
	text string
}

// splitMarkdown separates a page into its fenced code blocks and the
// lines outside them.
func splitMarkdown(text string) (blocks []block, prose []mdLine) {
	var cur *block
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			if cur == nil {
				cur = &block{info: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 1}
			} else {
				blocks = append(blocks, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, l)
		} else {
			prose = append(prose, mdLine{i + 1, l})
		}
	}
	return blocks, prose
}

var (
	inlineCode = regexp.MustCompile("`+[^`]*`+")
	mdLink     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	headingRE  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
)

// slug is the anchor GitHub gives a heading: the text without markup,
// lower case, every character but letters, digits, marks, connector
// punctuation, spaces and hyphens removed, spaces turned into hyphens.
func slug(heading string) string {
	heading = mdLink.ReplaceAllStringFunc(heading, func(s string) string { return s[1:strings.Index(s, "](")] })
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors of a page's headings, with GitHub's -1, -2
// suffixes for repeated ones.
func anchors(text string) map[string]bool {
	_, prose := splitMarkdown(text)
	seen := map[string]int{}
	out := map[string]bool{}
	for _, l := range prose {
		m := headingRE.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		s := slug(m[2])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

func TestSlug(t *testing.T) {
	t.Parallel()

	for in, want := range map[string]string{
		"Plan diffs for review: `plan --diff REV`":                   "plan-diffs-for-review-plan---diff-rev",
		"The ordering file: `syncwave.yaml`":                         "the-ordering-file-syncwaveyaml",
		`"plugin not found" / discovery`:                             "plugin-not-found--discovery",
		"1. Build the sidecar image":                                 "1-build-the-sidecar-image",
		"Carvel kapp: `kapp.k14s.io/change-group` and `change_rule`": "carvel-kapp-kappk14siochange-group-and-change_rule",
		"Argo CD compatibility":                                      "argo-cd-compatibility",
		"See [the README](../README.md) first":                       "see-the-readme-first",
		"Chart dependencies: `syncwave init`, chart repositories":    "chart-dependencies-syncwave-init-chart-repositories",
		"The 60-second deadline":                                     "the-60-second-deadline",
		"Helm 4 from Argo CD 3.5":                                    "helm-4-from-argo-cd-35",
		"Inferred dependencies: what a workload references (opt-in)": "inferred-dependencies-what-a-workload-references-opt-in",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	got := anchors("# A\n## B\n```\n# not a heading\n```\n## B\n")
	if want := map[string]bool{"a": true, "b": true, "b-1": true}; !sameSet(got, want) {
		t.Errorf("anchors: %v, want %v", got, want)
	}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestDocsLinks: every relative link of README.md and docs/*.md names a
// file or directory of the repository, and every #anchor a heading of the
// page it points to.
func TestDocsLinks(t *testing.T) {
	t.Parallel()

	checked := 0
	for _, page := range docPages(t) {
		_, prose := splitMarkdown(readDoc(t, page))
		for _, l := range prose {
			for _, m := range mdLink.FindAllStringSubmatch(inlineCode.ReplaceAllString(l.text, "``"), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				where := fmt.Sprintf("%s:%d: link %s", page, l.n, target)
				file, anchor, _ := strings.Cut(target, "#")
				dest := page
				if file != "" {
					dest = filepath.ToSlash(filepath.Join(filepath.Dir(page), file))
					if strings.HasPrefix(dest, "../") {
						t.Errorf("%s: leaves the repository", where)
						continue
					}
				}
				fi, err := os.Stat(filepath.Join(repoRoot(t), filepath.FromSlash(dest)))
				if err != nil {
					t.Errorf("%s: %s does not exist", where, dest)
					continue
				}
				if anchor == "" {
					continue
				}
				if fi.IsDir() || !strings.HasSuffix(dest, ".md") {
					t.Errorf("%s: an anchor into %s, which is not a Markdown page", where, dest)
					continue
				}
				if !anchors(readDoc(t, dest))[anchor] {
					t.Errorf("%s: %s has no heading with the anchor #%s", where, dest, anchor)
				}
			}
		}
	}
	if checked < 80 {
		t.Errorf("checked only %d links", checked)
	}
}

// commandLine is a syncwave command line written in a page.
type commandLine struct {
	where  string
	args   []string // after "syncwave"
	run    bool     // a "$ syncwave ..." line without a comment: run it
	output []string // for run: the lines shown after it
}

// shellWords splits a shell command line into words, honouring single and
// double quotes, and stops at a comment or at the end of the first
// command (|, &&, ;, <, >).
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case strings.ContainsRune("#|&;<>", r) && !in:
			return words
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// commandLines collects the syncwave command lines of a page: in shell
// blocks (sh, bash, console) every line that runs syncwave (or
// bin/syncwave), in plain blocks every "$ syncwave" line, in prose every
// inline code span that starts with "syncwave ".
func commandLines(page, text string) []commandLine {
	var out []commandLine
	blocks, prose := splitMarkdown(text)
	for _, b := range blocks {
		shell := b.info == "sh" || b.info == "bash" || b.info == "console"
		if !shell && b.info != "" {
			continue
		}
		for i := 0; i < len(b.lines); i++ {
			l := b.lines[i]
			cmd, dollar := strings.CutPrefix(l, "$ ")
			if !dollar && !shell {
				continue
			}
			words := shellWords(cmd)
			if len(words) == 0 || (words[0] != "syncwave" && words[0] != "bin/syncwave") {
				continue
			}
			c := commandLine{where: fmt.Sprintf("%s:%d", page, b.line+1+i), args: words[1:]}
			if dollar && !strings.Contains(cmd, "#") {
				c.run = true
				for i+1 < len(b.lines) && !strings.HasPrefix(b.lines[i+1], "$ ") {
					i++
					c.output = append(c.output, b.lines[i])
				}
			}
			out = append(out, c)
		}
	}
	for _, l := range prose {
		for _, span := range inlineCode.FindAllString(l.text, -1) {
			code := strings.Trim(span, "`")
			if !strings.HasPrefix(code, "syncwave ") {
				continue
			}
			out = append(out, commandLine{where: fmt.Sprintf("%s:%d", page, l.n), args: shellWords(code)[1:]})
		}
	}
	return out
}

// checkCommandLine reports the first word that is not a command of the
// CLI, or a flag that command does not have.
func checkCommandLine(root *cobra.Command, args []string) error {
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	for _, a := range rest {
		if !strings.HasPrefix(a, "-") || a == "-" {
			if c == root {
				return fmt.Errorf("no command %q", a)
			}
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		if name == "--help" || name == "-h" {
			continue // cobra adds it to every command when it runs
		}
		if long, ok := strings.CutPrefix(name, "--"); ok {
			if c.Flags().Lookup(long) == nil && c.InheritedFlags().Lookup(long) == nil {
				return fmt.Errorf("%s has no flag --%s", c.CommandPath(), long)
			}
			continue
		}
		for _, s := range name[1:] {
			if c.Flags().ShorthandLookup(string(s)) == nil {
				return fmt.Errorf("%s has no flag -%c", c.CommandPath(), s)
			}
		}
	}
	return nil
}

// TestDocsCommandLines: every syncwave command line in README.md and
// docs/*.md names a real command and real flags. A "$ syncwave ..." line
// without a # comment is run from the repository root, and the lines the
// page shows after it must be its output: "..." stands for lines left out,
// everything else appears in the same order, contiguous between the
// "..."s, from the first line of the output to its last unless a "..."
// says otherwise. A line with a comment is an illustration (of an input
// not in the repository, or of a git history) and is not run.
func TestDocsCommandLines(t *testing.T) {
	root := newRoot(io.Discard, io.Discard, host{})
	var lines, runs int
	for _, page := range docPages(t) {
		for _, c := range commandLines(page, readDoc(t, page)) {
			lines++
			if err := checkCommandLine(root, c.args); err != nil {
				t.Errorf("%s: syncwave %s: %v", c.where, strings.Join(c.args, " "), err)
				continue
			}
			if !c.run {
				continue
			}
			runs++
			t.Run(c.where, func(t *testing.T) {
				out, errOut, code := run(t, repoRoot(t), c.args...)
				if code != 0 || errOut != "" {
					t.Fatalf("syncwave %s: exit %d: %s", strings.Join(c.args, " "), code, errOut)
				}
				if err := matchShown(c.output, out); err != nil {
					t.Errorf("syncwave %s: %v", strings.Join(c.args, " "), err)
				}
			})
		}
	}
	if lines < 40 || runs < 6 {
		t.Errorf("found %d command lines, %d to run", lines, runs)
	}
}

// matchShown checks the lines a page shows against a command's output.
func matchShown(shown []string, out string) error {
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var chunks [][]string
	cur := []string{}
	openStart := len(shown) > 0 && shown[0] == "..."
	openEnd := len(shown) > 0 && shown[len(shown)-1] == "..."
	for _, l := range shown {
		if l == "..." {
			chunks = append(chunks, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, l)
	}
	chunks = append(chunks, cur)
	pos := 0
	for i, ch := range chunks {
		if len(ch) == 0 {
			continue
		}
		at := -1
		for j := pos; j+len(ch) <= len(got); j++ {
			if slices.Equal(got[j:j+len(ch)], ch) {
				at = j
				break
			}
			if i == 0 && !openStart {
				break // the first chunk must start the output
			}
		}
		if at < 0 {
			return fmt.Errorf("the output has no %d lines starting %q after line %d; it is:\n%s", len(ch), ch[0], pos, out)
		}
		pos = at + len(ch)
	}
	if !openEnd && pos != len(got) {
		return fmt.Errorf("the page shows the output up to line %d of %d and no \"...\" after it; the output is:\n%s", pos, len(got), out)
	}
	return nil
}

func TestMatchShown(t *testing.T) {
	t.Parallel()

	out := "a\nb\nc\nd\n"
	for _, tc := range []struct {
		shown []string
		ok    bool
	}{
		{[]string{"a", "b", "c", "d"}, true},
		{[]string{"a", "...", "d"}, true},
		{[]string{"...", "c", "d"}, true},
		{[]string{"a", "b", "..."}, true},
		{[]string{"b", "c", "d"}, false},        // must start the output
		{[]string{"a", "b", "c"}, false},        // must end it
		{[]string{"a", "...", "c", "b"}, false}, // order
		{[]string{"a", "c", "..."}, false},      // contiguous
	} {
		if err := matchShown(tc.shown, out); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.shown, err)
		}
	}
}

// readmePlanCommand is the command the README's picture of plan shows.
var readmePlanCommand = []string{"plan", "examples/sync-hook-wave"}

const (
	planPictureBegin = "<!-- BEGIN plan picture (go test ./internal/cli -run TestReadmePlan -update) -->\n"
	planPictureEnd   = "<!-- END plan picture -->\n"
)

// TestReadmePlan: the README's picture of plan is exactly the output of
// `syncwave plan examples/sync-hook-wave`; -update rewrites it.
func TestReadmePlan(t *testing.T) {
	file := filepath.Join(repoRoot(t), "README.md")
	text := readDoc(t, "README.md")
	i := strings.Index(text, planPictureBegin)
	j := strings.Index(text, planPictureEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q ... %q", planPictureBegin, planPictureEnd)
	}
	out, errOut, code := run(t, repoRoot(t), readmePlanCommand...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := text[:i+len(planPictureBegin)] + "```\n$ syncwave " + strings.Join(readmePlanCommand, " ") + "\n" + out + "```\n" + text[j:]
	if want == text {
		return
	}
	if goldenfile.Updating() {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's picture of plan is not the output of syncwave %s (go test ./internal/cli -run TestReadmePlan -update)\n%s",
		strings.Join(readmePlanCommand, " "), goldenfile.Diff([]byte(text), []byte(want)))
}

// section returns the text of a page from the heading line to the next
// heading of the same or a higher level.
func section(t *testing.T, page, heading string) string {
	t.Helper()
	text := readDoc(t, page)
	level := strings.Index(heading, " ")
	_, rest, ok := strings.Cut(text, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", page, heading)
	}
	for _, l := range strings.SplitAfter(rest, "\n") {
		if m := headingRE.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil && len(m[1]) <= level {
			return rest[:strings.Index(rest, l)]
		}
	}
	return rest
}

// tableRows returns the cells of the first Markdown table in text, without
// its header and separator.
func tableRows(text string) [][]string {
	var rows [][]string
	inTable := false
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		l = strings.ReplaceAll(l, `\|`, "\x00")
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i, c := range cells {
			cells[i] = strings.TrimSpace(strings.ReplaceAll(c, "\x00", "|"))
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		return nil
	}
	return rows[2:]
}

// TestReadmeCommands: the README's command table lists exactly the
// commands of the CLI (cobra's implicit help command aside), each once.
func TestReadmeCommands(t *testing.T) {
	t.Parallel()

	root := newRoot(io.Discard, io.Discard, host{})
	want := map[string]bool{}
	for _, c := range root.Commands() {
		if !c.Hidden && c.Name() != "help" {
			want[c.Name()] = true
		}
	}
	got := map[string]bool{}
	for _, row := range tableRows(section(t, "README.md", "## Commands")) {
		words := strings.Fields(strings.Trim(row[0], "`"))
		if len(words) < 2 || words[0] != "syncwave" {
			t.Errorf("README.md: command table row %q does not start with `syncwave <command>`", row[0])
			continue
		}
		if got[words[1]] {
			t.Errorf("README.md: command %s listed twice", words[1])
		}
		got[words[1]] = true
		if !want[words[1]] {
			t.Errorf("README.md: the command table lists %q, which the CLI does not have", words[1])
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("README.md: the command table lacks %q", name)
		}
	}
}

var (
	longFlag  = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	shortFlag = regexp.MustCompile("(?:^|[ `])-([a-zA-Z])\\b")
)

// TestDocsTables: the tables of the docs that list what the code defines.
func TestDocsTables(t *testing.T) {
	t.Run("flags", func(t *testing.T) {
		// docs/commands.md: every flag of every command, each with the
		// commands that have it.
		root := newRoot(io.Discard, io.Discard, host{})
		documented := map[string]bool{} // "render --order"
		for _, row := range tableRows(section(t, "docs/commands.md", "## Flags")) {
			if len(row) != 3 {
				t.Fatalf("docs/commands.md: flag table row %q has %d cells, want 3", row, len(row))
			}
			longs := longFlag.FindAllStringSubmatch(row[0], -1)
			shorts := shortFlag.FindAllStringSubmatch(row[0], -1)
			if len(longs) == 0 {
				t.Errorf("docs/commands.md: row %q names no flag", row[0])
			}
			for _, path := range strings.Split(row[1], ",") {
				path = strings.TrimSpace(path)
				c, rest, err := root.Find(strings.Fields(path))
				if err != nil || c == root || len(rest) > 0 {
					t.Errorf("docs/commands.md: row %q: no command %q", row[0], path)
					continue
				}
				for _, m := range longs {
					if c.Flags().Lookup(m[1]) == nil {
						t.Errorf("docs/commands.md: %s has no flag --%s", path, m[1])
					}
					documented[path+" --"+m[1]] = true
				}
				for _, m := range shorts {
					f := c.Flags().ShorthandLookup(m[1])
					if f == nil || !slices.ContainsFunc(longs, func(l []string) bool { return l[1] == f.Name }) {
						t.Errorf("docs/commands.md: row %q: -%s is not the shorthand of one of its flags in %s", row[0], m[1], path)
					}
				}
			}
		}
		var walk func(*cobra.Command)
		n := 0
		walk = func(c *cobra.Command) {
			path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
			c.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if f.Name == "help" || c == root {
					return
				}
				n++
				if !documented[path+" --"+f.Name] {
					t.Errorf("docs/commands.md: the flag table lacks --%s of %s", f.Name, path)
				}
			})
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		walk(root)
		if n < 50 {
			t.Errorf("visited only %d flags", n)
		}
	})

	t.Run("sidecar variables", func(t *testing.T) {
		// docs/install.md: the sidecar's own variables are exactly the
		// SYNCWAVE_* constants of plugin/, with the defaults the code applies
		// (a default derived from the container names the fixed one too).
		want := syncwaveConstants(t, filepath.Join(repoRoot(t), "plugin"))
		if len(want) < 8 {
			t.Fatalf("found only %d SYNCWAVE_* constants in plugin/", len(want))
		}
		defaults := map[string]string{
			plugin.EnvTimeout:   plugin.DefaultTimeout.String(),
			plugin.EnvMaxMemory: sandbox.FormatSize(DefaultMaxMemory),
			plugin.EnvMaxOutput: sandbox.FormatSize(DefaultMaxOutput),
		}
		got := map[string]bool{}
		for _, row := range tableRows(section(t, "docs/install.md", "## Sidecar environment")) {
			names := regexp.MustCompile(`SYNCWAVE_[A-Z0-9_]+`).FindAllString(row[0], -1)
			if len(names) == 0 {
				t.Errorf("docs/install.md: sidecar variable row %q names no variable", row[0])
			}
			for _, name := range names {
				got[name] = true
				if !want[name] {
					t.Errorf("docs/install.md: %s is not a variable of plugin/", name)
				}
				if d, ok := defaults[name]; ok && !strings.Contains(row[1], "`"+d+"`") {
					t.Errorf("docs/install.md: %s defaults to %s, the table says %s", name, d, row[1])
				}
			}
		}
		for name := range want {
			if !got[name] {
				t.Errorf("docs/install.md: the sidecar variable table lacks %s", name)
			}
		}
		for _, p := range plugin.Parameters {
			if got[p.EnvName()] {
				t.Errorf("docs/install.md: %s is a parameter's variable; it belongs in the parameter table", p.EnvName())
			}
		}
	})

	t.Run("lint rules", func(t *testing.T) {
		// docs/plan-and-lint.md: lint's rules, in order, with their severity.
		rows := tableRows(section(t, "docs/plan-and-lint.md", "## `syncwave lint`"))
		var got, want []string
		for _, row := range rows {
			got = append(got, row[0]+" "+row[1])
		}
		for _, r := range lint.Rules {
			want = append(want, "`"+r.ID+"` "+string(r.Severity))
		}
		if !slices.Equal(got, want) {
			t.Errorf("docs/plan-and-lint.md: lint's rule table lists\n%q\nlint.Rules are\n%q", got, want)
		}
	})
}

// syncwaveConstants returns the values of the string constants of the Go
// package in dir (tests aside) that name a SYNCWAVE_* variable.
func syncwaveConstants(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					for _, v := range s.(*ast.ValueSpec).Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						val, err := strconv.Unquote(lit.Value)
						if err == nil && strings.HasPrefix(val, "SYNCWAVE_") && len(val) > len("SYNCWAVE_") {
							out[val] = true
						}
					}
				}
			}
		}
	}
	return out
}

// TestDevelopmentLayout: the layout section of docs/development.md names
// every directory of the repository that holds Go code (test/ and its
// packages included).
func TestDevelopmentLayout(t *testing.T) {
	t.Parallel()

	text := readDoc(t, "docs/development.md")
	_, layout, ok := strings.Cut(text, "\nLayout (every Go package")
	if !ok {
		t.Fatal("docs/development.md has no layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	dirs := map[string]bool{}
	root := repoRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if rel != "." && rel != "test" {
				dirs[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 12 {
		t.Fatalf("found only %d package directories", len(dirs))
	}
	for d := range dirs {
		if !strings.Contains(layout, "`"+d+"`") {
			t.Errorf("docs/development.md's layout section does not name `%s`", d)
		}
	}

	// The layers: a package belongs to the "### Layer N" section whose
	// bullet opens with its name; hack/ and test/ stand outside them.
	layer := map[string]int{}
	sections := regexp.MustCompile(`(?m)^### Layer (\d+): `).FindAllStringSubmatchIndex(layout, -1)
	if len(sections) < 3 {
		t.Fatalf("docs/development.md's layout has %d \"### Layer N\" sections", len(sections))
	}
	for _, m := range sections {
		n, _ := strconv.Atoi(layout[m[2]:m[3]])
		body := layout[m[1]:]
		if next := strings.Index(body, "\n### "); next >= 0 {
			body = body[:next]
		}
		for _, line := range strings.Split(body, "\n") {
			names, _, ok := strings.Cut(line, ": ")
			if !ok || !strings.HasPrefix(names, "- ") {
				continue
			}
			for _, b := range backquoted.FindAllStringSubmatch(names, -1) {
				if _, seen := layer[b[1]]; dirs[b[1]] && layered(b[1]) && !seen {
					layer[b[1]] = n
				}
			}
		}
	}
	const module = "github.com/syncwave/syncwave/"
	for d := range dirs {
		if !layered(d) {
			continue
		}
		own, ok := layer[d]
		if !ok {
			t.Errorf("docs/development.md names `%s` outside every \"### Layer N\" section", d)
			continue
		}
		for _, imp := range packageImports(t, filepath.Join(root, d)) {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if l, known := layer[dep]; known && l > own {
				t.Errorf("`%s` (layer %d) imports `%s` (layer %d): a layer builds only on the ones below it", d, own, dep, l)
			}
		}
	}
}

// layered reports whether a package directory belongs to the layers (hack/
// and test/ are tools).
func layered(dir string) bool {
	return !strings.HasPrefix(dir, "hack/") && !strings.HasPrefix(dir, "test/")
}

// packageImports lists the imports of a directory's non-test Go files.
func packageImports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, path)
		}
	}
	return out
}

// TestDocsSyntaxes: the lists of dependency annotation syntaxes in the docs
// are annotate's table: docs/dependency-annotations.md's table row by row,
// and the --dependency-annotations row of docs/commands.md by name.
func TestDocsSyntaxes(t *testing.T) {
	table := annotate.Syntaxes()
	rows := tableRows(section(t, "docs/dependency-annotations.md", "## The syntaxes"))
	if len(rows) != len(table) {
		t.Errorf("docs/dependency-annotations.md: %d rows under \"## The syntaxes\", want %d (one per annotate.Syntaxes)", len(rows), len(table))
	}
	for i, syn := range table {
		if i >= len(rows) {
			break
		}
		row := rows[i]
		if len(row) != 3 {
			t.Errorf("docs/dependency-annotations.md: syntax row %q has %d cells, want 3", row, len(row))
			continue
		}
		var keys []string
		for _, m := range backquoted.FindAllStringSubmatch(row[1], -1) {
			keys = append(keys, m[1])
		}
		if row[0] != "`"+syn.Name+"`" || !slices.Equal(keys, syn.Keys) || row[2] != syn.Doc {
			t.Errorf("docs/dependency-annotations.md: syntax row %d is %q; want `%s` | %q | %s", i, row, syn.Name, syn.Keys, syn.Doc)
		}
	}

	var cell string
	for _, row := range tableRows(section(t, "docs/commands.md", "## Flags")) {
		if strings.HasPrefix(row[0], "`--dependency-annotations ") {
			cell = row[len(row)-1]
		}
	}
	_, list, ok := strings.Cut(cell, "a comma list of ")
	list, _, ok2 := strings.Cut(list, " (default")
	if !ok || !ok2 {
		t.Fatalf("docs/commands.md: --dependency-annotations row %q does not say \"a comma list of ... (default\"", cell)
	}
	var names []string
	for _, m := range backquoted.FindAllStringSubmatch(list, -1) {
		names = append(names, m[1])
	}
	if want := append(annotate.SyntaxNames(), "none"); !slices.Equal(names, want) {
		t.Errorf("docs/commands.md: --dependency-annotations lists %q, want %q", names, want)
	}
}

var backquoted = regexp.MustCompile("`([^`]+)`")
