// Package plan models the order in which Argo CD's sync engine (gitops-engine,
// as used by Argo CD v2.14 and v3.x) applies a set of resources, and explains
// why each resource lands where it does.
//
// The model is computed from the resources exactly as syncwave prints them:
// it reads the same annotations the engine reads (argocd.argoproj.io/hook,
// sync-wave, hook-delete-policy, sync-options and the Helm hook annotations)
// through argocd.Read, and the engine's kind order and scopes from argocd,
// and reproduces the engine's sort (phase, wave, kind order, name) and its two
// adjustments (a Namespace in front of the first resource in it, a CRD in
// front of the first custom resource of its kind). Resources the engine never
// applies in a sync are listed as excluded, with the reason.
//
// The package must not compute its own idea of an order: wherever Argo CD's
// behaviour is surprising (a sync-wave of "1.0" silently falling back to the
// Helm hook weight, a misspelt hook silently dropping the resource), the plan
// shows what Argo CD does and says so. It never reads files or the
// environment; the differential test in test/planfidelity checks it against
// the engine itself.
package plan
