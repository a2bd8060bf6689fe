// Package manifest reads Kubernetes objects from YAML and JSON streams and
// writes them back.
//
// A Resource keeps its original text; annotation changes are spliced into
// it when the stream is written, so comments, key order and formatting of
// everything else survive byte for byte. Every document written is read
// back as Argo CD reads it, and must have the identity (apiVersion, kind,
// name, namespace, labels, annotations) its Resource holds. The package
// does no file I/O.
package manifest
