package core_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestRunRefusesAnOpenAdminListenerWithoutToken: --admin-listen on an
// address beyond loopback is refused at Start when the config has no
// admin.token, before anything listens; on loopback it starts.
func TestRunRefusesAnOpenAdminListenerWithoutToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(cfg, []byte(`
admin { listen = "127.0.0.1:0" }
pipeline "p" {
  source "http" {
    path = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}`), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(adminListen string) (*core.Engine, error) {
		e, err := core.Load(context.Background(), core.Options{
			ConfigPath: cfg, DataDir: filepath.Join(dir, "data"),
			Components: all.Definitions(all.Options{Stdout: io.Discard}),
			LookupEnv:  noEnv, Listen: "127.0.0.1:0", AdminListen: adminListen,
		})
		if err != nil {
			t.Fatal(err)
		}
		return e, e.Start(context.Background())
	}
	if _, err := start("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "admin.token") {
		t.Fatalf("open admin listener without a token: %v", err)
	}
	e, err := start("")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()
	if e.AdminAddr() == "" || !strings.HasPrefix(e.AdminAddr(), "127.0.0.1:") {
		t.Fatalf("admin block's loopback listener not started: %q", e.AdminAddr())
	}
}
