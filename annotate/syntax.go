package annotate

import (
	"slices"
	"strings"
)

// Syntax is one dependency annotation syntax syncwave reads as ordering
// edges: a row of the table Syntaxes returns. A new syntax is one file
// that reads it (its keys, their parsing and validation, the edges they
// make) and one row in syntaxes. The --dependency-annotations flag, the
// dependency-annotations plugin parameter and docs/dependency-annotations.md
// take their lists from the table, and so does the ordering file's
// dependencies block: order.Decode, order.ParseSyntaxList and the schema
// are given SyntaxNames (order cannot import annotate), and a syntax's key
// in the file is order.SyntaxKey(Name).
type Syntax struct {
	// Name is the syntax's name in --dependency-annotations and the plugin
	// parameter: "depends-on".
	Name string
	// Keys are the resource annotation keys it reads (kapp's also with a
	// ".<suffix>").
	Keys []string
	// Doc says in a few words what it is, in the lists of the plugin
	// parameter and the docs: "config.kubernetes.io/depends-on".
	Doc string
	// Strip are keys that must not reach the output (Kubernetes rejects
	// them), removed whether or not the syntax is read.
	Strip []string

	// owns reports whether an annotation key is one of the syntax's.
	owns func(key string) bool
	// read adds the edges of the syntax: with are the resources that carry
	// its keys, in order.
	read func(d *depGraph, with []int)
}

// syntaxes is the table, in the order their edges are added (and their
// warnings reported).
var syntaxes = []Syntax{dependsOnSyntax, helmSyntax, kappSyntax}

// Syntaxes returns the table of dependency annotation syntaxes.
func Syntaxes() []Syntax { return slices.Clone(syntaxes) }

// SyntaxNames returns the names of the syntaxes, in the table's order.
func SyntaxNames() []string { return syntaxNames(syntaxes) }

func syntaxNames(table []Syntax) []string {
	names := make([]string, len(table))
	for s, syn := range table {
		names[s] = syn.Name
	}
	return names
}

// SyntaxList lists the syntaxes with what each is, as the plugin
// parameter's description does: "depends-on (config.kubernetes.io/depends-on),
// helm (Helm resource sequencing, HIP-0025) and kapp (...)".
func SyntaxList() string { return syntaxList(syntaxes) }

func syntaxList(table []Syntax) string {
	var b strings.Builder
	for s, syn := range table {
		switch {
		case s == 0:
		case s == len(table)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(syn.Name + " (" + syn.Doc + ")")
	}
	return b.String()
}
