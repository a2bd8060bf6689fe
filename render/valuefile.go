package render

// ValueFilePath resolves a Helm value file f of the chart at dir (both
// root-relative) as Argo CD's repo-server does: a relative path from the
// chart directory, an absolute one from the repository root, symlinks
// resolved, the result strictly inside the root. It is the one rule the
// renderer and the plugin's parameter announcement share.
func ValueFilePath(root *Root, dir, f string) (string, error) { return valueFilePath(root, dir, f) }
