package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by release builds at link time, for example
//
//	-X github.com/hookferry/hookferry/internal/buildinfo.version=v1.2.3
//	-X github.com/hookferry/hookferry/internal/buildinfo.revision=<commit>
//	-X github.com/hookferry/hookferry/internal/buildinfo.buildTime=<RFC 3339>
//
// Each one that is set wins over what the Go toolchain recorded.
var version, revision, buildTime string

// Devel is the version of a build that knows no version: `go build` or
// `go run` from a checkout without VCS stamping, or a test binary.
const Devel = "(devel)"

// Info describes the running build. Empty fields are unknown.
type Info struct {
	Version    string `json:"version"`               // v1.2.3, a pseudo-version, or Devel
	Revision   string `json:"revision,omitempty"`    // VCS commit id
	Modified   bool   `json:"modified,omitempty"`    // built from a work tree with uncommitted changes
	BuildTime  string `json:"build_time,omitempty"`  // when the binary was built (release builds only)
	CommitTime string `json:"commit_time,omitempty"` // when Revision was committed
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"` // GOOS/GOARCH
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi, Linked{Version: version, Revision: revision, BuildTime: buildTime})
}

// Linked holds the values a release build sets with -ldflags -X.
type Linked struct {
	Version, Revision, BuildTime string
}

// From combines what the toolchain recorded (bi, nil when unavailable) with
// the link-time values; the latter win where set.
//
// `go install github.com/hookferry/hookferry/cmd/hookferry@v1.2.3` records
// v1.2.3 as the main module's version; a `go build` in a git checkout
// records a pseudo-version and the vcs.* settings (unless -buildvcs=false);
// neither records a build time, which only -ldflags can give.
func From(bi *debug.BuildInfo, l Linked) Info {
	in := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			in.Version = v
		}
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.time":
				in.CommitTime = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if l.Version != "" {
		in.Version = l.Version
	}
	if l.Revision != "" {
		in.Revision, in.Modified = l.Revision, false
	}
	if l.BuildTime != "" {
		in.BuildTime = l.BuildTime
	}
	if in.Version == "" {
		in.Version = Devel
	}
	return in
}
