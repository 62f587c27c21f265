//go:build !linux

package queue

import "errors"

// openSyncFS: no whole-filesystem sync here; sync = "always" keeps the
// server's own fsync per write, grouped by atomic batches (batch.go).
func openSyncFS(string) (func() error, func() error, error) {
	return nil, nil, errors.ErrUnsupported
}
