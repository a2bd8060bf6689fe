package order

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

func ptr[T any](v T) *T { return &v }

func TestSelectorMatches(t *testing.T) {
	deploy := &manifest.Resource{Source: "charts/app/templates/deploy.yaml", APIVersion: "apps/v1", Kind: "Deployment", Name: "backend-api", Namespace: "prod",
		Labels: map[string]string{"app": "backend", "tier": "api"}, Annotations: map[string]string{"team": "x"}}
	svc := &manifest.Resource{Source: "svc.yaml", APIVersion: "v1", Kind: "Service", Name: "backend"}
	for _, tc := range []struct {
		name string
		s    Selector
		r    *manifest.Resource
		want bool
	}{
		{"kind", Selector{Kind: "Deployment"}, deploy, true},
		{"kind exact case", Selector{Kind: "deployment"}, deploy, false},
		{"name glob", Selector{Name: "backend*"}, deploy, true},
		{"name glob other", Selector{Name: "backend*"}, svc, true},
		{"name literal", Selector{Name: "backend"}, deploy, false},
		{"braces", Selector{Name: "{frontend,backend}-api"}, deploy, true},
		{"question", Selector{Name: "backend-ap?"}, deploy, true},
		{"namespace", Selector{Namespace: "prod"}, deploy, true},
		{"namespace empty", Selector{Namespace: "prod"}, svc, false},
		{"namespace star matches empty", Selector{Namespace: "*", Kind: "Service"}, svc, true},
		{"path star crosses slash", Selector{Path: "charts/*.yaml"}, deploy, true},
		{"path", Selector{Path: "charts/app/templates/*"}, svc, false},
		{"apiVersion", Selector{APIVersion: "apps/v1"}, deploy, true},
		{"apiVersion other", Selector{APIVersion: "apps/v1beta1"}, deploy, false},
		{"group", Selector{Group: ptr("apps")}, deploy, true},
		{"core group", Selector{Group: ptr("")}, svc, true},
		{"core group not apps", Selector{Group: ptr("")}, deploy, false},
		{"labels", Selector{Labels: map[string]string{"app": "backend", "tier": "api"}}, deploy, true},
		{"labels value", Selector{Labels: map[string]string{"app": "frontend"}}, deploy, false},
		{"labels missing", Selector{Labels: map[string]string{"app": "backend"}}, svc, false},
		{"label empty value present", Selector{Labels: map[string]string{"x": ""}}, deploy, false},
		{"annotations", Selector{Annotations: map[string]string{"team": "x"}}, deploy, true},
		{"all fields", Selector{Group: ptr("apps"), Kind: "Deployment", Name: "*-api", Namespace: "p*", Path: "charts/**", Labels: map[string]string{"tier": "api"}}, deploy, true},
		{"one field fails", Selector{Kind: "Deployment", Name: "frontend*"}, deploy, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if got := s.Matches(tc.r); got != tc.want {
				t.Errorf("uncompiled: got %v", got)
			}
			if err := s.Compile(); err != nil {
				t.Fatal(err)
			}
			if got := s.Matches(tc.r); got != tc.want {
				t.Errorf("compiled: got %v", got)
			}
		})
	}
}

func TestIsLiteral(t *testing.T) {
	for p, want := range map[string]bool{"backend": true, "a.b-c_d": true, "a*": false, "a?": false, "[ab]": false, "{a,b}": false, `a\*`: false} {
		if got := IsLiteral(p); got != want {
			t.Errorf("IsLiteral(%q) = %v", p, got)
		}
	}
}

// randomGroups makes groups whose selectors mix literal names, globs,
// kinds, groups and labels over a small vocabulary, so matches are common.
func randomGroups(r *rand.Rand, n int, names []string) []Group {
	kinds := []string{"", "", "Deployment", "Service", "Job"}
	var gs []Group
	for i := range n {
		g := Group{Name: fmt.Sprintf("g%d", i)}
		for range 1 + r.IntN(3) {
			var s Selector
			s.Kind = kinds[r.IntN(len(kinds))]
			switch r.IntN(6) {
			case 0, 1, 2:
				s.Name = names[r.IntN(len(names))]
			case 3:
				s.Name = names[r.IntN(len(names))][:2] + "*"
			case 4:
				s.Labels = map[string]string{"tier": fmt.Sprint(r.IntN(3))}
			case 5:
				s.Group = ptr([]string{"", "apps", "batch"}[r.IntN(3)])
			}
			if r.IntN(5) == 0 {
				s.Namespace = []string{"prod", "p*", "{qa,dev}"}[r.IntN(3)]
			}
			if s.IsEmpty() {
				s.Kind = "Service"
			}
			g.Select = append(g.Select, s)
		}
		gs = append(gs, g)
	}
	return gs
}

func randomResources(r *rand.Rand, n int, names []string) []*manifest.Resource {
	kinds := []struct{ api, kind string }{{"apps/v1", "Deployment"}, {"v1", "Service"}, {"batch/v1", "Job"}, {"v1", "ConfigMap"}}
	var rs []*manifest.Resource
	for range n {
		k := kinds[r.IntN(len(kinds))]
		rs = append(rs, &manifest.Resource{
			APIVersion: k.api, Kind: k.kind, Name: names[r.IntN(len(names))],
			Namespace: []string{"", "prod", "qa", "dev"}[r.IntN(4)],
			Labels:    map[string]string{"tier": fmt.Sprint(r.IntN(4))},
		})
	}
	return rs
}

func TestIndexMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := range 50 {
		var names []string
		for i := range 5 + r.IntN(30) {
			names = append(names, fmt.Sprintf("%c%c-%d", 'a'+r.IntN(3), 'a'+r.IntN(3), i))
		}
		groups := randomGroups(r, 1+r.IntN(60), names)
		x := NewIndex(groups)
		matched := 0
		for _, res := range randomResources(r, 300, names) {
			got, want := x.Match(res), MatchGroups(groups, res)
			if !slices.Equal(got, want) {
				t.Fatalf("iteration %d: %v: index %v, scan %v", iter, res, got, want)
			}
			matched += len(got)
		}
		if matched == 0 {
			t.Errorf("iteration %d: nothing matched; the test proves little", iter)
		}
	}
}

func BenchmarkIndexMatch(b *testing.B) {
	const nGroups, nResources = 10000, 100000
	r := rand.New(rand.NewPCG(9, 10))
	var groups []Group
	var res []*manifest.Resource
	kinds := []string{"Deployment", "Service", "ConfigMap", "Job"}
	for i := range nGroups {
		groups = append(groups, Group{Name: fmt.Sprintf("g%d", i), Select: []Selector{
			{Kind: kinds[i%len(kinds)], Name: fmt.Sprintf("app-%d", i)},
			{Name: fmt.Sprintf("svc-%d", i)},
		}})
	}
	// a few glob selectors that every resource must be tried against
	for i := range 10 {
		groups[i].Select = append(groups[i].Select, Selector{Name: fmt.Sprintf("legacy-%d-*", i)})
	}
	for i := range nResources {
		j := r.IntN(nGroups)
		name := fmt.Sprintf("app-%d", j)
		if i%2 == 1 {
			name = fmt.Sprintf("svc-%d", j)
		}
		res = append(res, &manifest.Resource{APIVersion: "apps/v1", Kind: kinds[j%len(kinds)], Name: name, Namespace: "prod"})
	}
	x := NewIndex(groups)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, rs := range res {
			n += len(x.Match(rs))
		}
		if n < nResources {
			b.Fatalf("only %d matches", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nResources, "ns/resource")
}
