// Package sealproof tells whether the binary is the proof build (build
// tag sealproof): a test-only build in which syncwave's Go-level refusals
// (sandbox.DenyNetwork, the values.schema.json reference check) are
// switched off, so that a test can show the kernel seal alone stopping
// what they stop. No release is built with the tag.
package sealproof
