package order

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

// orderOf builds an order from lines "name [wave=N] [hook=H] [after=a,b] [before=c]".
func orderOf(t testing.TB, defWave int, lines ...string) *SyncOrder {
	t.Helper()
	o := &SyncOrder{APIVersion: APIVersion, Kind: Kind, Defaults: Defaults{Wave: &defWave}}
	for _, l := range lines {
		f := strings.Fields(l)
		g := Group{Name: f[0], Optional: true}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "wave":
				var n int
				fmt.Sscan(v, &n)
				g.Wave = &n
			case "hook":
				g.Hook = argocd.Hook(v)
			case "after":
				g.After = strings.Split(v, ",")
			case "before":
				g.Before = strings.Split(v, ",")
			default:
				t.Fatalf("bad field %q", kv)
			}
		}
		o.Groups = append(o.Groups, g)
	}
	return o
}

func wavesOf(w *Waves) string {
	var s []string
	for _, g := range w.Groups {
		s = append(s, fmt.Sprintf("%s=%s/%d", g.Name, g.Phase, g.Wave))
	}
	return strings.Join(s, " ")
}

func TestComputeWaves(t *testing.T) {
	for _, tc := range []struct {
		name  string
		def   int
		lines []string
		want  string // waves, or the error text when it contains ":"
	}{
		{"seed", 0, []string{"webhook wave=-1", "database", "schema after=database", "backend after=schema", "frontend after=backend", "restore hook=PostSync", "notify hook=PostSync after=restore"},
			"webhook=Sync/-1 database=Sync/0 schema=Sync/1 backend=Sync/2 frontend=Sync/3 restore=PostSync/0 notify=PostSync/1"},
		{"before pin -1 lands at -2", 0, []string{"webhook wave=-1", "certs before=webhook"},
			"webhook=Sync/-1 certs=Sync/-2"},
		{"chain before pin", 0, []string{"a before=b", "b before=c", "c wave=-1"},
			"a=Sync/-3 b=Sync/-2 c=Sync/-1"},
		{"before a high pin keeps default", 0, []string{"a before=b", "b wave=7"},
			"a=Sync/0 b=Sync/7"},
		{"after a pin", 0, []string{"a wave=4", "b after=a"},
			"a=Sync/4 b=Sync/5"},
		{"default wave", 3, []string{"a", "b after=a", "c before=d", "d wave=1"},
			"a=Sync/3 b=Sync/4 c=Sync/0 d=Sync/1"},
		{"before equals after", 0, []string{"a", "b after=a"},
			"a=Sync/0 b=Sync/1"},
		{"longest path", 0, []string{"a", "b after=a", "c after=b", "d after=a,c", "e before=d"},
			"a=Sync/0 b=Sync/1 c=Sync/2 d=Sync/3 e=Sync/0"},
		{"squeeze between pins", 0, []string{"a wave=0", "b after=a before=c", "c wave=2"},
			"a=Sync/0 b=Sync/1 c=Sync/2"},
		{"earlier phase adds nothing", 0, []string{"pre hook=PreSync", "x after=pre", "post hook=PostSync after=x,pre", "synchook hook=Sync after=x"},
			"pre=PreSync/0 x=Sync/0 post=PostSync/0 synchook=Sync/1"},
		{"special phases among themselves", 0, []string{"f1 hook=SyncFail", "f2 hook=SyncFail after=f1", "d1 hook=PreDelete", "d2 hook=PreDelete after=d1"},
			"f1=SyncFail/0 f2=SyncFail/1 d1=PreDelete/0 d2=PreDelete/1"},

		{"cycle", 0, []string{"backend after=schema", "schema after=backend"},
			`groups[0].after[0]: cycle: backend -> schema (groups[0].after[0]) -> backend (groups[1].after[0])`},
		{"cycle of three and downstream", 0, []string{"a after=c", "b after=a", "c after=b", "d after=c"},
			`groups[0].after[0]: cycle: a -> c (groups[0].after[0]) -> b (groups[2].after[0]) -> a (groups[1].after[0])`},
		{"later phase", 0, []string{"a hook=PreSync after=b", "b"},
			`groups[0].after[0]: "a" (phase PreSync) cannot come after "b" (phase Sync)`},
		{"special with ordered", 0, []string{"a hook=SyncFail", "b before=a"},
			`groups[1].before[0]: "a" is a SyncFail group, which can be ordered only among SyncFail groups, but "b" is in phase Sync`},
		{"special with other special", 0, []string{"a hook=PreDelete", "b hook=PostDelete after=a"},
			`groups[1].after[0]: "b" is a PostDelete group`},
		{"pins crossed", 0, []string{"a wave=1", "b wave=1 after=a"},
			`groups[1].after[0]: pinned waves contradict this edge: "b" (wave 1) must come after "a" (wave 1)`},
		{"bounds cross", 0, []string{"a wave=0", "b after=a before=c", "c wave=1"},
			`groups[1]: no wave fits group "b": it comes after "a" (wave 0), so it needs wave 1 or later, and it comes before "c" (pinned at wave 1), so it needs wave 0 or earlier`},
		{"after a pin at the top of the int range", 0, []string{"big wave=9223372036854775807", "after after=big"},
			`groups[1]: no wave fits group "after": it comes after "big" (wave 9223372036854775807), the highest wave Argo CD reads (a 64-bit integer)`},
		{"before a pin at the bottom of the int range", 0, []string{"small wave=-9223372036854775808", "first before=small"},
			`groups[1]: no wave fits group "first": it comes before "small" (pinned at wave -9223372036854775808), the lowest wave Argo CD reads (a 64-bit integer)`},
		{"two before a pin at the bottom of the int range", 0, []string{"small wave=-9223372036854775808", "second before=small", "first before=second"},
			`groups[1]: no wave fits group "second": it comes before "small"`},
		{"pins at both ends of the range", 0, []string{"small wave=-9223372036854775808", "big wave=9223372036854775807", "mid after=small before=big"},
			"small=Sync/-9223372036854775808 big=Sync/9223372036854775807 mid=Sync/0"},
		{"unknown name", 0, []string{"database", "schema after=databse"},
			`groups[1].after[0]: no group named "databse" (did you mean "database"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := orderOf(t, tc.def, tc.lines...)
			w, err := o.ComputeWaves()
			if strings.Contains(tc.want, ":") {
				if err == nil {
					t.Fatalf("no error; got %s", wavesOf(w))
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
				}
				if err2 := o.Validate(); err2 == nil || !strings.Contains(err2.Error(), tc.want) {
					t.Errorf("Validate() = %v; want it to report the same", err2)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := wavesOf(w); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestComputeWavesReasons(t *testing.T) {
	o := orderOf(t, 0, "webhook wave=-1", "certs before=webhook", "db", "schema after=db", "app after=db,schema")
	w, err := o.ComputeWaves()
	if err != nil {
		t.Fatal(err)
	}
	certs, _ := w.Get("certs")
	if certs.Bound != BoundBefore || certs.Limit == nil || *certs.Limit != (GroupRef{Name: "webhook", Wave: -1}) || len(certs.Before) != 1 || certs.Before[0] != (GroupRef{Name: "webhook", Wave: -1}) {
		t.Errorf("certs = %+v", certs)
	}
	app, _ := w.Get("app")
	if app.Bound != BoundAfter || app.Wave != 2 || fmt.Sprint(app.After) != "[{db 0 } {schema 1 }]" {
		t.Errorf("app = %+v", app)
	}
	if db, _ := w.Get("db"); db.Bound != BoundDefault || fmt.Sprint(db.Before) != "[{schema 1 } {app 2 }]" {
		t.Errorf("db = %+v", db)
	}
	if wh, _ := w.Get("webhook"); !wh.Pinned || wh.Bound != BoundPinned {
		t.Errorf("webhook = %+v", wh)
	}
}

// TestComputeWavesAllErrors checks that one run reports every kind of
// problem.
func TestComputeWavesAllErrors(t *testing.T) {
	o := orderOf(t, 0, "a after=b", "b after=a", "c wave=1", "d wave=1 after=c", "e hook=PreSync after=c", "f after=nope")
	_, err := o.ComputeWaves()
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("got %d errors, want 4:\n%v", n, err)
	}
}

// randomDAG returns n groups with m edges between them in a random
// topological order, written as after or before at random.
func randomDAG(r *rand.Rand, n, m int, defWave int) *SyncOrder {
	perm := r.Perm(n)
	o := &SyncOrder{APIVersion: APIVersion, Kind: Kind, Defaults: Defaults{Wave: &defWave}}
	for i := range n {
		o.Groups = append(o.Groups, Group{Name: fmt.Sprintf("g%d", i), Optional: true})
	}
	for range m {
		a, b := r.IntN(n), r.IntN(n)
		if perm[a] == perm[b] {
			continue
		}
		if perm[a] > perm[b] {
			a, b = b, a
		}
		// a comes before b
		if r.IntN(2) == 0 {
			o.Groups[b].After = append(o.Groups[b].After, o.Groups[a].Name)
		} else {
			o.Groups[a].Before = append(o.Groups[a].Before, o.Groups[b].Name)
		}
	}
	return o
}

// longestPath is the reference layering, by repeated relaxation.
func longestPath(o *SyncOrder) []int {
	idx := map[string]int{}
	for i, g := range o.Groups {
		idx[g.Name] = i
	}
	type e struct{ from, to int }
	var edges []e
	for i, g := range o.Groups {
		for _, a := range g.After {
			edges = append(edges, e{idx[a], i})
		}
		for _, b := range g.Before {
			edges = append(edges, e{i, idx[b]})
		}
	}
	w := make([]int, len(o.Groups))
	for changed := true; changed; {
		changed = false
		for _, ed := range edges {
			if w[ed.to] < w[ed.from]+1 {
				w[ed.to], changed = w[ed.from]+1, true
			}
		}
	}
	return w
}

func TestComputeWavesProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		n := 1 + r.IntN(40)
		o := randomDAG(r, n, r.IntN(3*n), 0)
		w, err := o.ComputeWaves()
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		want := longestPath(o)
		for i, g := range w.Groups {
			if g.Wave != want[i] {
				t.Fatalf("iteration %d: %s wave %d, longest path %d\n%s", iter, g.Name, g.Wave, want[i], w)
			}
		}

		// Pins taken from a stretched feasible layering never conflict,
		// and every edge still holds.
		for i := range o.Groups {
			if r.IntN(4) == 0 {
				p := 3*want[i] - 5
				o.Groups[i].Wave = &p
			}
		}
		w, err = o.ComputeWaves()
		if err != nil {
			t.Fatalf("iteration %d with pins: %v", iter, err)
		}
		checkEdges(t, o, w)
	}
}

func TestComputeWavesRandomPinsAndPhases(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	hooks := []argocd.Hook{argocd.HookNone, argocd.HookNone, argocd.HookPreSync, argocd.HookPostSync, argocd.HookSync}
	ok, failed := 0, 0
	for range 500 {
		n := 1 + r.IntN(30)
		o := randomDAG(r, n, r.IntN(2*n), r.IntN(5)-2)
		for i := range o.Groups {
			if r.IntN(3) == 0 {
				p := r.IntN(11) - 5
				o.Groups[i].Wave = &p
			}
			o.Groups[i].Hook = hooks[r.IntN(len(hooks))]
		}
		w, err := o.ComputeWaves()
		if err != nil {
			failed++
			continue
		}
		ok++
		checkEdges(t, o, w)
	}
	if ok == 0 || failed == 0 {
		t.Errorf("ok %d, failed %d: the generator should produce both", ok, failed)
	}
}

// checkEdges checks that pins hold and every same-phase edge is satisfied,
// and cross-phase edges go forward.
func checkEdges(t *testing.T, o *SyncOrder, w *Waves) {
	t.Helper()
	idx := map[string]int{}
	for i, g := range o.Groups {
		idx[g.Name] = i
	}
	check := func(a, b int) { // a before b
		pa, pb := w.Groups[a].Phase, w.Groups[b].Phase
		if pa != pb {
			if pa.Order() > pb.Order() {
				t.Fatalf("%s (%s) before %s (%s)", o.Groups[a].Name, pa, o.Groups[b].Name, pb)
			}
			return
		}
		if w.Groups[a].Wave >= w.Groups[b].Wave {
			t.Fatalf("%s (wave %d) should precede %s (wave %d)\n%s", o.Groups[a].Name, w.Groups[a].Wave, o.Groups[b].Name, w.Groups[b].Wave, w)
		}
	}
	for i, g := range o.Groups {
		if g.Wave != nil && w.Groups[i].Wave != *g.Wave {
			t.Fatalf("%s pinned at %d got %d", g.Name, *g.Wave, w.Groups[i].Wave)
		}
		for _, a := range g.After {
			check(idx[a], i)
		}
		for _, b := range g.Before {
			check(i, idx[b])
		}
	}
}

func benchComputeWaves(b *testing.B, n, m int) {
	o := randomDAG(rand.New(rand.NewPCG(5, 6)), n, m, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.ComputeWaves(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkComputeWaves1k(b *testing.B)  { benchComputeWaves(b, 1000, 2000) }
func BenchmarkComputeWaves10k(b *testing.B) { benchComputeWaves(b, 10000, 20000) }
