package core_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestOnlyPluginsTheConfigUsesAreStarted: a binary on the plugin path
// runs only when the configuration uses a component type of its name.
func TestOnlyPluginsTheConfigUsesAreStarted(t *testing.T) {
	built, _ := examplePlugin(t)
	plugDir := t.TempDir()
	b, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plugDir, "hookferry-plugin-mattermost"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	// A binary that must never run: it would leave a marker file.
	marker := filepath.Join(t.TempDir(), "ran")
	if err := os.WriteFile(filepath.Join(plugDir, "hookferry-plugin-trap"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sink string
		running    int
	}{
		{"unused", `sink "log" "out" {}`, 0},
		{"used", `sink "mattermost" "out" { webhook_url = "https://mm.example.test/hooks/x" }`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "c.hcl")
			_ = os.WriteFile(cfg, []byte("pipeline \"p\" {\n  source \"http\" {\n    path = \"/in\"\n    allow_unauthenticated = true\n  }\n  "+tt.sink+"\n}\n"), 0o644)
			e, err := core.Load(context.Background(), core.Options{ConfigPath: cfg, Components: all.Definitions(all.Options{}), PluginDirs: []string{plugDir}})
			if err != nil {
				t.Fatal(err)
			}
			got := len(e.Plugins())
			_ = e.Close(context.Background())
			if got != tt.running {
				t.Fatalf("%d plugins started, want %d", got, tt.running)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("an unused binary on the plugin path was executed")
			}
		})
	}
}
