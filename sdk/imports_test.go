package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSDKImportsNoHostPackage: a plugin author who imports sdk must not
// pull in the host. sdk/... may depend on the standard library, its own
// packages and the plugin transport libraries, never on core/, plugins/ or
// cmd/.
func TestSDKImportsNoHostPackage(t *testing.T) {
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(mod))
	out, err := exec.Command("go", "list", "-deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list listed nothing")
	}
	var sawSDK bool
	for _, p := range deps {
		if p == module+"/sdk" {
			sawSDK = true
		}
		for _, host := range []string{"/core", "/plugins", "/cmd", "/internal"} {
			if p == module+host || strings.HasPrefix(p, module+host+"/") {
				t.Errorf("sdk depends on host package %s", p)
			}
		}
	}
	if !sawSDK {
		t.Fatalf("go list did not list %s/sdk; is the test running in sdk/?", module)
	}
}

// TestExamplePluginsImportOnlySDK: the example plugins are written the way
// a third party would: sdk and its sub-packages only, nothing of the host.
func TestExamplePluginsImportOnlySDK(t *testing.T) {
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatal(err)
	}
	module := strings.TrimSpace(string(mod))
	cmd := exec.Command("go", "list", "-deps", "./plugins/examples/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := 0
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, module+"/") {
			continue
		}
		n++
		rest := strings.TrimPrefix(p, module+"/")
		if !strings.HasPrefix(rest, "sdk") && !strings.HasPrefix(rest, "plugins/examples/") {
			t.Errorf("an example plugin depends on host package %s", p)
		}
	}
	if n == 0 {
		t.Fatal("no example plugin listed")
	}
}
