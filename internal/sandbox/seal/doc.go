// Package seal confines the current process by the kernel, irreversibly,
// once a command knows its inputs: Landlock makes the filesystem read-only
// and readable only under the given paths (and, where the kernel's ABI has
// it, refuses TCP connect and bind, UDP, abstract unix sockets and signals
// to other processes), and a seccomp-bpf filter refuses socket(2) for every
// family but AF_UNIX and io_uring_setup(2), on every thread, with
// no_new_privs. A library that brings its own HTTP client or file loader
// then fails closed, whatever it does.
//
// It must not be used by a process that still needs to write a file,
// download or run a program: nothing undoes it. The CLI (internal/cli)
// decides when to seal; this package only applies and reports.
//
// Each layer is applied in best effort: on a kernel or under a container
// runtime that lacks one, Seal reports it missing (Report.Missing) and the
// caller decides whether to refuse to run.
package seal
