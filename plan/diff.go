package plan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// Change kinds of a Diff entry.
const (
	Moved       = "moved"       // phase or wave differs
	Appeared    = "appeared"    // a step only the new plan has
	Disappeared = "disappeared" // a step only the old plan has
	Changed     = "changed"     // same phase and wave; group, reason, hook policy or sync options differ
)

// Position is where a step stands in one of the two plans.
type Position struct {
	Phase            argocd.Phase `json:"phase"`
	Wave             int          `json:"wave"`
	Hook             bool         `json:"hook"`
	Group            string       `json:"group"`
	Reason           string       `json:"reason"`
	HookDeletePolicy string       `json:"hookDeletePolicy"`
	SyncOptions      []string     `json:"syncOptions"`
}

// DiffEntry is one resource step whose place or explanation differs.
type DiffEntry struct {
	Change     string `json:"change"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Before is nil for an appeared step, After for a disappeared one.
	Before *Position `json:"before"`
	After  *Position `json:"after"`
	// Fields names what differs: phase, wave, group, reason,
	// hookDeletePolicy, syncOptions.
	Fields []string `json:"fields,omitempty"`
	// Excluded is why the new plan excludes a disappeared step ("" when
	// the resource is gone from the rendering).
	Excluded string `json:"excluded,omitempty"`
}

// Diff is the difference between two plans of one application.
type Diff struct {
	// Base and Head name the two sides ("REV" and "working tree").
	Base    string      `json:"base"`
	Head    string      `json:"head"`
	Entries []DiffEntry `json:"changes"`
	// Unchanged counts the steps that are the same in both plans.
	Unchanged int `json:"unchanged"`
	// ReasonOnly counts the steps left out of Entries by SyncOnly: same
	// phase, wave, hook, delete policy and sync options, only their group
	// or reason differs.
	ReasonOnly int `json:"reasonOnly"`
}

// ReasonOnly reports whether the entry changes nothing in the sync: only
// its group or reason differs.
func (e DiffEntry) ReasonOnly() bool {
	if e.Change != Changed {
		return false
	}
	for _, f := range e.Fields {
		if f != "group" && f != "reason" {
			return false
		}
	}
	return true
}

// SyncOnly drops the entries that change nothing in the sync (ReasonOnly)
// and counts them in ReasonOnly: what is left moved, appeared,
// disappeared, or changed its hook delete policy or sync options.
func (d *Diff) SyncOnly() {
	kept := d.Entries[:0]
	for _, e := range d.Entries {
		if e.ReasonOnly() {
			d.ReasonOnly++
			continue
		}
		kept = append(kept, e)
	}
	d.Entries = kept
}

func stepKey(s Step) string {
	group, _, _ := strings.Cut(s.APIVersion, "/")
	if !strings.Contains(s.APIVersion, "/") {
		group = ""
	}
	return group + "/" + s.Kind + "/" + s.Namespace + "/" + s.Name
}

func position(s Step) *Position {
	return &Position{Phase: s.Phase, Wave: s.Wave, Hook: s.Hook, Group: s.Group, Reason: s.Reason,
		HookDeletePolicy: s.HookDeletePolicy, SyncOptions: slices.Clone(s.SyncOptions)}
}

// CompareWith returns what changed from the plan base to the plan head.
// Steps are matched by API group, kind, namespace and name (a hook with
// several types has one step per phase; they are matched in order).
// Entries come in head's apply order, then the disappeared steps in base's
// order.
func CompareWith(base, head *Plan, baseName, headName string) *Diff {
	d := &Diff{Base: baseName, Head: headName, Entries: []DiffEntry{}}
	old := map[string][]int{}
	for i, s := range base.Steps {
		k := stepKey(s)
		old[k] = append(old[k], i)
	}
	used := make([]bool, len(base.Steps))
	for _, s := range head.Steps {
		k := stepKey(s)
		e := DiffEntry{APIVersion: s.APIVersion, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name, After: position(s)}
		if len(old[k]) == 0 {
			e.Change = Appeared
			d.Entries = append(d.Entries, e)
			continue
		}
		i := old[k][0]
		old[k] = old[k][1:]
		used[i] = true
		b := base.Steps[i]
		e.Before = position(b)
		if b.Phase != s.Phase || b.Hook != s.Hook {
			e.Fields = append(e.Fields, "phase")
		}
		if b.Wave != s.Wave {
			e.Fields = append(e.Fields, "wave")
		}
		if b.Group != s.Group {
			e.Fields = append(e.Fields, "group")
		}
		if b.Reason != s.Reason {
			e.Fields = append(e.Fields, "reason")
		}
		if b.HookDeletePolicy != s.HookDeletePolicy {
			e.Fields = append(e.Fields, "hookDeletePolicy")
		}
		if !slices.Equal(b.SyncOptions, s.SyncOptions) {
			e.Fields = append(e.Fields, "syncOptions")
		}
		switch {
		case len(e.Fields) == 0:
			d.Unchanged++
			continue
		case e.Fields[0] == "phase" || e.Fields[0] == "wave":
			e.Change = Moved
		default:
			e.Change = Changed
		}
		d.Entries = append(d.Entries, e)
	}
	excluded := map[string]string{}
	for _, x := range head.Excluded {
		excluded[stepKey(Step{APIVersion: x.APIVersion, Kind: x.Kind, Namespace: x.Namespace, Name: x.Name})] = x.Reason
	}
	for i, s := range base.Steps {
		if used[i] {
			continue
		}
		d.Entries = append(d.Entries, DiffEntry{Change: Disappeared, APIVersion: s.APIVersion, Kind: s.Kind,
			Namespace: s.Namespace, Name: s.Name, Before: position(s), Excluded: excluded[stepKey(s)]})
	}
	return d
}

func (p *Position) label() string {
	if p == nil {
		return "-"
	}
	l := string(p.Phase)
	if p.Hook && p.Phase == argocd.PhaseSync {
		l = "Sync hook"
	}
	return fmt.Sprintf("%s %d", l, p.Wave)
}

// why is the table's last column: the new reason, and what it replaces.
func (e DiffEntry) why() string {
	switch e.Change {
	case Appeared:
		return e.After.Reason
	case Disappeared:
		if e.Excluded != "" {
			return "now excluded: " + e.Excluded
		}
		return "no longer rendered"
	}
	var parts []string
	if e.After.Reason != e.Before.Reason || e.After.Group != e.Before.Group {
		parts = append(parts, fmt.Sprintf("%s (was: %s)", orDash(e.After.Reason), orDash(e.Before.Reason)))
	} else if e.After.Reason != "" {
		parts = append(parts, e.After.Reason)
	}
	if e.After.HookDeletePolicy != e.Before.HookDeletePolicy {
		parts = append(parts, fmt.Sprintf("hook delete policy %s (was: %s)", orDash(e.After.HookDeletePolicy), orDash(e.Before.HookDeletePolicy)))
	}
	if !slices.Equal(e.After.SyncOptions, e.Before.SyncOptions) {
		parts = append(parts, fmt.Sprintf("sync options %s (was: %s)", orDash(strings.Join(e.After.SyncOptions, ",")), orDash(strings.Join(e.Before.SyncOptions, ","))))
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e DiffEntry) group() string {
	switch {
	case e.After != nil && e.Before != nil && e.After.Group != e.Before.Group:
		return orDash(e.Before.Group) + " → " + orDash(e.After.Group)
	case e.After != nil:
		return orDash(e.After.Group)
	default:
		return orDash(e.Before.Group)
	}
}

// WriteTable writes one line per changed step: the change, the resource,
// its place before and after, its group and the reason (the old one in
// parentheses when it changed), then a count of unchanged steps.
func (d *Diff) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Plan of %s against %s\n\n", d.Head, d.Base)
	if len(d.Entries) == 0 {
		if d.ReasonOnly > 0 {
			fmt.Fprintf(bw, "Nothing changes in the sync: no step moved, appeared, disappeared or changed its hook delete policy or sync options (%s, %d unchanged).\n", d.reasonOnlyText(), d.Unchanged)
			return bw.Flush()
		}
		fmt.Fprintf(bw, "No step moved, appeared, disappeared or changed (%d steps).\n", d.Unchanged)
		return bw.Flush()
	}
	rows := [][]string{{"CHANGE", "KIND", "NAMESPACE/NAME", "BEFORE", "AFTER", "GROUP", "REASON"}}
	for _, e := range d.Entries {
		rows = append(rows, []string{e.Change, e.Kind, nsName(e.Namespace, e.Name), e.Before.label(), e.After.label(), e.group(), e.why()})
	}
	writeRows(bw, rows, nil)
	if d.ReasonOnly > 0 {
		fmt.Fprintf(bw, "\n%d steps differ in the sync, %s, %d are unchanged.\n", len(d.Entries), d.reasonOnlyText(), d.Unchanged)
	} else {
		fmt.Fprintf(bw, "\n%d steps differ, %d are unchanged.\n", len(d.Entries), d.Unchanged)
	}
	return bw.Flush()
}

func (d *Diff) reasonOnlyText() string {
	n := "steps"
	if d.ReasonOnly == 1 {
		n = "step"
	}
	return fmt.Sprintf("%d %s changed only the group or reason (--reasons shows them)", d.ReasonOnly, n)
}

// WriteJSON writes the diff as one JSON object.
func (d *Diff) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// WriteMermaid writes a Mermaid flowchart for a pull request: one box per
// kind of change, each resource as "before → after".
func (d *Diff) WriteMermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart LR")
	if len(d.Entries) == 0 {
		msg := fmt.Sprintf("no change against %s (%d steps)", d.Base, d.Unchanged)
		if d.ReasonOnly > 0 {
			msg = fmt.Sprintf("no change in the sync against %s (%d steps changed only the group or reason)", d.Base, d.ReasonOnly)
		}
		fmt.Fprintf(bw, "  same[\"%s\"]\n", mermaidText(msg))
		return bw.Flush()
	}
	n := 0
	for _, change := range []string{Moved, Appeared, Disappeared, Changed} {
		var lines []string
		for _, e := range d.Entries {
			if e.Change != change {
				continue
			}
			label := e.Kind + " " + nsName(e.Namespace, e.Name) + ": " + e.Before.label() + " → " + e.After.label()
			lines = append(lines, fmt.Sprintf("    d%d[\"%s\"]:::%s", n, mermaidText(label), change))
			n++
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(bw, "  subgraph g_%s[\"%s\"]\n    direction TB\n", change, mermaidText(fmt.Sprintf("%s (%d)", change, len(lines))))
		for _, l := range lines {
			fmt.Fprintln(bw, l)
		}
		fmt.Fprintln(bw, "  end")
	}
	fmt.Fprintln(bw, "  classDef moved fill:#fff4c2,stroke:#b08800")
	fmt.Fprintln(bw, "  classDef appeared fill:#dcffe4,stroke:#22863a")
	fmt.Fprintln(bw, "  classDef disappeared fill:#ffeef0,stroke:#cb2431")
	fmt.Fprintln(bw, "  classDef changed fill:#f1f8ff,stroke:#0366d6")
	return bw.Flush()
}
