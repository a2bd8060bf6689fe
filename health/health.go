package health

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gobwas/glob"

	"github.com/syncwave/syncwave/argocd"
)

// GroupKind names a kind of resource. In a Lua entry of the 3.x table a "*"
// is Argo CD's wildcard (a resource_customizations directory named "_").
type GroupKind struct {
	Group string
	Kind  string
}

// String is Argo CD's key for the group/kind: "group/Kind", or "Kind" for
// the core group.
func (g GroupKind) String() string {
	if g.Group == "" {
		return g.Kind
	}
	return g.Group + "/" + g.Kind
}

// Script is a health.lua shipped with Argo CD.
type Script struct {
	GroupKind
	// Since is the first minor of the line that ships it ("" when the table
	// holds one version).
	Since string
}

// Table is one Argo CD line's health knowledge.
type Table struct {
	// Line is "2.14" or "3.x".
	Line string
	// Version is the Argo CD version the table was generated from.
	Version string
	// Engine is the gitops-engine version (or tree) the built-in checks come from.
	Engine string
	// BuiltIn are the kinds gitops-engine checks in Go code.
	BuiltIn []GroupKind
	// Lua are the kinds Argo CD checks with a health.lua it ships.
	Lua []Script
	// limited: Lua holds only the scripts of minor or older.
	limited bool
	minor   int
	// judged caches the table's judgement of each group/kind (the
	// argocd-cm checks are not cached); nil for a table built elsewhere.
	judged *sync.Map
}

func init() {
	for _, t := range Lines {
		t.judged = new(sync.Map)
	}
}

// Lines are the Argo CD lines syncwave knows, oldest first.
var Lines = []*Table{argocd2_14, argocd3}

// For returns the health knowledge of Argo CD line v (zero:
// argocd.Default), the line v.Modelled() models it as: a 2.x line reads the
// 2.14 table, a 3.x line the 3.x table without the scripts added after its
// minor.
func For(v argocd.Version) *Table {
	m, _ := v.Modelled()
	if m.Major == 2 {
		return argocd2_14
	}
	if t, ok := byMinor.Load(m.Minor); ok {
		return t.(*Table)
	}
	t := *argocd3
	t.limited, t.minor = true, m.Minor
	t.judged = new(sync.Map)
	got, _ := byMinor.LoadOrStore(m.Minor, &t)
	return got.(*Table)
}

// byMinor holds the 3.x tables For returned, so that each keeps its cache.
var byMinor sync.Map // int -> *Table

// How says how Argo CD judges a resource's health.
type How string

const (
	// BuiltIn is a check in gitops-engine's Go code.
	BuiltIn How = "built-in"
	// Lua is a health.lua Argo CD ships (resource_customizations).
	Lua How = "lua"
	// User is a check defined in the argocd-cm ConfigMap.
	User How = "argocd-cm"
	// None: no check; the resource is ready once applied.
	None How = "none"
)

// Judgement is how Argo CD judges one resource.
type Judgement struct {
	How How `json:"how"`
	// Detail says which check, in a few words.
	Detail string `json:"detail"`
}

// Waits reports whether the sync engine waits for the resource to become
// healthy (any check at all).
func (j Judgement) Waits() bool { return j.How != None }

// String is the judgement in a few words.
func (j Judgement) String() string { return j.Detail }

// builtInNotes are what the gitops-engine checks wait for, in a few words.
var builtInNotes = map[GroupKind]string{
	{"", "PersistentVolumeClaim"}:                        "until Bound",
	{"", "Pod"}:                                          "until running and ready (a hook: until it succeeds)",
	{"", "Service"}:                                      "only a LoadBalancer waits, for its ingress address",
	{"apiregistration.k8s.io", "APIService"}:             "until Available",
	{"apps", "DaemonSet"}:                                "until rolled out",
	{"apps", "Deployment"}:                               "until rolled out",
	{"apps", "ReplicaSet"}:                               "until its replicas are ready",
	{"apps", "StatefulSet"}:                              "until rolled out",
	{"argoproj.io", "Workflow"}:                          "until it succeeds",
	{"autoscaling", "HorizontalPodAutoscaler"}:           "until it can scale",
	{"batch", "Job"}:                                     "until it completes",
	{"extensions", "Ingress"}:                            "until it has a load-balancer address",
	{"networking.k8s.io", "Ingress"}:                     "until it has a load-balancer address",
	{"apiextensions.k8s.io", "CustomResourceDefinition"}: "until Established",
}

// Judge says how Argo CD judges a resource of group/kind, with the user's
// checks of cm (nil for none) taking precedence as in Argo CD: an exact
// argocd-cm key, then a wildcard key, then the script Argo CD ships (exact,
// then — since 3.1 — a wildcard directory), then gitops-engine's Go check.
func (t *Table) Judge(group, kind string, cm *ConfigMap) Judgement {
	gk := GroupKind{group, kind}
	if cm != nil {
		if key, ok := cm.match(gk); ok {
			return Judgement{User, "argocd-cm check " + key}
		}
	}
	if t.judged == nil {
		return t.judge(gk)
	}
	if j, ok := t.judged.Load(gk); ok {
		return j.(Judgement)
	}
	j := t.judge(gk)
	t.judged.Store(gk, j)
	return j
}

// judge is Judge without the argocd-cm checks: the table's own verdict.
func (t *Table) judge(gk GroupKind) Judgement {
	var wild *Script
	for i := range t.Lua {
		s := &t.Lua[i]
		if t.limited && !sinceOK(s.Since, t.minor) {
			continue
		}
		if s.GroupKind == gk {
			return Judgement{Lua, fmt.Sprintf("Lua check of Argo CD %s", t.Line) + note(gk)}
		}
		if wild == nil && strings.Contains(s.Group+s.Kind, "*") && globMatch(s.String(), gk.String()) {
			wild = s
		}
	}
	if wild != nil {
		return Judgement{Lua, fmt.Sprintf("Lua check %s of Argo CD %s", wild.String(), t.Line)}
	}
	for _, b := range t.BuiltIn {
		if b == gk {
			return Judgement{BuiltIn, "built-in check" + note(gk)}
		}
	}
	if gk == (GroupKind{"argoproj.io", "Application"}) {
		return Judgement{None, "no health check since Argo CD 1.8 (add resource.customizations.health.argoproj.io_Application to argocd-cm): ready once applied"}
	}
	return Judgement{None, "no health check: ready once applied"}
}

func note(gk GroupKind) string {
	if n, ok := builtInNotes[gk]; ok {
		return ": " + n
	}
	return ""
}

func sinceOK(since string, minor int) bool {
	if since == "" {
		return true
	}
	i := strings.IndexByte(since, '.')
	m, err := strconv.Atoi(since[i+1:])
	return err == nil && m <= minor
}

// globMatch matches a key against an Argo CD wildcard pattern ("*" matches
// any run of characters).
func globMatch(pattern, key string) bool {
	g, err := glob.Compile(pattern)
	return err == nil && g.Match(key)
}

// Count returns the number of checks the table holds for its line (for the
// 3.x table limited to a minor, only those of that minor).
func (t *Table) Count() (builtIn, lua int) {
	for _, s := range t.Lua {
		if !t.limited || sinceOK(s.Since, t.minor) {
			lua++
		}
	}
	return len(t.BuiltIn), lua
}

// Kinds lists every group/kind with a check, sorted (for documentation).
func (t *Table) Kinds() []GroupKind {
	var out []GroupKind
	out = append(out, t.BuiltIn...)
	for _, s := range t.Lua {
		if !t.limited || sinceOK(s.Since, t.minor) {
			out = append(out, s.GroupKind)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
