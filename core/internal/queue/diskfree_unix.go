//go:build unix

package queue

import "golang.org/x/sys/unix"

// diskSpace reports the bytes free to an unprivileged writer and the
// total size of the filesystem holding dir.
func diskSpace(dir string) (free, total uint64, ok bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, false
	}
	bs := uint64(st.Bsize) //nolint:gosec // block sizes are positive
	return st.Bavail * bs, st.Blocks * bs, true
}
