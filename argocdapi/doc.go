// Package argocdapi reads an Application's target manifests from a running
// Argo CD server through its REST API (the grpc-gateway the argocd CLI's
// --grpc-web-free mode and the web UI use): GET
// /api/v1/applications/{name}/manifests with a bearer token.
//
// It reads nothing from the environment (the command line resolves
// ARGOCD_SERVER and ARGOCD_AUTH_TOKEN) and never writes the token into an
// error, a log or a file. Secrets in the answer are already masked by Argo
// CD (server/application GetManifests hides Secret data).
package argocdapi
