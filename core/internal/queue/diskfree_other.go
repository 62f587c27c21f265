//go:build !unix

package queue

// diskSpace is not measured on this platform: only the store's own write
// errors tell that the disk is full.
func diskSpace(string) (free, total uint64, ok bool) { return 0, 0, false }
