// Package ui builds the Argo CD UI extension "Sync plan" (the TypeScript
// under extension/) into the layout Argo CD's extension installer expects:
// a tar holding resources/extension-syncwave.js. It bundles with esbuild's
// Go API, so no Node is needed; React is left to the page (Argo CD's global
// React), as Argo CD requires of extensions.
//
// It is used by hack/ui (make ui) and by tests; the syncwave binary never
// imports it.
package ui
