package main

import (
	"slices"
	"testing"
)

// TestDefaultPluginFolderIsNotTheWorkingDirectory: binaries are looked
// for under the user's data folder, never where hookferry happens to run.
func TestDefaultPluginFolderIsNotTheWorkingDirectory(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}, []string{"/x/data/hookferry/plugins"}},
		{map[string]string{"HOME": "/home/u"}, []string{"/home/u/.local/share/hookferry/plugins"}},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, []string{"/home/u/.local/share/hookferry/plugins"}},
		{map[string]string{}, nil},
	}
	for _, tt := range tests {
		got := defaultPluginDirs(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if !slices.Equal(got, tt.want) {
			t.Errorf("env %v: %v, want %v", tt.env, got, tt.want)
		}
	}
}
