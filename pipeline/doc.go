// Package pipeline is syncwave's one code path: read the ordering file,
// render the sources, apply the ordering, and return the annotated resources.
// The CLI and the Argo CD plugin only fill its Options.
package pipeline
