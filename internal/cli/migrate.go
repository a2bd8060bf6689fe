package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/migrate"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

func newMigrate(stdout, stderr io.Writer, h host) *cobra.Command {
	var f renderFlags
	var outFile string
	var strip bool
	c := &cobra.Command{
		Use:   "migrate [PATH]",
		Short: "Write a syncwave.yaml that reproduces the sync-wave and hook annotations of PATH",
		Long: `Render PATH (a directory of manifests, a Helm chart or a Kustomize overlay)
as "syncwave plan" does, read the order its hand-written Argo CD annotations
give (the sync-wave, hook and hook-delete-policy annotations) and write an
ordering file whose groups and after edges reproduce it: every resource keeps
its phase, its hook and delete policy, and its place in the wave order.

Groups are few and named after what their resources share: the
app.kubernetes.io/component label, a name prefix, else the kind. Waves are
an order to Argo CD (a gap between waves changes nothing), so groups follow
one another by edges; a group is pinned to its wave only when it must stay on
one side of resources no group selects (unannotated resources sit in wave 0).
What cannot be carried over (a hook of several types, a delete hook, an
invalid wave) keeps its annotations and is listed.

Before anything is written, the new ordering is checked: the plan with the
ordering file must equal the plan without it (phase, hook, delete policy and
wave order of every resource), with the annotations still there and, with
--strip, with them removed. A mismatch is an error and nothing is written.

The ordering file goes to PATH/syncwave.yaml (or --output FILE, "-" for
stdout); an existing file is never overwritten. With --strip, the annotations
the groups now carry are removed from the manifest files in place (a
directory source only: a chart's templates are not plain YAML); every other
line stays as it was. Without --strip the annotations stay, and the groups
override them.`,
		Example: `  syncwave migrate apps/shop
  syncwave migrate --strip apps/shop
  syncwave migrate -o - charts/backend`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts, err := f.prepare(h, args)
			if err != nil {
				return err
			}
			if outFile == "" {
				outFile = filepath.Join(opts.Path, pipeline.DefaultOrderFile)
			}
			if outFile != "-" {
				if _, err := os.Lstat(h.path(outFile)); err == nil {
					return fmt.Errorf("%s exists; migrate never overwrites an ordering file (name another with --output)", outFile)
				}
			}
			var m *migration
			err = contained(c.Context(), f.limits, "migrate "+opts.Path, func(ctx context.Context) error {
				var err error
				m, err = runMigrate(ctx, opts, strip, stderr)
				return err
			})
			if err != nil {
				return err
			}
			return m.write(outFile, h.path(outFile), stdout, stderr)
		},
	}
	f.register(c)
	c.Flags().StringVarP(&outFile, "output", "o", "", `ordering file to write ("-" for stdout) (default PATH/syncwave.yaml)`)
	c.Flags().BoolVar(&strip, "strip", false, "remove the annotations the groups now carry from the manifest files, in place (directory sources)")
	return c
}

// migration is a checked migration, ready to be written.
type migration struct {
	path   string
	dir    string // the working directory path is taken from (host.dir)
	result *migrate.Result
	yaml   []byte
	files  map[string][]byte // app-relative file -> new text (--strip)
	notes  []string
	// rewritten are the documents --strip wrote afresh (their metadata
	// could not be edited line by line)
	rewritten []string
}

// runMigrate computes and checks the migration of opts. It writes nothing.
func runMigrate(ctx context.Context, opts pipeline.Options, strip bool, stderr io.Writer) (*migration, error) {
	app, err := pipeline.Resolve(opts)
	if err != nil {
		return nil, err
	}
	if app.Order != nil {
		where := app.OrderRel
		if where == "" {
			where = "the ordering given"
		}
		return nil, fmt.Errorf("%s already has an ordering file (%s); migrate reads an application ordered by annotations alone", opts.Path, where)
	}
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return nil, err
	}
	popt := plan.Options{Namespace: opts.Namespace, ArgoCD: argo}
	out, err := pipeline.Run(ctx, opts)
	printWarnings(stderr, out.Warnings)
	if err != nil {
		return nil, err
	}
	before, err := planOf(out, popt)
	if err != nil {
		return nil, err
	}
	var all []*manifest.Resource
	for _, s := range before.Steps {
		all = append(all, s.Resource)
	}
	for _, x := range before.Excluded {
		all = append(all, x.Resource)
	}
	res, err := migrate.Migrate(before, all)
	if err != nil {
		return nil, err
	}
	m := &migration{path: opts.Path, dir: opts.Dir, result: res, notes: res.Notes}
	if m.yaml, err = res.YAML(opts.Path); err != nil {
		return nil, err
	}
	if _, err := order.Decode("the migrated ordering", m.yaml, annotate.SyntaxNames()); err != nil {
		return nil, fmt.Errorf("the migrated ordering is invalid (a bug): %w", err)
	}
	check := func(o pipeline.Options, what string) error {
		o.Order = m.yaml
		o.OrderFile = ""
		out, err := pipeline.Run(ctx, o)
		if err != nil {
			return fmt.Errorf("render with the migrated ordering (%s): %w", what, err)
		}
		after, err := planOf(out, popt)
		if err != nil {
			return err
		}
		if err := migrate.CompareError(before, after); err != nil {
			return fmt.Errorf("%s: %w; nothing was written", what, err)
		}
		return nil
	}
	if err := check(opts, "with the annotations kept"); err != nil {
		return nil, err
	}
	if !strip || len(res.Carried) == 0 {
		return m, nil
	}
	for _, s := range app.Sources {
		if s.Directory == nil {
			return nil, fmt.Errorf("--strip rewrites plain manifest files, and %s is a %s source: remove the annotations by hand from the templates listed by migrate without --strip (the groups override them meanwhile)", opts.Path, s.Kind())
		}
	}
	if err := m.stripFiles(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "syncwave-migrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := copyApp(inDir(opts.Dir, opts.Path), tmp, m.files); err != nil {
		return nil, err
	}
	o := opts
	o.Path, o.RepoRoot = tmp, tmp
	if err := check(o, "with the annotations removed"); err != nil {
		return nil, err
	}
	return m, nil
}

// stripFiles computes the new text of every file that holds a carried
// resource.
func (m *migration) stripFiles() error {
	carried := map[string]bool{}
	bySource := map[string]bool{}
	for _, r := range m.result.Carried {
		carried[migrate.StripKey(r)] = true
		bySource[r.Source] = true
	}
	var sources []string
	for s := range bySource {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	m.files = map[string][]byte{}
	for _, s := range sources {
		if strings.HasSuffix(s, ".json") {
			m.notes = append(m.notes, fmt.Sprintf("%s: a JSON file is not rewritten; remove its ordering annotations by hand (the groups override them)", s))
			continue
		}
		file := inDir(m.dir, filepath.Join(m.path, filepath.FromSlash(s)))
		if fi, err := os.Lstat(file); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			m.notes = append(m.notes, fmt.Sprintf("%s: a symbolic link is not rewritten (the file it names may belong to other applications); remove its ordering annotations by hand (the groups override them)", s))
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("--strip: %w", err)
		}
		nb, n, rewritten, err := migrate.Strip(s, data, carried)
		if err != nil {
			return fmt.Errorf("--strip: %w", err)
		}
		m.rewritten = append(m.rewritten, rewritten...)
		if n > 0 {
			m.files[s] = nb
		}
	}
	return nil
}

// copyApp copies the regular files under src to dst, with replace's text
// for the files it names; a symbolic link to a file is copied as the file,
// one to a directory is not followed.
func copyApp(src, dst string, replace map[string][]byte) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && rel != "." {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// a link to a file is copied as that file (the rendering
			// before already judged where it points); the directory
			// source never follows a link to a directory
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		data, ok := replace[filepath.ToSlash(rel)]
		if !ok {
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// write writes the ordering file and the stripped manifests, then the
// summary (to stderr when the ordering file goes to stdout). outFile is the
// name as given, target the file on disk (host.path).
func (m *migration) write(outFile, target string, stdout, stderr io.Writer) error {
	summary := stdout
	if outFile == "-" {
		if _, err := stdout.Write(m.yaml); err != nil {
			return err
		}
		summary = stderr
	} else {
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write the ordering file: %w", err)
		}
		_, err = f.Write(m.yaml)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write the ordering file %s: %w", outFile, err)
		}
	}
	var names []string
	for s := range m.files {
		names = append(names, s)
	}
	sort.Strings(names)
	var errs []error
	for _, s := range names {
		if err := replaceFile(inDir(m.dir, filepath.Join(m.path, filepath.FromSlash(s))), m.files[s]); err != nil {
			errs = append(errs, err)
		}
	}
	m.printSummary(summary, outFile, names)
	return errors.Join(errs...)
}

// replaceFile writes data over file through a temporary file in the same
// directory, keeping its mode.
func replaceFile(file string, data []byte) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".syncwave-migrate-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), fi.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("--strip: rewrite %s: %w", file, err)
	}
	return nil
}

func (m *migration) printSummary(w io.Writer, outFile string, stripped []string) {
	r := m.result
	pinned := 0
	for _, g := range r.Groups {
		if g.Pinned != "" {
			pinned++
		}
	}
	where := outFile
	if outFile == "-" {
		where = "stdout"
	}
	fmt.Fprintf(w, "Wrote %s: %d %s (%d pinned) for %d %s; the plan with it equals the plan of the annotations.\n",
		where, len(r.Groups), plural(len(r.Groups), "group", "groups"), pinned, len(r.Carried), plural(len(r.Carried), "resource", "resources"))
	for _, g := range r.Groups {
		ph := string(g.Hook.Phase())
		extra := ""
		if g.Pinned != "" {
			extra = " pinned: " + g.Pinned
		}
		fmt.Fprintf(w, "  %-24s %-9s wave %-4d %d %s%s\n", g.Name, ph, g.FromWave, len(g.Members), plural(len(g.Members), "resource", "resources"), extra)
	}
	if len(stripped) > 0 {
		fmt.Fprintf(w, "Removed %s from %d %s: %s\n", strings.Join(migrate.StripKeys, ", "), len(stripped), plural(len(stripped), "file", "files"), strings.Join(stripped, ", "))
	} else if len(r.Carried) > 0 {
		fmt.Fprintf(w, "The annotations stay in the manifests; the groups override them (--strip removes them from plain manifest files):\n")
		for _, c := range r.Carried {
			fmt.Fprintf(w, "  %s %s\n", c.Where(), c)
		}
	}
	if len(m.rewritten) > 0 {
		fmt.Fprintf(w, "Written afresh, as the metadata could not be edited line by line (comments in them are gone): %s\n", strings.Join(m.rewritten, ", "))
	}
	if len(m.notes) > 0 {
		fmt.Fprintf(w, "Not carried over (left as it was):\n")
		for _, n := range m.notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}
