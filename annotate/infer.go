package annotate

import (
	"runtime"
	"sync"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/refs"
)

// ViaReference is the Via of an inferred edge's origin; reasons print it
// with the reference's field path: "after ServiceAccount shop/app (wave 0,
// reference: spec.template.spec.serviceAccountName)".
const ViaReference = "reference"

// rbacGroup is the API group of Roles, ClusterRoles and their bindings.
const rbacGroup = "rbac.authorization.k8s.io"

// referenced reports whether a reference to objects of a group/kind
// (refs.Of) becomes an edge. A PersistentVolumeClaim does not: Argo CD's
// health check holds a wave until the claim is Bound, and a claim of a
// WaitForFirstConsumer storage class binds only once a pod uses it, so a
// wave boundary between a claim and its only consumer never ends. In one
// wave Kubernetes keeps the pod Pending until the claim exists, which is
// all it needs; lint's reference-planned-later still reports a claim
// planned after its workload.
func referenced(group, kind string) bool {
	switch group + "/" + kind {
	case "/ServiceAccount", "/ConfigMap", "/Secret", rbacGroup + "/Role", rbacGroup + "/ClusterRole":
		return true
	}
	return false
}

// references adds the inferred edges (dependencies.references): a resource
// comes after each object it references (refs.Of) that is in the output.
// Optional references make no edge (Kubernetes starts the pod without the
// object), nor do references to objects that are not in the output (they
// may exist in the cluster already; nothing to order against), nor
// references between resources of one group (they share a wave anyway).
//
// An edge joins only resources of the same phase. Across phases, the phase
// order either already satisfies it (a Sync Deployment using a PreSync
// Secret) or contradicts it (a PreSync hook using a Sync Secret): the graph
// cannot change a phase, so the second is lint's hook-identity finding, not
// an ordering error.
func (d *depGraph) references() {
	// The possible targets by name; the referrers are read only when there
	// is one.
	targets := map[string][]int32{}
	for j, r := range d.res {
		if referenced(r.Group(), r.Kind) {
			targets[r.Name] = append(targets[r.Name], int32(j))
		}
	}
	if len(targets) == 0 {
		return
	}
	// The referrers' objects are decoded in parallel (the annotations are
	// not changed yet, so reading the text is safe); edges are added in
	// resource order.
	var referrers []int
	for i, r := range d.res {
		group := r.Group()
		if refs.PodSpecPath(group, r.Kind) != nil || group == rbacGroup && (r.Kind == "RoleBinding" || r.Kind == "ClusterRoleBinding") {
			referrers = append(referrers, i)
		}
	}
	found := make([][]refs.Ref, len(referrers))
	errs := make([]error, len(referrers))
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(referrers))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(referrers); k += workers {
				text, err := d.res[referrers[k]].Bytes()
				if err == nil {
					found[k], err = refs.OfDocument(text)
				}
				errs[k] = err
			}
		}()
	}
	wg.Wait()
	for k, i := range referrers {
		if errs[k] != nil {
			d.errorf(d.res[i], "dependencies.references", "cannot read the object: %v", errs[k])
			continue
		}
		for _, ref := range found[k] {
			if ref.Optional {
				continue
			}
			rns := ref.Namespace
			if rns == "" {
				rns = d.opts.Namespace
			}
			for _, j := range targets[ref.Name] {
				t := d.res[j]
				if t.Kind != ref.Kind || t.Group() != ref.Group || !referenced(ref.Group, ref.Kind) {
					continue
				}
				if ref.Kind != "ClusterRole" {
					tns := t.Namespace
					if tns == "" {
						tns = d.opts.Namespace
					}
					// An unknown namespace (no destination) matches any.
					if tns != "" && rns != "" && tns != rns {
						continue
					}
				}
				d.inferred(int(j), i, ref)
			}
		}
	}
}

// inferred adds the edge "resource i comes after resource j" for ref,
// unless both are in one group or in different phases (see references).
func (d *depGraph) inferred(j, i int, ref refs.Ref) {
	if d.member[i] >= 0 && d.member[i] == d.member[j] {
		return
	}
	if p := d.phaseOfIndex(i); !p.Ordered() || p != d.phaseOfIndex(j) {
		return
	}
	r := d.res[i]
	d.g.AddEdge(order.Edge{From: d.nodeOf(j), To: d.nodeOf(i), Weight: 1, Origin: order.Origin{
		File: r.Source, Line: r.Line, Path: ref.Path, Via: ViaReference + ": " + ref.Path,
	}})
}

// phaseOfIndex is the phase resource i is ordered in: its group's, else
// its own.
func (d *depGraph) phaseOfIndex(i int) argocd.Phase {
	if g := d.member[i]; g >= 0 {
		return d.o.Groups[g].Phase()
	}
	return d.phaseOf(d.res[i])
}
