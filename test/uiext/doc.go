// Package uiext drives the Sync plan extension in a real headless Chromium.
//
// Argo CD's own UI cannot be built from the package registries (its argo-ui
// dependency is a git URL), so Host serves a page that implements Argo CD's
// documented extension contract: a global React and ReactDOM (Debian's
// node-react UMD builds, React 18.2; Argo CD 2.14 ships 16.x and the
// extension uses only the API both have), window.extensionsAPI, then
// /extensions.js, and the registered component rendered with the
// Application and its resource tree fetched from the server. Everything
// else (/api/..., /extensions.js) goes to the backend: a real argocd-server
// in the e2e run, a fixture server in this package's own tests.
package uiext
