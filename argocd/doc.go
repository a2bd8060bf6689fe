// Package argocd is the one typed model of what Argo CD reads from a
// resource, written once: the annotation keys its sync engine reads; the
// hook types (Hook), the phases they run in (Phase) and the delete policies
// (DeletePolicy), with Helm's hook annotations as Argo CD maps them; one
// reader, Read, that returns a resource's phases, wave and why, delete
// policies, delete hooks, skip and ignore as the selected Argo CD line reads
// them (gitops-engine's pkg/sync/hook, pkg/sync/ignore, syncwaves.Wave and
// the application controller's delete hooks); the engine's kind order and
// the cluster-scoped kinds; resource-level sync options; how a
// CustomResourceDefinition names its group, kind and scope; and Version,
// the Argo CD line that selects all of this and the health table.
//
// It is a leaf: it imports only the standard library and manifest, and
// order, annotate, plan, lint, health and render import it. No other
// package spells an Argo CD or Helm hook annotation string (a test in this
// package fails if one does). It must not compute an order, read files or
// the environment, print anything, or know about syncwave.yaml; it states
// what Argo CD reads, nothing else. When Argo CD lines differ, the
// difference belongs here, so that every package sees the same words.
package argocd
