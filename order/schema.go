package order

import _ "embed"

//go:generate go run ./internal/schemagen -o schema.json

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft-07, as SchemaStore prefers) of syncwave.yaml, for
// editors. Decode is stricter: it also checks names, globs, after/before
// references, cycles and pins.
func Schema() []byte { return append([]byte(nil), schema...) }
