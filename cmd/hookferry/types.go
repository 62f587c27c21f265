package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hookferry/hookferry/plugins/transforms/javascript"
)

func newTypesCommand(stdout io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "types [--out DIR]",
		Short: "Write TypeScript declarations for transforms",
		Long: `Types writes declaration files so editors complete and check transforms:
hookferry.d.ts (the runtime: event, message(), split(), console) and
github-webhooks.d.ts (GitHub's webhook payload types, MIT, with their
licence). Existing files of the same names are replaced.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			decl := javascript.Declarations()
			return fs.WalkDir(decl, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(decl, p)
				if err != nil {
					return err
				}
				dst := filepath.Join(out, p)
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "wrote", dst)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "types", "folder to write the declarations into")
	return cmd
}
