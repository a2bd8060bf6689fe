// Package plugin is the edge between Argo CD and syncwave: it turns the
// environment the Argo CD cmp-server gives a Config Management Plugin
// command (ARGOCD_APP_PARAMETERS or PARAM_*, ARGOCD_ENV_SYNCWAVE_*, the
// sidecar's own SYNCWAVE_*, ARGOCD_APP_*, KUBE_*) into Inputs, once, and
// Inputs into pipeline.Options. It also owns the table of plugin parameters
// from which the static announcement in plugin.yaml, the defaults the code
// applies and the parameter table of docs/install.md are all produced, and the
// dynamic announcement (`syncwave parameters`).
//
// It must not read the process environment or the working directory itself
// (FromEnv takes both as arguments), render anything, or write anything.
package plugin
