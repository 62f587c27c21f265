package all_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPluginsNeverImportCore: built-ins implement sdk interfaces and may
// share plugins/internal helpers, but never reach into the host (core/,
// cmd/): a built-in must be movable out of process unchanged.
func TestPluginsNeverImportCore(t *testing.T) {
	// The module of this package (go list -m would list every module of
	// the workspace).
	mod, err := exec.Command("go", "list", "-f", "{{.Module.Path}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(mod))
	cmd := exec.Command("go", "list", "-deps", "./plugins/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var sawPlugin bool
	for _, p := range strings.Fields(string(out)) {
		rest, ours := strings.CutPrefix(p, module+"/")
		if !ours {
			continue
		}
		if strings.HasPrefix(rest, "plugins/sources/") {
			sawPlugin = true
		}
		for _, host := range []string{"core", "cmd", "internal"} {
			if rest == host || strings.HasPrefix(rest, host+"/") {
				t.Errorf("plugins/ depends on host package %s", p)
			}
		}
	}
	if !sawPlugin {
		t.Fatal("go list listed no plugins/sources package")
	}
}
