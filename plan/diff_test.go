package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

func TestCompareWith(t *testing.T) {
	base := &Plan{Steps: []Step{
		{Phase: argocd.PhasePreSync, Wave: 0, APIVersion: "batch/v1", Kind: "Job", Name: "both", Hook: true, Reason: "hook"},
		{Phase: argocd.PhasePostSync, Wave: 0, APIVersion: "batch/v1", Kind: "Job", Name: "both", Hook: true, Reason: "hook"},
		{Phase: argocd.PhaseSync, Wave: 1, APIVersion: "apps/v1", Kind: "Deployment", Namespace: "a", Name: "web", Group: "web", Reason: "after db (wave 0)"},
		{Phase: argocd.PhaseSync, Wave: 0, APIVersion: "v1", Kind: "Secret", Name: "gone", SyncOptions: []string{"Prune=false"}},
		{Phase: argocd.PhaseSync, Wave: 0, APIVersion: "v1", Kind: "ConfigMap", Name: "skipped"},
	}}
	head := &Plan{Steps: []Step{
		{Phase: argocd.PhasePreSync, Wave: 0, APIVersion: "batch/v1", Kind: "Job", Name: "both", Hook: true, Reason: "hook"},
		{Phase: argocd.PhasePostSync, Wave: 2, APIVersion: "batch/v1", Kind: "Job", Name: "both", Hook: true, Reason: "hook"},
		{Phase: argocd.PhaseSync, Wave: 1, APIVersion: "apps/v1beta1", Kind: "Deployment", Namespace: "a", Name: "web", Group: "front", Reason: "after db (wave 0)"},
		{Phase: argocd.PhaseSync, Wave: 0, APIVersion: "v1", Kind: "Secret", Name: "new"},
	}, Excluded: []Excluded{{APIVersion: "v1", Kind: "ConfigMap", Name: "skipped", Reason: "Skip hook"}}}
	d := CompareWith(base, head, "old", "new")
	var got []string
	for _, e := range d.Entries {
		got = append(got, e.Change+" "+e.Kind+"/"+e.Name+" "+strings.Join(e.Fields, ",")+" "+e.Excluded)
	}
	want := []string{
		"moved Job/both wave ",
		"changed Deployment/web group ",
		"appeared Secret/new  ",
		"disappeared Secret/gone  ",
		"disappeared ConfigMap/skipped  Skip hook",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || d.Unchanged != 1 {
		t.Errorf("got\n%s\nunchanged %d; want\n%s\nunchanged 1", strings.Join(got, "\n"), d.Unchanged, strings.Join(want, "\n"))
	}
	var b bytes.Buffer
	if err := d.WriteTable(&b); err != nil || !strings.Contains(b.String(), "web → front") || !strings.Contains(b.String(), "now excluded: Skip hook") {
		t.Errorf("table:\n%s", b.String())
	}
	same := CompareWith(head, head, "HEAD", "the working tree")
	b.Reset()
	if err := same.WriteMermaid(&b); err != nil || !strings.Contains(b.String(), "no change against HEAD (4 steps)") {
		t.Errorf("mermaid of no change:\n%s", b.String())
	}
}

// TestSyncOnly: entries that differ only in group or reason are dropped and
// counted; a delete policy or sync options change stays.
func TestSyncOnly(t *testing.T) {
	d := &Diff{Entries: []DiffEntry{
		{Change: Changed, Name: "why", Fields: []string{"group", "reason"}},
		{Change: Changed, Name: "policy", Fields: []string{"reason", "hookDeletePolicy"}},
		{Change: Changed, Name: "opts", Fields: []string{"syncOptions"}},
		{Change: Moved, Name: "moved", Fields: []string{"wave", "reason"}},
		{Change: Appeared, Name: "new"},
	}, Unchanged: 3}
	d.SyncOnly()
	var got []string
	for _, e := range d.Entries {
		got = append(got, e.Name)
	}
	if strings.Join(got, ",") != "policy,opts,moved,new" || d.ReasonOnly != 1 {
		t.Errorf("kept %v, reason-only %d", got, d.ReasonOnly)
	}
	only := &Diff{Base: "main", Entries: []DiffEntry{{Change: Changed, Name: "why", Fields: []string{"reason"}}}}
	only.SyncOnly()
	var b bytes.Buffer
	if err := only.WriteTable(&b); err != nil || !strings.Contains(b.String(), "Nothing changes in the sync") || !strings.Contains(b.String(), "1 step changed only the group or reason (--reasons shows them)") {
		t.Errorf("table:\n%s", b.String())
	}
}
