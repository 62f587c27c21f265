package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// errTestsFailed is returned when a test case failed: the report says why.
var errTestsFailed = fmt.Errorf("tests failed: %w", errReported)

func newTestCommand(g *globalFlags, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	var update, asJSON, verbose, watch bool
	var junit string
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run pipeline test files (*.test.hcl) offline",
		Long: `Test runs the cases in *.test.hcl files (default: under the current folder).
Each case sends its request through the whole pipeline offline: the real
source with its signature check (sign = true signs the request the way the
provider does, with the secret the test's env gives), the events filter, the
transforms and each sink's Render. Nothing is sent; no queue is opened.

A case passes when the source's answer, the number of messages per sink, the
golden file of rendered requests and every assert hold. --update rewrites
golden files. The exit status is 1 on any failure.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := core.TestOptions{
				Paths:      args,
				Components: all.Definitions(all.Options{Stdout: io.Discard}),
				PluginDirs: g.dirs(lookupEnv),
				Update:     update,
			}
			once := func(ctx context.Context) error {
				results, ferrs := core.Test(ctx, opts)
				for _, fe := range ferrs {
					if len(fe.Diags) > 0 {
						_ = core.WriteDiagnostics(stderr, fe.Files, fe.Diags)
					} else if err := report(stderr, fe.Err); !errors.Is(err, errReported) {
						fmt.Fprintln(stderr, "Error:", err)
					}
				}
				if asJSON {
					if err := core.WriteTestJSON(stdout, results, ferrs); err != nil {
						return err
					}
				} else {
					core.WriteTestText(stdout, results, ferrs, verbose)
				}
				if junit != "" {
					f, err := os.Create(junit)
					if err != nil {
						return err
					}
					err = core.WriteTestJUnit(f, results, ferrs)
					if cerr := f.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						return fmt.Errorf("--junit: %w", err)
					}
				}
				if !core.TestsPassed(results, ferrs) {
					return errTestsFailed
				}
				return nil
			}
			if !watch {
				return once(cmd.Context())
			}
			return watchAndRerun(cmd.Context(), args, stderr, once)
		},
	}
	cmd.Flags().BoolVar(&update, "update", false, "rewrite golden files with what the pipelines render now")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&junit, "junit", "", "also write JUnit XML to this file")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print console lines of passing cases too")
	cmd.Flags().BoolVar(&watch, "watch", false, "run again whenever a file under the paths changes")
	return cmd
}

// watchAndRerun runs once, then again after each burst of file changes
// under the given paths, until ctx ends.
func watchAndRerun(ctx context.Context, paths []string, stderr io.Writer, once func(context.Context) error) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return w.Add(path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for {
		if err := once(ctx); err != nil && !errors.Is(err, errReported) {
			fmt.Fprintln(stderr, "Error:", err)
		}
		fmt.Fprintln(stderr, "watching for changes (Ctrl-C to stop)")
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return err
		case <-w.Events:
		}
		// Let a burst of writes (an editor's save) settle.
		settle := time.NewTimer(200 * time.Millisecond)
	drain:
		for {
			select {
			case <-w.Events:
			case <-settle.C:
				break drain
			case <-ctx.Done():
				return nil
			}
		}
	}
}
