// Package annotate assigns resources their Argo CD ordering annotations
// (sync-wave, hook, hook-delete-policy, sync-options) from a SyncOrder and
// from the dependency annotations the resources carry
// (config.kubernetes.io/depends-on, Helm's HIP-0025 resource groups, kapp's
// change groups and rules), which it turns into edges of order.Graph.
//
// It only changes annotations: no other field of a resource is touched, and
// it never writes Argo CD's tracking metadata. It does no I/O.
package annotate
