package seal

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The filter, for the architecture the binary is built for (arch_*.go):
//
//	arch != auditArch            -> kill the process (i386 int 0x80 on amd64)
//	nr has the x32 bit (amd64)   -> kill the process
//	socket(domain != AF_UNIX)    -> EACCES
//	io_uring_setup               -> ENOSYS (io_uring opens sockets without socket(2))
//	anything else                -> allow
//
// socket's domain is an int: the kernel reads the low 32 bits of the
// argument, and so does the filter (little-endian: args[0] at offset 16).
const (
	offNr   = 0
	offArch = 4
	offArg0 = 16

	retKill  = unix.SECCOMP_RET_KILL_PROCESS
	retAllow = unix.SECCOMP_RET_ALLOW
)

func program() ([]bpf.RawInstruction, error) {
	errno := func(e unix.Errno) bpf.RetConstant {
		return bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(e)&unix.SECCOMP_RET_DATA}
	}
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArch, SkipTrue: 1},
		bpf.RetConstant{Val: retKill},
		bpf.LoadAbsolute{Off: offNr, Size: 4},
	}
	if x32Bit != 0 {
		prog = append(prog,
			bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32Bit, SkipFalse: 1},
			bpf.RetConstant{Val: retKill},
		)
	}
	prog = append(prog,
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_IO_URING_SETUP, SkipFalse: 1},
		errno(unix.ENOSYS),
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_SOCKET, SkipTrue: 1},
		bpf.RetConstant{Val: retAllow},
		bpf.LoadAbsolute{Off: offArg0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AF_UNIX, SkipFalse: 1},
		bpf.RetConstant{Val: retAllow},
		errno(unix.EACCES),
	)
	return bpf.Assemble(prog)
}

// applySeccomp sets no_new_privs and installs the filter on every thread
// of the process (SECCOMP_FILTER_FLAG_TSYNC: the kernel syncs the filter
// and no_new_privs to all threads, or fails naming the thread that cannot
// take it).
func applySeccomp() error {
	if auditArch == 0 {
		return fmt.Errorf("no filter for %s", runtime.GOARCH)
	}
	raw, err := program()
	if err != nil {
		return fmt.Errorf("assemble the filter: %w", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, in := range raw {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(filter)
	switch {
	case e == unix.ENOSYS, e == unix.EINVAL:
		return fmt.Errorf("the kernel has no seccomp filters: %w", e)
	case e == unix.EPERM || e == unix.EACCES:
		return fmt.Errorf("seccomp(2) refused (by the runtime's seccomp profile?): %w", e)
	case e != 0:
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", e)
	case r != 0:
		return fmt.Errorf("seccomp: thread %d could not take the filter", r)
	}
	return nil
}
