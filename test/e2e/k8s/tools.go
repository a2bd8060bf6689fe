//go:build tools

// Package tools pins the Kubernetes control-plane commands that the e2e suite
// builds (kube-apiserver, kube-controller-manager, kube-scheduler). It is never
// compiled; it only keeps the commands in this module's build list.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
