//go:build sealproof

package sealproof

// Enabled: this is the proof build, with syncwave's own refusals off.
const Enabled = true
