//go:build !linux

package testdisk

import "testing"

// Mount skips the test: mounting a tmpfs needs Linux.
func Mount(t testing.TB, size int64) string {
	t.Skip("filling a real disk is tested on Linux only")
	return ""
}

// Fill is never reached off Linux (Mount skips).
func Fill(t testing.TB, dir string) string {
	t.Skip("filling a real disk is tested on Linux only")
	return ""
}
