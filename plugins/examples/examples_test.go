// Package examples_test builds the example plugins the way a third party
// builds theirs: each is its own Go module that requires only the SDK.
package examples_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

const sdkModule = "github.com/hookferry/hookferry/sdk"

// goCmd runs the go command in dir as a plugin author would: outside any
// workspace, free to complete go.sum.
func goCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMattermostIsItsOwnModule: plugins/examples/mattermost builds in its
// own folder, its go.mod requires the SDK and nothing else directly, and
// none of its packages is the host's.
func TestMattermostIsItsOwnModule(t *testing.T) {
	dir := filepath.Join("mattermost")
	if out, err := goCmd(t, dir, "build", "-o", filepath.Join(t.TempDir(), "hookferry-plugin-mattermost"), "."); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := goCmd(t, dir, "mod", "edit", "-json")
	if err != nil {
		t.Fatal(err, out)
	}
	var mod struct {
		Module  struct{ Path string }
		Require []struct {
			Path     string
			Indirect bool
		}
	}
	if err := json.Unmarshal([]byte(out), &mod); err != nil {
		t.Fatal(err)
	}
	var direct []string
	for _, r := range mod.Require {
		if !r.Indirect {
			direct = append(direct, r.Path)
		}
	}
	if len(direct) != 1 || direct[0] != sdkModule {
		t.Errorf("the example requires %v directly, want only %s", direct, sdkModule)
	}
	out, err = goCmd(t, dir, "list", "-deps", ".")
	if err != nil {
		t.Fatal(err, out)
	}
	for _, p := range strings.Fields(out) {
		if strings.HasPrefix(p, "github.com/hookferry/hookferry/") && !strings.HasPrefix(p, sdkModule) && p != mod.Module.Path {
			t.Errorf("the example depends on host package %s", p)
		}
	}
}

// TestAPluginInAnEmptyFolder: a new module in an empty folder, requiring
// only the SDK (replaced by this checkout, as before a release), builds a
// plugin that hookferry's handshake accepts and that describes itself; its
// go.sum names none of the host's heavy dependencies. It cannot import the
// SDK's generated protocol code.
func TestAPluginInAnEmptyFolder(t *testing.T) {
	sdkDir, err := filepath.Abs(filepath.Join("..", "..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"main.go", "sink.go"} {
		b, err := os.ReadFile(filepath.Join("mattermost", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gomod := "module example.com/hookferry-plugin-mattermost\n\ngo 1.26.0\n\nrequire " + sdkModule + " v0.0.0-00010101000000-000000000000\n\nreplace " + sdkModule + " => " + sdkDir + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, dir, "mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "hookferry-plugin-mattermost")
	if out, err := goCmd(t, dir, "build", "-o", bin, "."); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"nats-io", "dop251/goja", "valyala/fasthttp", "hashicorp/hcl"} {
		if strings.Contains(string(sum), heavy) {
			t.Errorf("the plugin's go.sum names %s", heavy)
		}
	}

	// It runs: the host's handshake accepts it and it describes itself.
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: sdkplugin.PluginSet(),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Cmd:              exec.Command(bin),
		SkipHostEnv:      true,
		AutoMTLS:         true,
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rpc.Dispense(sdkplugin.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := raw.(*sdkplugin.Client).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Name != "mattermost" || len(desc.Components) != 1 || desc.Components[0].Name != "mattermost" {
		t.Fatalf("described %+v", desc)
	}

	// The generated protocol is the SDK's internal affair.
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package bad\n\nimport _ \"" + sdkModule + "/internal/proto/hookferry/v1\"\n"
	if err := os.WriteFile(filepath.Join(bad, "bad.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(t, dir, "build", "./bad")
	if err == nil || !strings.Contains(out, "use of internal package") {
		t.Fatalf("importing the SDK's generated code: err %v, output:\n%s", err, out)
	}
}
