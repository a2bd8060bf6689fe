package manifest

// This package has no golden files; the import defines the module's one
// -update flag in its test binary, so that go test ./... -update runs here too.
import _ "github.com/syncwave/syncwave/internal/golden"
