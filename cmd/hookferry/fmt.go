package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
)

// fmtCheckStatus is the exit status of `fmt -check` when a file is not
// formatted: 3, as `terraform fmt -check` uses, so CI can tell "needs
// formatting" from "could not read or parse" (1).
const fmtCheckStatus exitStatus = 3

// maxFmtFile bounds what fmt reads: a configuration file, not a data file.
const maxFmtFile = 8 << 20

func newFmtCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fmt [-check] [-diff] [-recursive] [-list=false] [PATH...]",
		Short: "Rewrite configuration files in the canonical HCL format",
		Long: `Fmt rewrites .hcl files in the canonical format and style (hclwrite), as
terraform fmt does. PATH is a file or a folder (default: the current folder);
a folder's .hcl files are formatted, and with -recursive those of its
subfolders too (folders whose name starts with "." are skipped). A file named
explicitly is formatted whatever its extension. "-" reads standard input and
writes the result to standard output.

The name of every file that changed (or would change) is printed.

  -check      write nothing; exit 3 if any file is not formatted
  -diff       print a unified diff of each change
  -recursive  also format the subfolders' files
  -list=false do not print the names of the changed files

Flags take one dash or two. Exit status: 0 when all went well, 3 with -check
when a file would change, 1 when a file cannot be read, parsed or written
(every such file is reported, the others are still formatted).`,
		DisableFlagParsing: true, // terraform-style single-dash flags; parsed below
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFmt(cmd, args, stdout, stderr)
		},
	}
	return cmd
}

type fmtOptions struct {
	check, diff, recursive, list bool
}

func runFmt(cmd *cobra.Command, args []string, stdout, stderr io.Writer) error {
	var o fmtOptions
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.check, "check", false, "")
	fs.BoolVar(&o.diff, "diff", false, "")
	fs.BoolVar(&o.recursive, "recursive", false, "")
	fs.BoolVar(&o.list, "list", true, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cmd.Help()
		}
		return fmt.Errorf("fmt: %w (see hookferry fmt --help)", err)
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"."}
	}

	f := &formatter{opts: o, stdout: stdout}
	for _, p := range paths {
		if p == "-" {
			f.stdin(cmd.InOrStdin())
			continue
		}
		f.path(p)
	}
	if len(f.diags) > 0 {
		writeFmtDiagnostics(stderr, f.diags)
		fmt.Fprintf(stderr, "%s: nothing was written to the files named above\n", plural(len(f.diags), "error"))
		return errReported
	}
	if o.check && f.changed > 0 {
		return fmtCheckStatus
	}
	return nil
}

type formatter struct {
	opts    fmtOptions
	stdout  io.Writer
	diags   hcl.Diagnostics
	changed int
}

func (f *formatter) fail(path string, err error) {
	f.diags = append(f.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot format " + path, Detail: err.Error()})
}

// path formats a file or a folder given on the command line.
func (f *formatter) path(p string) {
	info, err := os.Stat(p)
	if err != nil {
		f.fail(p, err)
		return
	}
	if !info.IsDir() {
		f.file(p, info)
		return
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			f.fail(path, err)
			return nil
		}
		if d.IsDir() {
			if path != p && (!f.opts.recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && filepath.Ext(path) == ".hcl" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		f.fail(p, err)
	}
	sort.Strings(files)
	for _, path := range files {
		info, err := os.Stat(path)
		if err != nil {
			f.fail(path, err)
			continue
		}
		f.file(path, info)
	}
}

func (f *formatter) file(path string, info fs.FileInfo) {
	if info.Size() > maxFmtFile {
		f.fail(path, fmt.Errorf("%d bytes is more than the %d a configuration file may have", info.Size(), maxFmtFile))
		return
	}
	src, err := os.ReadFile(path)
	if err != nil {
		f.fail(path, err)
		return
	}
	out, ok := f.format(path, src)
	if !ok || bytes.Equal(src, out) {
		return
	}
	f.changed++
	if f.opts.list {
		fmt.Fprintln(f.stdout, path)
	}
	if f.opts.diff {
		fmt.Fprint(f.stdout, udiff.Unified("old/"+filepath.ToSlash(path), "new/"+filepath.ToSlash(path), string(src), string(out)))
	}
	if !f.opts.check {
		if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
			f.fail(path, err)
		}
	}
}

// stdin formats standard input to standard output (with -check or -diff,
// only the verdict or the diff is printed).
func (f *formatter) stdin(r io.Reader) {
	src, err := io.ReadAll(io.LimitReader(r, maxFmtFile+1))
	if err != nil {
		f.fail("<stdin>", err)
		return
	}
	if len(src) > maxFmtFile {
		f.fail("<stdin>", fmt.Errorf("more than the %d bytes a configuration file may have", maxFmtFile))
		return
	}
	out, ok := f.format("<stdin>", src)
	if !ok {
		return
	}
	if !bytes.Equal(src, out) {
		f.changed++
		if f.opts.diff {
			fmt.Fprint(f.stdout, udiff.Unified("old/<stdin>", "new/<stdin>", string(src), string(out)))
		}
	}
	if !f.opts.check && !f.opts.diff {
		_, _ = f.stdout.Write(out)
	}
}

// format returns src in canonical form, or false after recording the
// syntax errors that make it unsafe to rewrite.
func (f *formatter) format(name string, src []byte) ([]byte, bool) {
	_, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		f.diags = append(f.diags, diags...)
		return nil, false
	}
	return hclwrite.Format(src), true
}

// writeFmtDiagnostics prints each problem as "file:line:col: error: summary"
// (the form validate uses) followed by its detail.
func writeFmtDiagnostics(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject != nil {
			fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		} else {
			fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", d.Detail)
		}
	}
}
