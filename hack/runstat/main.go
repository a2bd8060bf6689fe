// Command runstat runs a command once and appends one line to stderr:
//
//	LABEL WALL-SECONDS MAXRSS-KB USER-SECONDS SYS-SECONDS
//
// the same fields, in the same order, as `/usr/bin/time -f "%e %M %U %S"`,
// but with microsecond resolution instead of GNU time's 10 ms, which cannot
// tell a 20 ms process from a 29 ms one. The command's stdout is discarded;
// its stderr passes through. Used by hack/bench-lib.sh.
//
//	runstat LABEL COMMAND [ARG...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: runstat LABEL COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintf(os.Stderr, "runstat: %v\n", err)
		os.Exit(1)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		fmt.Fprintln(os.Stderr, "runstat: no resource usage for the child")
		os.Exit(1)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	fmt.Fprintf(os.Stderr, "%s %.4f %d %.4f %.4f\n", os.Args[1], wall.Seconds(), ru.Maxrss, tv(ru.Utime), tv(ru.Stime))
	if err != nil {
		os.Exit(1)
	}
}
