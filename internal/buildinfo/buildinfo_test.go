package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFromPrefersLinkedValuesAndFallsBackToTheToolchain(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/hookferry/hookferry", Version: "v0.0.0-20261127135015-910406b47d97+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "910406b47d978856fb66c0d6be5207cb38309ba1"},
			{Key: "vcs.time", Value: "2026-11-27T13:50:15Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		linked Linked
		want   Info
	}{
		{"no build info at all", nil, Linked{},
			Info{Version: Devel, GoVersion: runtime.Version(), Platform: platform}},
		{"go build without VCS stamping", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, Linked{},
			Info{Version: Devel, GoVersion: "go1.26.8", Platform: platform}},
		{"go install at a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, Linked{},
			Info{Version: "v1.4.0", GoVersion: "go1.26.8", Platform: platform}},
		{"go build in a dirty checkout", stamped, Linked{},
			Info{Version: "v0.0.0-20261127135015-910406b47d97+dirty", Revision: "910406b47d978856fb66c0d6be5207cb38309ba1",
				Modified: true, CommitTime: "2026-11-27T13:50:15Z", GoVersion: "go1.26.8", Platform: platform}},
		{"release build with -ldflags", stamped, Linked{Version: "v1.5.0", Revision: "abc123", BuildTime: "2026-11-28T09:00:00Z"},
			Info{Version: "v1.5.0", Revision: "abc123", BuildTime: "2026-11-28T09:00:00Z",
				CommitTime: "2026-11-27T13:50:15Z", GoVersion: "go1.26.8", Platform: platform}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := From(tt.bi, tt.linked); got != tt.want {
				t.Errorf("From =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestGetInATestBinaryKnowsTheToolchain(t *testing.T) {
	in := Get()
	if in.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", in.GoVersion, runtime.Version())
	}
	if in.Version == "" {
		t.Error("Version is empty; an unknown version must read (devel)")
	}
}
