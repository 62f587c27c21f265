// Package testdisk gives tests a real filesystem that can be filled: a
// small tmpfs mounted for the test (Linux, as root; the test is skipped
// where mounting is impossible). Only tests import it.
package testdisk
