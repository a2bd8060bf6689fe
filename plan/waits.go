package plan

import (
	"fmt"
	"io"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
)

// Gate is one wave boundary: the engine starts the next wave only when every
// member of this one that has a health check is healthy (a hook: complete).
// Members without a check count as ready once applied.
type Gate struct {
	Phase     argocd.Phase `json:"phase"`
	Wave      int          `json:"wave"`
	NextPhase argocd.Phase `json:"nextPhase"`
	NextWave  int          `json:"nextWave"`
	Members   []GateMember `json:"members"`

	from, to int // indices in Plan.waves()
}

// GateMember is one resource of a gating wave and how Argo CD judges it.
type GateMember struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Namespace  string     `json:"namespace"`
	Name       string     `json:"name"`
	Hook       bool       `json:"hook"`
	Health     health.How `json:"health"`
	Detail     string     `json:"detail"`
}

// Waiting are the members the engine waits for.
func (g *Gate) Waiting() []GateMember {
	var out []GateMember
	for _, m := range g.Members {
		if m.Health != health.None {
			out = append(out, m)
		}
	}
	return out
}

// Waits is what each wave waits for under one Argo CD line's health checks.
type Waits struct {
	// ArgoCD is the Argo CD line whose checks were used ("2.14", "3.x").
	ArgoCD string `json:"argocd"`
	// UserChecks is the number of checks read from argocd-cm.
	UserChecks int    `json:"userChecks"`
	Gates      []Gate `json:"gates"`
}

// ComputeWaits fills p.Waits: one gate per boundary between consecutive
// waves of the sync (SyncFail waves run only after a failure and gate
// nothing). cm may be nil.
func (p *Plan) ComputeWaits(t *health.Table, cm *health.ConfigMap) {
	w := &Waits{ArgoCD: t.Line, Gates: []Gate{}}
	if cm != nil {
		w.UserChecks = cm.Len()
	}
	waves := p.waves()
	prev := -1
	for i, ws := range waves {
		if ws[0].Phase == argocd.PhaseSyncFail {
			continue
		}
		if prev >= 0 {
			g := Gate{
				Phase: waves[prev][0].Phase, Wave: waves[prev][0].Wave,
				NextPhase: ws[0].Phase, NextWave: ws[0].Wave,
				Members: []GateMember{}, from: prev, to: i,
			}
			for _, s := range waves[prev] {
				j := t.Judge(groupOf(s.APIVersion), s.Kind, cm)
				g.Members = append(g.Members, GateMember{
					APIVersion: s.APIVersion, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name, Hook: s.Hook,
					Health: j.How, Detail: j.Detail,
				})
			}
			w.Gates = append(w.Gates, g)
		}
		prev = i
	}
	p.Waits = w
}

func groupOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// gateTo returns the gate in front of wave index i, or nil.
func (p *Plan) gateTo(i int) *Gate {
	if p.Waits == nil {
		return nil
	}
	for k := range p.Waits.Gates {
		if p.Waits.Gates[k].to == i {
			return &p.Waits.Gates[k]
		}
	}
	return nil
}

// edgeLabel summarises a gate for a diagram edge: the members waited for (at
// most five named) or that nothing is.
func (g *Gate) edgeLabel() string {
	wait := g.Waiting()
	if len(wait) == 0 && len(g.Members) == 1 {
		return "waits for nothing: its only resource has no health check"
	}
	if len(wait) == 0 {
		return fmt.Sprintf("waits for nothing: none of its %d resources has a health check", len(g.Members))
	}
	var names []string
	for i, m := range wait {
		if i == 5 {
			names = append(names, fmt.Sprintf("%d more", len(wait)-5))
			break
		}
		names = append(names, m.Kind+" "+nsName(m.Namespace, m.Name))
	}
	return fmt.Sprintf("waits for %d of %d: %s", len(wait), len(g.Members), strings.Join(names, ", "))
}

// writeWaitsTable writes the WAITS section of the table output.
func (p *Plan) writeWaitsTable(w io.Writer) {
	if p.Waits == nil || len(p.Waits.Gates) == 0 {
		return
	}
	fmt.Fprintln(w)
	rows := [][]string{{"BEFORE", "WAITS FOR", "HEALTH (Argo CD " + p.Waits.ArgoCD + ")"}}
	breaks := map[int]bool{}
	for gi, g := range p.Waits.Gates {
		if gi > 0 {
			breaks[len(rows)] = true
		}
		next := fmt.Sprintf("%s wave %d", g.NextPhase, g.NextWave)
		for i, m := range g.Members {
			b := ""
			if i == 0 {
				b = next
			}
			name := m.Kind + " " + nsName(m.Namespace, m.Name)
			if m.Hook {
				name += " (hook)"
			}
			rows = append(rows, []string{b, name, m.Detail})
		}
	}
	writeRows(w, rows, breaks)
}
