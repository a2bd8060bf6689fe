// Package health knows which resources Argo CD has a health check for, per
// Argo CD line, and how it judges them: a check built into gitops-engine (Go
// code), a Lua script shipped with Argo CD (resource_customizations), a check
// the user defined in the argocd-cm ConfigMap, or none.
//
// This matters for ordering because of how the sync engine moves on: within
// a sync of more than one phase or wave, a resource counts as done when its
// health is Healthy (Degraded fails the sync; Progressing, Suspended and
// Missing keep the wave waiting). A resource without any health check is done
// as soon as it is applied, so a later wave does not wait for it at all. A
// hook is waited on in every sync, by the same checks: a Job until it
// completes, a Pod until it succeeds, a kind without a check not at all.
//
// The tables are generated from Argo CD's own source (group/kind names only;
// no script is copied): the 2.14 table from the Argo CD version the test
// module pins, checked by test/health against that version's code; the 3.x
// table from Argo CD's git tags. Regenerate with go generate. For picks the
// table of an argocd.Version, the one version (and default) of every package.
package health

//go:generate go run ../hack/genhealth -gomod ../test -line 2.14 -o zz_argocd_2_14.go
