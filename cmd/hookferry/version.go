package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/internal/buildinfo"
)

// version is this build's version, as `plugins list` shows for built-ins.
var version = buildinfo.Get().Version

func newVersionCommand(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, revision and build time",
		Long: `Version prints the module version, the VCS revision and the build time of
this binary. Release builds (archives, container image) carry all three,
set at link time. A binary from 'go install ...@vX.Y.Z' knows its version;
one built from a git checkout knows its revision and commit time; a build
time is only known to release builds. Unknown fields read "unknown".`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in := buildinfo.Get()
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			writeVersion(stdout, in)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build information as JSON")
	return cmd
}

func writeVersion(w io.Writer, in buildinfo.Info) {
	fmt.Fprintln(w, "hookferry", in.Version)
	or := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	rev := or(in.Revision)
	if in.Modified {
		rev += " (modified)"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  revision:\t%s\n", rev)
	fmt.Fprintf(tw, "  built:\t%s\n", or(in.BuildTime))
	if in.CommitTime != "" {
		fmt.Fprintf(tw, "  committed:\t%s\n", in.CommitTime)
	}
	fmt.Fprintf(tw, "  go:\t%s %s\n", in.GoVersion, in.Platform)
	_ = tw.Flush()
}
