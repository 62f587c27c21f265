//go:build unix

package plugin

import (
	"os"
	"syscall"
)

// endProcessGroup ends the processes this plugin started, when the plugin
// leads its own process group (the host starts it so). A plugin in its
// host's group (reattached, started by hand) leaves the group alone.
func endProcessGroup() {
	if syscall.Getpgrp() != os.Getpid() {
		return
	}
	_ = syscall.Kill(-os.Getpid(), syscall.SIGKILL)
}
