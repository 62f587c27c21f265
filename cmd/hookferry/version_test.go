package main

import (
	"bytes"
	"testing"

	"github.com/hookferry/hookferry/internal/buildinfo"
)

func TestVersionPrintsVersionRevisionAndBuildTime(t *testing.T) {
	tests := []struct {
		name string
		in   buildinfo.Info
		want string
	}{
		{"release build", buildinfo.Info{Version: "v1.5.0", Revision: "910406b47d97", BuildTime: "2026-11-28T09:00:00Z",
			CommitTime: "2026-11-27T13:50:15Z", GoVersion: "go1.26.8", Platform: "linux/arm64"},
			"hookferry v1.5.0\n  revision:  910406b47d97\n  built:     2026-11-28T09:00:00Z\n  committed: 2026-11-27T13:50:15Z\n  go:        go1.26.8 linux/arm64\n"},
		{"checkout with local changes", buildinfo.Info{Version: "v0.0.0-20261127135015-910406b47d97+dirty", Revision: "910406b47d97",
			Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"hookferry v0.0.0-20261127135015-910406b47d97+dirty\n  revision: 910406b47d97 (modified)\n  built:    unknown\n  go:       go1.26.8 linux/amd64\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeVersion(&b, tt.in)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
