package annotate

import (
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/syncwave/syncwave/order"
)

// DependsOn is kpt's and cli-utils' dependency list:
// "<group>/namespaces/<namespace>/<Kind>/<name>" or "<group>/<Kind>/<name>",
// comma-separated, the core group empty.
const DependsOn = "config.kubernetes.io/depends-on"

// dependsOnSyntax is config.kubernetes.io/depends-on (kpt, cli-utils,
// Config Sync): each entry names an object the resource comes after.
var dependsOnSyntax = Syntax{
	Name: "depends-on",
	Keys: []string{DependsOn},
	Doc:  DependsOn,
	owns: func(k string) bool { return k == DependsOn },
	read: (*depGraph).dependsOn,
}

// objRef is one config.kubernetes.io/depends-on entry.
type objRef struct {
	group, ns, kind, name string
	namespaced            bool
}

func (o objRef) String() string {
	if o.namespaced {
		return o.group + "/namespaces/" + o.ns + "/" + o.kind + "/" + o.name
	}
	return o.group + "/" + o.kind + "/" + o.name
}

// parseObjRef reads "<group>/namespaces/<ns>/<Kind>/<name>" or
// "<group>/<Kind>/<name>" (cli-utils' ObjMetadata string form).
func parseObjRef(s string) (objRef, error) {
	var p [5]string
	n := 0
	for rest := s; ; n++ {
		if n == len(p) {
			n = -1 // too many parts
			break
		}
		part, tail, more := strings.Cut(rest, "/")
		p[n] = part
		if !more {
			n++
			break
		}
		rest = tail
	}
	switch {
	case n == 3 && p[1] != "" && p[2] != "":
		return objRef{group: p[0], kind: p[1], name: p[2]}, nil
	case n == 5 && p[1] == "namespaces" && p[2] != "" && p[3] != "" && p[4] != "":
		return objRef{group: p[0], ns: p[2], kind: p[3], name: p[4], namespaced: true}, nil
	}
	return objRef{}, fmt.Errorf("%q is not <group>/namespaces/<namespace>/<Kind>/<name> or <group>/<Kind>/<name> (the core group is empty: /namespaces/shop/Secret/db)", s)
}

// dependsOn reads config.kubernetes.io/depends-on on the resources with
// (the indices of) with, in order.
func (d *depGraph) dependsOn(with []int) {
	vals := make([]string, len(with))
	for k, i := range with {
		vals[k] = d.res[i].Annotations[DependsOn]
	}
	// First the references, so that only the names they use are indexed.
	type entry struct {
		i   int
		ref objRef
	}
	n := 0
	for _, v := range vals {
		n += strings.Count(v, ",") + 1
	}
	entries := make([]entry, 0, n)
	for k, i := range with {
		r, v := d.res[i], vals[k]
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			ref, err := parseObjRef(item)
			if err != nil {
				d.errorf(r, DependsOn, "%v", err)
				continue
			}
			entries = append(entries, entry{i, ref})
		}
	}
	if len(entries) == 0 {
		return
	}
	// The index is keyed by the names' hashes, so that building and
	// probing it compare integers; a candidate's name is compared in full
	// below.
	seed := maphash.MakeSeed()
	hashes := make([]uint64, len(entries))
	wanted := make(map[uint64]int32, len(entries)) // name hash -> first resource of that hash, -1 for none
	for k, e := range entries {
		hashes[k] = maphash.String(seed, e.ref.name)
		wanted[hashes[k]] = -1
	}
	// The resources of each wanted hash, chained through next.
	next := make([]int32, len(d.res))
	for j := len(d.res) - 1; j >= 0; j-- {
		h := maphash.String(seed, d.res[j].Name)
		if first, ok := wanted[h]; ok {
			next[j] = first
			wanted[h] = int32(j)
		}
	}
	d.g.Grow(len(entries), len(entries))
	for k, e := range entries {
		r, ref := d.res[e.i], e.ref
		found := false
		for j := wanted[hashes[k]]; j >= 0; j = next[j] {
			x := d.res[j]
			if x.Name != ref.name || x.Kind != ref.kind || x.Group() != ref.group {
				continue
			}
			ns := x.Namespace
			if ns == "" {
				ns = d.opts.Namespace
			}
			if ref.namespaced && ns != "" && ns != ref.ns {
				continue
			}
			found = true
			d.g.AddEdge(order.Edge{From: d.nodeOf(int(j)), To: d.nodeOf(e.i), Weight: 1, Origin: origin(r, DependsOn)})
		}
		if !found {
			d.warnf(r, DependsOn, "%s is not in the output, so syncwave cannot order against it; Argo CD will not wait for it (fine when it already exists in the cluster or another Application creates it)", ref)
		}
	}
}
