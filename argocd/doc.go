// Package argocd is Argo CD's ordering vocabulary, written once: the
// annotation keys its sync engine reads, the hook types and the phases they
// map to, hook delete policies, resource-level sync options, Helm's hook
// annotations as Argo CD maps them, the "sync-wave, else hook-weight, else
// 0" rule, and how a CustomResourceDefinition names its group, kind and
// scope.
//
// It is a leaf: it imports only the standard library and manifest, and
// order, annotate, plan and render import it. It must not compute an order,
// read files or the environment, print anything, or know about
// syncwave.yaml; it states what Argo CD reads, nothing else. When Argo CD
// lines differ (a v3 vocabulary beside v2.14's), the difference belongs
// here, so that every package sees the same words.
package argocd
