package ui

// Every test package takes the one -update flag (go test ./... -update).
import _ "github.com/syncwave/syncwave/internal/golden"
