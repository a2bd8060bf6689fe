//go:build !sealproof

package cli

import "io"

// proveSeal is the proof build's probe (sealproof_probe.go); nothing here.
func proveSeal([]string, io.Writer) {}
