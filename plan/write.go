package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/syncwave/syncwave/argocd"
)

// waves groups consecutive steps of one phase and wave: the engine applies
// each such run in one go (tasks of a phase and wave that the engine's
// adjustments moved stay next to the task they were moved in front of).
// The runs are slices of p.Steps (capped, so an append copies).
func (p *Plan) waves() [][]Step {
	var out [][]Step
	start := 0
	for i, s := range p.Steps {
		if i > 0 && (s.Phase != p.Steps[i-1].Phase || s.Wave != p.Steps[i-1].Wave) {
			out = append(out, p.Steps[start:i:i])
			start = i
		}
	}
	if len(p.Steps) > 0 {
		out = append(out, p.Steps[start:len(p.Steps):len(p.Steps)])
	}
	return out
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func phaseLabel(s Step) string {
	if s.Hook && s.Phase == argocd.PhaseSync {
		return "Sync hook"
	}
	return string(s.Phase)
}

// WriteTable writes the plan as aligned columns, one line per step, a blank
// line between waves, then the excluded resources. Steps whose relative
// order Argo CD does not fix are marked with "=" after the name.
func (p *Plan) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	rows := make([][]string, 1, len(p.Steps)+1)
	rows[0] = []string{"PHASE", "WAVE", "KIND", "NAMESPACE/NAME", "GROUP", "REASON"}
	cells := make([]string, 0, 6*len(p.Steps)) // one array for all rows
	breaks := map[int]bool{}                   // a blank line before row i
	for i, s := range p.Steps {
		if i > 0 && (s.Phase != p.Steps[i-1].Phase || s.Wave != p.Steps[i-1].Wave) {
			breaks[len(rows)] = true
		}
		name := nsName(s.Namespace, s.Name)
		if s.Tie != 0 {
			name += " ="
		}
		group := s.Group
		if group == "" {
			group = "-"
		}
		cells = append(cells, phaseLabel(s), strconv.Itoa(s.Wave), s.Kind, name, group, s.Reason)
		rows = append(rows, cells[len(cells)-6:len(cells):len(cells)])
	}
	if len(p.Steps) == 0 {
		rows = append(rows, []string{"-", "", "", "(no resources to apply)", "", ""})
	}
	writeRows(bw, rows, breaks)
	p.writeWaitsTable(bw)
	if len(p.Excluded) > 0 {
		fmt.Fprintln(bw)
		rows = [][]string{{"EXCLUDED", "KIND", "NAMESPACE/NAME", "REASON"}}
		for _, e := range p.Excluded {
			rows = append(rows, []string{e.Source, e.Kind, nsName(e.Namespace, e.Name), e.Reason})
		}
		writeRows(bw, rows, nil)
	}
	return bw.Flush()
}

// writeRows aligns columns (by rune count) across all rows; the last column
// is not padded.
func writeRows(w io.Writer, rows [][]string, breaks map[int]bool) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r[:len(r)-1] {
			if n := utf8.RuneCountInString(c); n > width[i] {
				width[i] = n
			}
		}
	}
	var b []byte
	for ri, r := range rows {
		if breaks[ri] {
			b = append(b[:0], '\n')
			w.Write(b)
		}
		b = b[:0]
		for i, c := range r {
			b = append(b, c...)
			if i < len(r)-1 {
				for n := width[i] - utf8.RuneCountInString(c) + 2; n > 0; n-- {
					b = append(b, ' ')
				}
			}
		}
		b = append(bytes.TrimRight(b, " "), '\n')
		w.Write(b)
	}
}

// WriteJSON writes {"steps": [...], "excluded": [...]} (SPEC §1).
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	out := *p
	if out.Steps == nil {
		out.Steps = []Step{}
	}
	if out.Excluded == nil {
		out.Excluded = []Excluded{}
	}
	return enc.Encode(out)
}

// mermaidText escapes a label for a double-quoted Mermaid label: quotes and
// the characters Mermaid or its HTML labels would interpret become entity
// codes.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#':
			b.WriteString("#35;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '`':
			b.WriteString("#96;")
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func stepLabel(s Step) string {
	l := s.Kind + " " + nsName(s.Namespace, s.Name)
	if s.Hook {
		l += " (hook)"
	}
	if s.Tie != 0 {
		l += " (unordered tie)"
	}
	return l
}

func waveLabel(s Step) string {
	l := fmt.Sprintf("%s wave %d", s.Phase, s.Wave)
	if s.Phase == argocd.PhaseSyncFail {
		l += " (only if the sync fails)"
	}
	return l
}

// WriteMermaid writes a Mermaid flowchart: one box per phase and wave in
// apply order, each holding its resources; SyncFail waves hang off the chain
// with a dotted "on failure" link; excluded resources sit in their own box.
func (p *Plan) WriteMermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart TD")
	waves := p.waves()
	n := 0
	lastOK := ""
	var links []string
	for i, ws := range waves {
		id := fmt.Sprintf("w%d", i)
		fmt.Fprintf(bw, "  subgraph %s[\"%s\"]\n", id, mermaidText(waveLabel(ws[0])))
		fmt.Fprintln(bw, "    direction TB")
		for _, s := range ws {
			fmt.Fprintf(bw, "    s%d[\"%s\"]\n", n, mermaidText(stepLabel(s)))
			n++
		}
		fmt.Fprintln(bw, "  end")
		switch {
		case ws[0].Phase == argocd.PhaseSyncFail && lastOK != "":
			links = append(links, fmt.Sprintf("  %s -. on failure .-> %s", lastOK, id))
		case ws[0].Phase == argocd.PhaseSyncFail:
		default:
			if lastOK != "" {
				arrow := "-->"
				if g := p.gateTo(i); g != nil {
					arrow = fmt.Sprintf("-->|\"%s\"|", mermaidText(g.edgeLabel()))
				}
				links = append(links, fmt.Sprintf("  %s %s %s", lastOK, arrow, id))
			}
			lastOK = id
		}
	}
	if len(p.Excluded) > 0 {
		fmt.Fprintln(bw, "  subgraph excluded[\"excluded: never applied in a sync\"]")
		fmt.Fprintln(bw, "    direction TB")
		for i, e := range p.Excluded {
			fmt.Fprintf(bw, "    x%d[\"%s\"]\n", i, mermaidText(e.Kind+" "+nsName(e.Namespace, e.Name)))
		}
		fmt.Fprintln(bw, "  end")
	}
	for _, l := range links {
		fmt.Fprintln(bw, l)
	}
	return bw.Flush()
}

// dotText quotes a string for Graphviz.
func dotText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

// WriteDot writes a Graphviz digraph: a cluster per phase and wave in apply
// order, linked in sequence, SyncFail waves with a dashed "on failure" edge,
// and a cluster of excluded resources.
func (p *Plan) WriteDot(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph plan {")
	fmt.Fprintln(bw, "  rankdir=TB;")
	fmt.Fprintln(bw, "  compound=true;")
	fmt.Fprintln(bw, "  node [shape=box];")
	n := 0
	lastOK := -1
	first := map[int]int{} // wave index -> its first node
	var links []string
	for i, ws := range p.waves() {
		fmt.Fprintf(bw, "  subgraph cluster_w%d {\n", i)
		fmt.Fprintf(bw, "    label=%s;\n", dotText(waveLabel(ws[0])))
		first[i] = n
		for _, s := range ws {
			fmt.Fprintf(bw, "    s%d [label=%s];\n", n, dotText(stepLabel(s)))
			n++
		}
		fmt.Fprintln(bw, "  }")
		switch {
		case ws[0].Phase == argocd.PhaseSyncFail && lastOK >= 0:
			links = append(links, fmt.Sprintf("  s%d -> s%d [ltail=cluster_w%d, lhead=cluster_w%d, style=dashed, label=\"on failure\"];", first[lastOK], first[i], lastOK, i))
		case ws[0].Phase == argocd.PhaseSyncFail:
		default:
			if lastOK >= 0 {
				label := ""
				if g := p.gateTo(i); g != nil {
					label = ", label=" + dotText(g.edgeLabel())
				}
				links = append(links, fmt.Sprintf("  s%d -> s%d [ltail=cluster_w%d, lhead=cluster_w%d%s];", first[lastOK], first[i], lastOK, i, label))
			}
			lastOK = i
		}
	}
	if len(p.Excluded) > 0 {
		fmt.Fprintln(bw, "  subgraph cluster_excluded {")
		fmt.Fprintln(bw, "    label=\"excluded: never applied in a sync\";")
		fmt.Fprintln(bw, "    style=dashed;")
		for i, e := range p.Excluded {
			fmt.Fprintf(bw, "    x%d [label=%s];\n", i, dotText(e.Kind+" "+nsName(e.Namespace, e.Name)))
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, l := range links {
		fmt.Fprintln(bw, l)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
