//go:build linux && !amd64 && !arm64

package seal

// No filter is written for this architecture: seccomp reports itself
// missing.
const (
	auditArch = 0
	x32Bit    = 0
)
