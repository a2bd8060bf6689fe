// Package order defines syncwave's ordering file, syncwave.yaml: the
// SyncOrder type, its strict decoder, its validation, the selectors that
// put resources into groups, and the computation of each group's sync phase
// and wave from the after/before edges between groups.
//
// The package is pure: it reads only the bytes it is given, never the
// filesystem, the network or the environment, and it never writes anything.
// Rendering sources, annotating resources and printing plans live in other
// packages; they reuse FieldError so that every message about the ordering
// file has the same "<file>:<line>: <field path>: <message>" shape.
//
// The pipeline is Decode (apiVersion and kind first, then unknown and
// duplicate keys, then types) -> Default -> Validate (every problem, joined)
// -> ComputeWaves and NewIndex. ComputeWaves solves the graph of the groups
// alone; NewGraph starts the same graph for a caller (annotate) that adds
// resources, sets of resources and edges from annotations, each edge with
// its Origin, before Solve.
package order
