//go:build tools

// Package test holds the fidelity tests that run syncwave against Argo CD's
// and gitops-engine's own code. This file only pins Argo CD's commands in
// go.mod and go.sum, so `go build github.com/argoproj/argo-cd/v2/cmd` works
// from this module with exactly the dependency versions the tests use.
package test

import _ "github.com/argoproj/argo-cd/v2/cmd"
