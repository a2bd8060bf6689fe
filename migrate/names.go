package migrate

import (
	"fmt"
	"github.com/syncwave/syncwave/argocd"
	"strings"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// ComponentLabel is the label whose value names a group when all its
// members share it.
const ComponentLabel = "app.kubernetes.io/component"

// name gives every group a readable, unique DNS-1123 name: its members'
// component label, else the common prefix of their names, else their
// kind, else the phase and wave. A name already taken gets the hook type,
// then the wave, then a number appended.
func name(groups []*Group, all []*manifest.Resource) {
	taken := map[string]bool{}
	for _, g := range groups {
		base := baseName(g)
		cands := []string{base}
		if g.Hook != argocd.HookNone {
			cands = append(cands, base+"-"+strings.ToLower(string(g.Hook)))
		}
		cands = append(cands, base+"-wave-"+waveWord(g.FromWave))
		n := ""
		for _, c := range cands {
			if c = label(c); !taken[c] {
				n = c
				break
			}
		}
		for i := 2; n == ""; i++ {
			if c := label(fmt.Sprintf("%s-%d", base, i)); !taken[c] {
				n = c
			}
		}
		taken[n] = true
		g.Name = n
	}
}

func waveWord(w int) string {
	if w < 0 {
		return fmt.Sprintf("minus-%d", -w)
	}
	return fmt.Sprint(w)
}

func baseName(g *Group) string {
	if v, ok := sharedLabel(g.Members, ComponentLabel); ok {
		return v
	}
	if p := namePrefix(g.Members); p != "" {
		return p
	}
	kind := g.Members[0].Kind
	for _, r := range g.Members {
		if r.Kind != kind {
			kind = ""
			break
		}
	}
	if kind != "" {
		if len(g.Members) > 1 {
			return strings.ToLower(kind) + "s"
		}
		return strings.ToLower(kind)
	}
	ph := "sync"
	if g.Hook != argocd.HookNone {
		ph = strings.ToLower(string(g.Hook))
	}
	return ph + "-wave-" + waveWord(g.FromWave)
}

// sharedLabel is the value of label key that every resource has, if one.
func sharedLabel(rs []*manifest.Resource, key string) (string, bool) {
	v, ok := rs[0].Labels[key]
	if !ok || v == "" {
		return "", false
	}
	for _, r := range rs[1:] {
		if r.Labels[key] != v {
			return "", false
		}
	}
	return v, true
}

// namePrefix is the longest run of whole dash-separated words that every
// name starts with ("" when it is shorter than three characters).
func namePrefix(rs []*manifest.Resource) string {
	words := strings.Split(rs[0].Name, "-")
	for _, r := range rs[1:] {
		w := strings.Split(r.Name, "-")
		n := 0
		for n < len(words) && n < len(w) && words[n] == w[n] {
			n++
		}
		words = words[:n]
	}
	p := strings.Join(words, "-")
	if len(p) < 3 {
		return ""
	}
	return p
}

// label turns s into a DNS-1123 label: lower case, runs of other
// characters as one dash, at most 63 characters.
func label(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		return "group"
	}
	return out
}

// selectors picks the members and nothing else of all: one label
// selector when the component label says exactly that, else one name glob
// when the names' common prefix does, else a selector per member (by name
// alone when no other resource has that name, else with its kind, then its
// namespace, then its apiVersion; a resource with only a generateName by
// its kind and source path). It also returns the members no selector can
// pick alone (the same object twice, or unnamed twins in one file).
func selectors(members []*manifest.Resource, all []*manifest.Resource) ([]order.Selector, []*manifest.Resource) {
	in := map[*manifest.Resource]bool{}
	for _, r := range members {
		in[r] = true
	}
	exact := func(s order.Selector) bool {
		n := 0
		for _, r := range all {
			if s.Matches(r) {
				if !in[r] {
					return false
				}
				n++
			}
		}
		return n == len(members)
	}
	if v, ok := sharedLabel(members, ComponentLabel); ok {
		if s := (order.Selector{Labels: map[string]string{ComponentLabel: v}}); exact(s) {
			return []order.Selector{s}, nil
		}
	}
	if p := namePrefix(members); p != "" && len(members) > 1 && order.IsLiteral(p) && !sameName(members) {
		if s := (order.Selector{Name: p + "*"}); exact(s) {
			return []order.Selector{s}, nil
		}
	}
	var out []order.Selector
	var lost []*manifest.Resource
	done := map[*manifest.Resource]bool{}
	only := func(s order.Selector) bool {
		for _, r := range all {
			if s.Matches(r) && !in[r] {
				return false
			}
		}
		return true
	}
	for _, r := range members {
		if done[r] {
			continue
		}
		cands := []order.Selector{
			{Name: globEscape(r.Name)},
			{Kind: r.Kind, Name: globEscape(r.Name)},
			{Kind: r.Kind, Name: globEscape(r.Name), Namespace: globEscape(r.Namespace)},
			{APIVersion: r.APIVersion, Kind: r.Kind, Name: globEscape(r.Name), Namespace: globEscape(r.Namespace)},
		}
		if r.Name == "" {
			// generateName: only its file (or template) and kind tell it
			// apart
			path := globEscape(r.Source)
			cands = []order.Selector{
				{Kind: r.Kind, Path: path},
				{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: globEscape(r.Namespace), Path: path},
			}
		}
		picked := false
		for _, s := range cands {
			if only(s) {
				out = append(out, s)
				for _, m := range members {
					if s.Matches(m) {
						done[m] = true
					}
				}
				picked = true
				break
			}
		}
		if !picked {
			lost = append(lost, r)
			done[r] = true
		}
	}
	return out, lost
}

// globEscape quotes the glob characters of s.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]{}\!`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// sameName reports whether every resource has the same name.
func sameName(rs []*manifest.Resource) bool {
	for _, r := range rs[1:] {
		if r.Name != rs[0].Name {
			return false
		}
	}
	return true
}
