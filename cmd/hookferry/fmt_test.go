package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	unformattedHCL = "server {\nlisten = \"127.0.0.1:8080\"\n  max_body_size=\"5MiB\"\n}\n"
	formattedHCL   = "server {\n  listen        = \"127.0.0.1:8080\"\n  max_body_size = \"5MiB\"\n}\n"
)

// fmtTree writes files (name -> content) under a temp dir and returns it.
func fmtTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func runFmtCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"fmt"}, args...), &out, &errOut, noEnv)
	return code, out.String(), errOut.String()
}

func TestFmtRewritesAFolderAndListsWhatChanged(t *testing.T) {
	dir := fmtTree(t, map[string]string{
		"a.hcl":      unformattedHCL,
		"b.hcl":      formattedHCL,
		"notes.txt":  "x  =  1\n", // not .hcl: left alone
		"sub/c.hcl":  unformattedHCL,
		".git/d.hcl": unformattedHCL,
	})
	code, out, errOut := runFmtCmd(t, dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if want := filepath.Join(dir, "a.hcl") + "\n"; out != want {
		t.Errorf("stdout %q, want only %q", out, want)
	}
	if got := readFile(t, filepath.Join(dir, "a.hcl")); got != formattedHCL {
		t.Errorf("a.hcl after fmt:\n%s\nwant\n%s", got, formattedHCL)
	}
	info, _ := os.Stat(filepath.Join(dir, "a.hcl"))
	if info.Mode().Perm() != 0o640 {
		t.Errorf("a.hcl mode %v after fmt, want 0640 kept", info.Mode().Perm())
	}
	for _, name := range []string{"notes.txt", "sub/c.hcl", ".git/d.hcl"} {
		want := unformattedHCL
		if name == "notes.txt" {
			want = "x  =  1\n"
		}
		if got := readFile(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s was changed without -recursive (or is not .hcl): %q", name, got)
		}
	}
}

func TestFmtRecursiveDescendsButSkipsHiddenFolders(t *testing.T) {
	dir := fmtTree(t, map[string]string{
		"sub/deeper/c.hcl": unformattedHCL,
		".git/d.hcl":       unformattedHCL,
	})
	code, out, errOut := runFmtCmd(t, "-recursive", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if got := readFile(t, filepath.Join(dir, "sub/deeper/c.hcl")); got != formattedHCL {
		t.Errorf("sub/deeper/c.hcl not formatted: %q", got)
	}
	if got := readFile(t, filepath.Join(dir, ".git/d.hcl")); got != unformattedHCL {
		t.Errorf(".git/d.hcl was formatted: %q", got)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("stdout lists %q, want one file", out)
	}
}

func TestFmtCheckExitsThreeAndWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		content string
		args    []string
		code    int
	}{
		{"unformatted, one dash", unformattedHCL, []string{"-check"}, 3},
		{"unformatted, two dashes", unformattedHCL, []string{"--check"}, 3},
		{"already formatted", formattedHCL, []string{"-check"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fmtTree(t, map[string]string{"main.hcl": tt.content})
			p := filepath.Join(dir, "main.hcl")
			code, out, _ := runFmtCmd(t, append(tt.args, p)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
			if got := readFile(t, p); got != tt.content {
				t.Errorf("-check rewrote the file: %q", got)
			}
			if listed := out == p+"\n"; listed != (tt.code == 3) {
				t.Errorf("stdout %q; the file should be listed only when it would change", out)
			}
		})
	}
}

func TestFmtDiffPrintsAUnifiedDiff(t *testing.T) {
	dir := fmtTree(t, map[string]string{"main.hcl": unformattedHCL})
	p := filepath.Join(dir, "main.hcl")
	code, out, _ := runFmtCmd(t, "-check", "-diff", "-list=false", p)
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	for _, want := range []string{
		"--- old/" + filepath.ToSlash(p),
		"+++ new/" + filepath.ToSlash(p),
		"-listen = \"127.0.0.1:8080\"",
		"+  listen        = \"127.0.0.1:8080\"",
		"+  max_body_size = \"5MiB\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if strings.HasPrefix(out, p) {
		t.Errorf("-list=false still listed the file:\n%s", out)
	}
}

func TestFmtSyntaxErrorIsReportedAndOtherFilesStillFormatted(t *testing.T) {
	dir := fmtTree(t, map[string]string{
		"bad.hcl":  "server {\n  listen = \n",
		"good.hcl": unformattedHCL,
	})
	code, _, errOut := runFmtCmd(t, dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "bad.hcl:2") {
		t.Errorf("stderr does not name bad.hcl:2:\n%s", errOut)
	}
	if got := readFile(t, filepath.Join(dir, "bad.hcl")); got != "server {\n  listen = \n" {
		t.Errorf("a file that does not parse was rewritten: %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "good.hcl")); got != formattedHCL {
		t.Errorf("good.hcl was not formatted beside the broken one: %q", got)
	}
}

func TestFmtMissingPathFails(t *testing.T) {
	code, _, errOut := runFmtCmd(t, filepath.Join(t.TempDir(), "nope.hcl"))
	if code != 1 || !strings.Contains(errOut, "nope.hcl") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the path", code, errOut)
	}
}

func TestFmtStdinToStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut, noEnv)
	root.SetArgs([]string{"fmt", "-"})
	root.SetIn(strings.NewReader(unformattedHCL))
	root.SetOut(&out)
	if err := root.Execute(); err != nil {
		t.Fatalf("fmt -: %v (%s)", err, errOut.String())
	}
	if out.String() != formattedHCL {
		t.Errorf("stdout %q, want %q", out.String(), formattedHCL)
	}
}

func TestFmtUnknownFlagIsAnError(t *testing.T) {
	code, _, errOut := runFmtCmd(t, "-wat", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "wat") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestExampleConfigsAreFormatted: every shipped configuration and test
// file is in the canonical format `hookferry fmt` writes.
func TestExampleConfigsAreFormatted(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"fmt", "-check", "-recursive", "../../configs"}, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("hookferry fmt -check: exit %d; run `hookferry fmt -recursive configs`:\n%s%s", code, out.String(), errOut.String())
	}
}
