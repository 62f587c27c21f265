package sdk_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// goAlone runs the go command on the SDK module by itself, outside the
// repository's workspace (go.work), as a plugin author's build sees it.
func goAlone(args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	return cmd
}

// TestSDKImportsNoHostPackage: a plugin author who imports sdk must not
// pull in the host. sdk/... may depend on the standard library, its own
// packages and the plugin transport libraries, never on core/, plugins/ or
// cmd/ of the host module.
func TestSDKImportsNoHostPackage(t *testing.T) {
	mod, err := goAlone("list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	if module := strings.TrimSpace(string(mod)); module != "github.com/hookferry/hookferry/sdk" {
		t.Fatalf("running in module %q, want the SDK's own module", module)
	}
	out, err := goAlone("list", "-deps", "-test", "./...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list listed nothing")
	}
	for _, p := range deps {
		p, _, _ = strings.Cut(p, " ") // test variants: "pkg [pkg.test]"
		if strings.HasPrefix(p, "github.com/hookferry/hookferry/") && !strings.HasPrefix(p, "github.com/hookferry/hookferry/sdk") {
			t.Errorf("sdk depends on host package %s", p)
		}
	}
}

// allowedModules is everything the SDK module may require, directly or
// not: go-plugin and what it needs to speak gRPC. A plugin's go.mod
// inherits this list, so it stays this small; adding a module here is a
// decision for the SDK's compatibility promise (sdk/README.md).
var allowedModules = map[string]bool{
	"github.com/hashicorp/go-plugin":            true,
	"google.golang.org/grpc":                    true,
	"google.golang.org/protobuf":                true,
	"github.com/hashicorp/go-hclog":             true, // go-plugin's logger
	"github.com/hashicorp/yamux":                true, // go-plugin's multiplexer
	"github.com/oklog/run":                      true, // go-plugin
	"github.com/fatih/color":                    true, // go-hclog
	"github.com/mattn/go-colorable":             true, // go-hclog
	"github.com/mattn/go-isatty":                true, // go-hclog
	"github.com/golang/protobuf":                true, // go-plugin's generated code
	"golang.org/x/net":                          true, // grpc
	"golang.org/x/sys":                          true, // grpc, go-isatty
	"golang.org/x/text":                         true, // x/net
	"google.golang.org/genproto/googleapis/rpc": true, // grpc status
}

// TestSDKModuleRequiresLittle: the SDK's go.mod names only the modules
// above; in particular never the host's NATS, goja or fasthttp.
func TestSDKModuleRequiresLittle(t *testing.T) {
	out, err := goAlone("mod", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var f struct {
		Module  struct{ Path string }
		Require []struct{ Path string }
		Replace []any
	}
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	if f.Module.Path != "github.com/hookferry/hookferry/sdk" {
		t.Fatalf("module %s", f.Module.Path)
	}
	if len(f.Require) == 0 {
		t.Fatal("go.mod requires nothing: not the SDK's go.mod?")
	}
	for _, r := range f.Require {
		if !allowedModules[r.Path] {
			t.Errorf("the SDK requires %s, which is not on its short list", r.Path)
		}
	}
	if len(f.Replace) > 0 {
		t.Errorf("the SDK's go.mod has replace directives, which plugin builds would ignore: %v", f.Replace)
	}
}
