//go:build linux

package queue

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openSyncFS returns a function that syncs the filesystem holding dir,
// and the handle to close when done.
func openSyncFS(dir string) (func() error, func() error, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	fd := int(f.Fd())
	sync := func() error {
		if err := unix.Syncfs(fd); err != nil {
			return fmt.Errorf("queue: syncfs %s: %w", dir, err)
		}
		return nil
	}
	return sync, f.Close, nil
}
