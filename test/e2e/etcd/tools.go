//go:build tools

// Package tools pins the etcd server that the e2e suite builds. It is never
// compiled; it only keeps etcd in this module's build list. etcd's own go.mod
// has replace directives, so `go install …@version` is refused.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
