package order

import (
	"slices"
	"strings"

	"github.com/syncwave/syncwave/manifest"
)

// Index finds the groups whose selectors match a resource without trying
// every selector. Selectors whose name is a literal are looked up by (kind,
// name) or name; those whose name glob starts with a literal prefix
// ("db-*") by that prefix; the rest with a kind by kind; the remaining ones
// are tried one by one. Each candidate is confirmed with Selector.Matches, so
// Match gives exactly the result of a scan over all selectors.
type Index struct {
	byKindName map[kindName][]entry
	byName     map[string][]entry
	byPrefix   map[string][]entry
	maxPrefix  int
	byKind     map[string][]entry
	rest       []entry
}

type kindName struct{ kind, name string }

type entry struct {
	group int
	sel   *Selector
}

// NewIndex indexes the selectors of groups. It compiles selectors that were
// not compiled (Validate does that); a selector that does not compile
// matches nothing. groups must not change while the Index is used.
func NewIndex(groups []Group) *Index {
	x := &Index{byKindName: map[kindName][]entry{}, byName: map[string][]entry{}, byKind: map[string][]entry{}, byPrefix: map[string][]entry{}}
	for gi := range groups {
		for si := range groups[gi].Select {
			s := &groups[gi].Select[si]
			if s.c == nil && s.Compile() != nil {
				continue
			}
			e := entry{gi, s}
			switch {
			case s.Name != "" && IsLiteral(s.Name) && s.Kind != "":
				k := kindName{s.Kind, s.Name}
				x.byKindName[k] = append(x.byKindName[k], e)
			case s.Name != "" && IsLiteral(s.Name):
				x.byName[s.Name] = append(x.byName[s.Name], e)
			case literalPrefix(s.Name) != "":
				p := literalPrefix(s.Name)
				x.byPrefix[p] = append(x.byPrefix[p], e)
				x.maxPrefix = max(x.maxPrefix, len(p))
			case s.Kind != "":
				x.byKind[s.Kind] = append(x.byKind[s.Kind], e)
			default:
				x.rest = append(x.rest, e)
			}
		}
	}
	return x
}

// Match returns the indices, ascending and without repeats, of the groups
// that have a selector matching r.
func (x *Index) Match(r *manifest.Resource) []int {
	var out []int
	try := func(es []entry) {
		for _, e := range es {
			if (len(out) == 0 || out[len(out)-1] != e.group) && e.sel.Matches(r) {
				out = append(out, e.group)
			}
		}
	}
	try(x.byKindName[kindName{r.Kind, r.Name}])
	try(x.byName[r.Name])
	if len(x.byPrefix) > 0 {
		for l := 1; l <= len(r.Name) && l <= x.maxPrefix; l++ {
			try(x.byPrefix[r.Name[:l]])
		}
	}
	try(x.byKind[r.Kind])
	try(x.rest)
	if len(out) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// MatchGroups is the plain scan that Index speeds up.
func MatchGroups(groups []Group, r *manifest.Resource) []int {
	var out []int
	for gi := range groups {
		for si := range groups[gi].Select {
			if groups[gi].Select[si].Matches(r) {
				out = append(out, gi)
				break
			}
		}
	}
	return out
}

// literalPrefix returns the part of a glob before its first special
// character ("" when it starts with one).
func literalPrefix(pattern string) string {
	if i := strings.IndexAny(pattern, `*?[]{}\!`); i >= 0 {
		return pattern[:i]
	}
	return pattern
}
