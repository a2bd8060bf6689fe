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
		return nil, fmt.Errorf("%d bytes: larger than the %d MiB syncwave reads", fi.Size(), max>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, fi.Size()+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > fi.Size() {
		return nil, errors.New("changed while being read")
	}
	return b, nil
}
