package seal

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mode is how a command treats a missing layer (the CLI reads it from
// SYNCWAVE_SANDBOX).
type Mode int

const (
	// Degrade seals with the layers the kernel offers and warns once
	// about a missing one (the default).
	Degrade Mode = iota
	// Require refuses to run when a layer is missing.
	Require
	// Off does not seal (for debugging; the Go-level refusals stay).
	Off
)

// ParseMode reads a SYNCWAVE_SANDBOX value: "" (the default), "require"
// or "off".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "default", "degrade":
		return Degrade, nil
	case "require":
		return Require, nil
	case "off":
		return Off, nil
	}
	return Degrade, fmt.Errorf("expected require, off or nothing (the default: seal with what the kernel offers, warn about the rest)")
}

func (m Mode) String() string {
	switch m {
	case Require:
		return "require"
	case Off:
		return "off"
	}
	return "default"
}

// Config is what stays reachable after sealing.
type Config struct {
	// Read are the files and directories (with everything beneath) that
	// may still be opened for reading. Nothing may be opened for writing,
	// and nothing may be executed. A path that does not exist is skipped.
	Read []string
	// Scratch are private temporary directories the command made before
	// sealing and removes when done: readable, and their entries may be
	// removed (not created or written). The directory itself stays, as
	// removing it needs a right on its parent.
	Scratch []string
}

// Report says which layers a Seal applied.
type Report struct {
	// LandlockABI is the kernel's Landlock ABI version when Landlock was
	// applied, else 0 and LandlockErr says why.
	LandlockABI int
	LandlockErr error
	// Seccomp is true when the socket filter was applied, else SeccompErr
	// says why.
	Seccomp    bool
	SeccompErr error
	// Off is set when sealing was switched off (SYNCWAVE_SANDBOX=off).
	Off bool
}

// landlockRights names what Landlock of a given ABI restricts, in the
// words of the report.
func landlockRights(abi int) string {
	parts := []string{"fs read-only"}
	if abi >= 4 {
		parts = append(parts, "tcp")
	}
	if abi >= 10 {
		parts = append(parts, "udp")
	}
	if abi >= 6 {
		parts = append(parts, "scoped: abstract unix, signals")
	}
	return strings.Join(parts, ", ")
}

// String is the one-line description of the active layers, as `syncwave
// version` prints it after "sandbox: ".
func (r Report) String() string {
	if r.Off {
		return "off"
	}
	var parts []string
	if r.LandlockABI > 0 {
		parts = append(parts, fmt.Sprintf("landlock ABI %d (%s)", r.LandlockABI, landlockRights(r.LandlockABI)))
	}
	if r.Seccomp {
		parts = append(parts, "seccomp (socket: unix only, no io_uring)")
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	s := strings.Join(parts, ", ")
	if m := r.Missing(); m != nil {
		s += "; missing: " + m.Error()
	}
	return s
}

// Missing names the layers that were not applied and why (nil when both
// are active or sealing is off).
func (r Report) Missing() error {
	if r.Off {
		return nil
	}
	var errs []string
	if r.LandlockABI == 0 {
		errs = append(errs, fmt.Sprintf("landlock (%v)", orUnknown(r.LandlockErr)))
	}
	if !r.Seccomp {
		errs = append(errs, fmt.Sprintf("seccomp (%v)", orUnknown(r.SeccompErr)))
	}
	if errs == nil {
		return nil
	}
	return errors.New(strings.Join(errs, ", "))
}

func orUnknown(err error) error {
	if err == nil {
		return errors.New("not applied")
	}
	return err
}

// Seal applies both layers in best effort and reports what it applied.
// Loads the Go runtime makes lazily from files that are not under cfg.Read
// (the local time zone) are made first.
func Seal(cfg Config) Report {
	preload()
	var r Report
	r.LandlockABI, r.LandlockErr = noPanic2(func() (int, error) { return applyLandlock(nonEmpty(cfg.Read), nonEmpty(cfg.Scratch)) })
	_, r.SeccompErr = noPanic2(func() (int, error) { return 0, applySeccomp() })
	r.Seccomp = r.SeccompErr == nil
	return r
}

// noPanic2 turns a panic of a layer (a library's "cannot happen") into
// that layer's error: a layer is missing, the command does not crash.
func noPanic2(f func() (int, error)) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

func nonEmpty(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// preload makes the loads that the Go runtime and the libraries make
// lazily, from files outside the repository, before they become
// unreadable: the local time zone (/etc/localtime or TZ), read on the
// first use of time.Local (Helm's now, date and dateInZone functions).
func preload() {
	_ = time.Local.String()
	_ = time.Now().In(time.Local)
}

// zoneDirs are the time zone databases Go's time.LoadLocation reads
// (sprig's dateInZone, toDate): readable after sealing, so that a chart
// renders the same sealed or not. They hold no secret.
var zoneDirs = []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ"}
