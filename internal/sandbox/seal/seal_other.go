//go:build !linux

package seal

import (
	"errors"
	"runtime"
)

func applyLandlock(_, _ []string) (int, error) {
	return 0, errors.New("Landlock is Linux only, not " + runtime.GOOS)
}

func applySeccomp() error {
	return errors.New("seccomp is Linux only, not " + runtime.GOOS)
}
