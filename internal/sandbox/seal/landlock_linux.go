package seal

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// applyLandlock restricts every thread of the process to reading files and
// listing directories under read (and the time zone databases), and
// removing entries under scratch: no write,
// no execution anywhere; with ABI 4 no TCP connect or bind, with ABI 6 no
// abstract unix socket or signal outside the process, with ABI 10 no UDP.
// It returns the ABI applied, or 0 and why not.
func applyLandlock(read, scratch []string) (int, error) {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil {
		switch {
		case errors.Is(err, syscall.ENOSYS):
			return 0, errors.New("the kernel has no Landlock")
		case errors.Is(err, syscall.EOPNOTSUPP):
			return 0, errors.New("Landlock is not enabled at boot (lsm=)")
		case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
			return 0, fmt.Errorf("landlock_create_ruleset refused by the runtime's seccomp profile: %w", err)
		}
		return 0, fmt.Errorf("landlock_create_ruleset: %w", err)
	}
	if abi < 1 {
		return 0, errors.New("the kernel has no Landlock")
	}
	var dirs, files []string
	for _, p := range append(append([]string(nil), read...), zoneDirs...) {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			// missing: nothing to grant
		case fi.IsDir():
			dirs = append(dirs, p)
		default:
			files = append(files, p)
		}
	}
	var rules []landlock.Rule
	if len(dirs) > 0 {
		rules = append(rules, landlock.PathAccess(llsys.AccessFSReadFile|llsys.AccessFSReadDir, dirs...).IgnoreIfMissing())
	}
	if len(scratch) > 0 {
		rules = append(rules, landlock.PathAccess(llsys.AccessFSReadFile|llsys.AccessFSReadDir|llsys.AccessFSRemoveFile|llsys.AccessFSRemoveDir, scratch...).IgnoreIfMissing())
	}
	if len(files) > 0 {
		rules = append(rules, landlock.PathAccess(llsys.AccessFSReadFile, files...).IgnoreIfMissing())
	}
	// V11 handles every right go-landlock knows (fs, tcp, udp, scopes);
	// best effort drops what this kernel's ABI lacks. No net rule: every
	// handled connect, bind and send is refused.
	if err := landlock.V11.BestEffort().Restrict(rules...); err != nil {
		return 0, fmt.Errorf("landlock_restrict_self: %w", err)
	}
	return abi, nil
}
