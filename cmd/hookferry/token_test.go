package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestAdminCommandsSendTheToken: against an admin API locked with a token,
// `deliveries list` without a token fails with the 401's advice; with
// --token, or with HOOKFERRY_ADMIN_TOKEN, it works; a wrong --token wins
// over a right variable (and fails).
func TestAdminCommandsSendTheToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.hcl")
	_ = os.WriteFile(cfg, []byte(`
admin { token = "cli-secret" }
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}`), 0o644)
	e, err := core.Load(context.Background(), core.Options{
		ConfigPath: cfg, DataDir: filepath.Join(dir, "data"),
		Components: all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:  noEnv, Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()
	admin := "http://" + e.AdminAddr()
	env := func(token string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == "HOOKFERRY_ADMIN_TOKEN" {
				return token, true
			}
			return "", false
		}
	}
	tests := []struct {
		name   string
		args   []string
		lookup func(string) (string, bool)
		ok     bool
	}{
		{"no token", nil, noEnv, false},
		{"flag", []string{"--token", "cli-secret"}, noEnv, true},
		{"variable", nil, env("cli-secret"), true},
		{"wrong flag over right variable", []string{"--token", "nope"}, env("cli-secret"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"deliveries", "list", "--admin", admin}, tc.args...), &out, &errOut, tc.lookup)
			if (code == 0) != tc.ok {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
			if !tc.ok && !strings.Contains(errOut.String(), "admin token") {
				t.Fatalf("a refused call says why: %q", errOut.String())
			}
			if tc.ok && !strings.Contains(out.String(), "DELIVERY") {
				t.Fatalf("no listing: %q", out.String())
			}
			if strings.Contains(errOut.String()+out.String(), "cli-secret") {
				t.Fatal("the token was printed")
			}
		})
	}
}
