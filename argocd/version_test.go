package argocd

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Version{
		"": Default, "3": Default, "2": V2_14, "2.14": V2_14, "v2.14.21": V2_14,
		"3.3": V3_3, "v3.5.1": V3_5, "3.6": {3, 6}, " 3.4 ": V3_4, "3.5.0-rc1": V3_5,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "4.0", "1.8", "3.x", "3.5.x", "-3.1", "3.-1"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	if !(Version{}).AtLeast(V3_5) || (Version{}).String() != "3.5" {
		t.Error("the zero Version is not Default")
	}
	if V2_14.AtLeast(V3_0) || !V3_4.AtLeast(V3_3) || V3_3.AtLeast(V3_4) {
		t.Error("AtLeast")
	}
}

// TestDeleteHooks is written from the application controller's sources:
//   - v2.14.21 controller/hook.go:37 `val == v` for PostDelete/post-delete only;
//   - v3.3.0 controller/hook.go:24-38 adds PreDelete/pre-delete, line 46 still `val == v`;
//   - v3.4.0 controller/hook.go:49-51 splits the value on "," and trims each
//     item, and controller/state.go:549-565 keeps a delete hook that also has
//     a sync phase (hasGitOpsEngineSyncPhaseHook) in the sync.
func TestDeleteHooks(t *testing.T) {
	t.Parallel()
	type ann struct {
		argo, helm       string
		hasArgo, hasHelm bool
	}
	for _, c := range []struct {
		v    Version
		a    ann
		want []Hook
	}{
		{V2_14, ann{argo: "PostDelete", hasArgo: true}, []Hook{HookPostDelete}},
		{V2_14, ann{helm: "post-delete", hasHelm: true}, []Hook{HookPostDelete}},
		{V2_14, ann{argo: "PreDelete", hasArgo: true}, nil},
		{V2_14, ann{argo: "PostSync,PostDelete", hasArgo: true}, nil},
		{V3_3, ann{argo: "PreDelete", hasArgo: true}, []Hook{HookPreDelete}},
		{V3_3, ann{helm: "pre-delete", hasHelm: true}, []Hook{HookPreDelete}},
		{V3_3, ann{argo: "PostSync,PostDelete", hasArgo: true}, nil},
		{V3_4, ann{argo: "PostSync, PostDelete", hasArgo: true}, []Hook{HookPostDelete}},
		{V3_4, ann{argo: "PreDelete,PostDelete", hasArgo: true}, []Hook{HookPreDelete, HookPostDelete}},
		{V3_4, ann{helm: "post-install,post-delete", hasHelm: true}, []Hook{HookPostDelete}},
		{V3_5, ann{argo: "postdelete", hasArgo: true}, nil},
	} {
		got := DeleteHooks(c.v, c.a.argo, c.a.helm, c.a.hasArgo, c.a.hasHelm)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %+v: %v, want %v", c.v, c.a, got, c.want)
		}
	}
	if DeleteHookAlsoSyncs(V3_3) || !DeleteHookAlsoSyncs(V3_4) {
		t.Error("DeleteHookAlsoSyncs")
	}
}

// FuzzParse: Parse never panics, and what it accepts prints back as a
// version it accepts again, equal to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "2.14", "v3.5.1", "3", "3.5.0-rc1", "x", "3.-1", "99999999999999999999.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		w, err := Parse(v.String())
		if err != nil || w != v {
			t.Errorf("Parse(%q) = %v, but Parse(%q) = %v, %v", s, v, v.String(), w, err)
		}
	})
}
