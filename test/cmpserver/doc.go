// Package cmpserver proves syncwave as an Argo CD Config Management Plugin
// through Argo CD v2.14.21's own code: its tests start the real cmp-server
// (the sidecar's gRPC server) with the project's plugin.yaml pointing at a
// freshly built syncwave binary, and drive it with the repo-server's own
// manifest pipeline (repository.GenerateManifests). Side by side, the same
// pipeline with Argo CD's native directory source is the reference for
// syncwave's directory rendering.
//
// The package holds only tests; it must not be imported.
package cmpserver
