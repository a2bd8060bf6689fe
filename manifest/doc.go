// Package manifest reads Kubernetes objects from YAML and JSON streams and
// writes them back.
//
// A Resource keeps its original text; annotation changes are spliced into
// it when the stream is written, so comments, key order and formatting of
// everything else survive byte for byte. The package does no file I/O.
package manifest
