//go:build unix

package pluginhost

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup starts cmd as the leader of a process group of its own, so the
// processes a plugin starts can be ended with it (endGroup), and a
// terminal's Ctrl-C reaches the host only, which stops its plugins itself.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// endGroup kills whatever is left of the process group pgid (the plugin's
// own children, after the plugin itself has been stopped). A group leader's
// id is not reused while any member lives, so this cannot hit a stranger.
func endGroup(pgid int) {
	if pgid <= 1 {
		return
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return
	}
}
