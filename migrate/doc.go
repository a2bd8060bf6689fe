// Package migrate turns the ordering an application already carries in
// Argo CD annotations (argocd.argoproj.io/sync-wave, hook,
// hook-delete-policy) into a syncwave.yaml whose groups and after edges
// reproduce the same sync, and removes those annotations from plain
// manifest files when asked.
//
// It works on plans (package plan), not on source files: what it must
// reproduce is the order Argo CD's engine applies, and Compare is the test
// of that. It never decides on its own to change a file; Strip returns the
// new text and the caller writes it.
package migrate
