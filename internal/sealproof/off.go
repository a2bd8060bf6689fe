//go:build !sealproof

package sealproof

// Enabled is false in every build but the proof build.
const Enabled = false
