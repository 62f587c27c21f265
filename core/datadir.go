package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrDataDir marks a data directory that cannot be used.
var ErrDataDir = errors.New("data directory cannot be used")

// prepareDataDir creates the data directory, and the jetstream folder in it
// when the queue is embedded, and proves each writable by creating and
// removing a file. A directory that cannot be used (a file in its place,
// no write permission, a read-only file system) fails here at once with one
// error naming the path, instead of the embedded NATS server logging
// "storage directory is not a directory" and the start timing out.
func prepareDataDir(dir string, embeddedQueue bool) error {
	dirs := []string{dir}
	if embeddedQueue {
		dirs = append(dirs, filepath.Join(dir, "jetstream"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDataDir, d, unwrapPath(err))
		}
		f, err := os.CreateTemp(d, ".hookferry-write-check-*")
		if err != nil {
			return fmt.Errorf("%w: %s is not writable: %w", ErrDataDir, d, unwrapPath(err))
		}
		name := f.Name()
		err = f.Close()
		if rerr := os.Remove(name); err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDataDir, d, unwrapPath(err))
		}
	}
	return nil
}

// unwrapPath drops the *PathError's own copy of the path, which the
// message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
