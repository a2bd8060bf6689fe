// Package annotate assigns resources their Argo CD ordering annotations
// (sync-wave, hook, hook-delete-policy, sync-options) from a SyncOrder.
//
// It only changes annotations: no other field of a resource is touched, and
// it never writes Argo CD's tracking metadata. It does no I/O.
package annotate
