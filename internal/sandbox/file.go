package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrNotRegular is returned for a FIFO, socket, device or other file that
// is not a regular file: reading one could block forever or never end.
var ErrNotRegular = errors.New("not a regular file (a FIFO, socket or device is never read)")

// ReadRegular reads a regular file of at most max bytes (a whole number of
// MiB). It is opened with
// O_NONBLOCK, so that opening a FIFO cannot block, and refused when the
// opened file is not regular (checked on the open file, so a swap between a
// check and the open does not matter) or larger than max. The read itself
// is bounded by the size found plus one byte, so a file that grows while
// being read is refused rather than read without end.
func ReadRegular(name string, max int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpened(f, max)
}

// ReadRegularIn is ReadRegular for a name inside dir: one openat(2) on the
// open directory instead of resolving the whole path again, for walks that
// read every file of a directory. A symlink swapped in after the directory
// was listed is followed only inside dir (os.Root).
func ReadRegularIn(dir *os.Root, name string, max int64) ([]byte, error) {
	f, err := dir.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpened(f, max)
}

// SizeError is returned for a file larger than the reader's maximum.
type SizeError struct{ Size, Max int64 }

func (e *SizeError) Error() string {
	return fmt.Sprintf("%d bytes: larger than the %d MiB syncwave reads", e.Size, e.Max>>20)
}

func readOpened(f *os.File, max int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("is a directory")
		}
		return nil, ErrNotRegular
	}
	if fi.Size() > max {
		return nil, &SizeError{Size: fi.Size(), Max: max}
	}
	// One buffer of the size found plus one byte: a file that grew while
	// being read fills it and is refused.
	b := make([]byte, fi.Size()+1)
	n, err := io.ReadFull(f, b)
	switch {
	case err == nil:
		return nil, errors.New("changed while being read")
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, err
	}
	return b[:n:n], nil
}
