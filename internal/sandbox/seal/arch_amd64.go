//go:build linux

package seal

import "golang.org/x/sys/unix"

const (
	auditArch = unix.AUDIT_ARCH_X86_64
	// x32Bit marks x32 system calls, which carry AUDIT_ARCH_X86_64 too.
	x32Bit = 0x40000000
)
