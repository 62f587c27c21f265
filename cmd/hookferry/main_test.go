package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestValidateCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderrLike string
	}{
		{"valid demo", []string{"validate", "-c", "../../configs/demo.hcl"}, 0, "valid (1 pipeline, 1 sink; paths: /hooks/demo)", ""},
		{"every error at once", []string{"validate", "-c", "../../core/testdata/diagnostics/all_at_once.hcl"}, 1, "",
			`(?s)all_at_once.hcl:5:5: error: Unsupported argument.*all_at_once.hcl:17:36: error: JavaScript syntax error.*5 errors found`},
		{"no config flag", []string{"validate"}, 1, "", "no configuration given; use -c PATH"},
		{"missing file", []string{"validate", "-c", "nope.hcl"}, 1, "", "Cannot read configuration"},
		{"version", []string{"version"}, 0, "hookferry (devel)\n", ""},
		{"bad log level", []string{"validate", "-c", "../../configs/demo.hcl", "--log-level", "loud"}, 1, "", "--log-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut, noEnv)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			if tt.stdout != "" && !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out.String(), tt.stdout)
			}
			if tt.stderrLike != "" && !regexp.MustCompile(tt.stderrLike).MatchString(errOut.String()) {
				t.Errorf("stderr does not match %q:\n%s", tt.stderrLike, errOut.String())
			}
		})
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"run", "validate", "version", "fmt"} {
		var out bytes.Buffer
		if code := run([]string{cmd, "--help"}, &out, io.Discard, noEnv); code != 0 || !strings.Contains(out.String(), "Usage:") {
			t.Errorf("%s --help: exit %d, %q", cmd, code, out.String())
		}
	}
}

// TestRunDemoAsAProcess builds the binary, runs the demo config as a
// real process, sends a webhook, reads the log sink's line from stdout,
// then stops it with SIGTERM and expects a clean exit.
func TestRunDemoAsAProcess(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookferry")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "-c", "../../configs/demo.hcl", "--listen", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "data"), "--log-format", "json")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The address is in the "listening" log line.
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addrCh <- l.Addr
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(30 * time.Second):
		t.Fatal("the process never logged its address")
	}
	resp, err := http.Post("http://"+addr+"/hooks/demo", "application/json", strings.NewReader(`{"action":"opened","number":7}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		var got struct {
			Pipeline string
			Body     struct {
				Summary string
				Action  string
			}
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		if got.Pipeline != "demo" || got.Body.Action != "opened" || got.Body.Summary != "webhook with 2 field(s)" {
			t.Fatalf("stdout line %s", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no line on stdout")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Fatalf("data dir not created: %v", err)
	}
}

// TestAdminCommandsNeedNoPipelineSecrets: deliveries and replay read only
// admin.listen from -c, so they work in a shell without the pipelines'
// secrets (nor the admin token's variable). Nothing listens there, so the call itself fails, but
// with a connection error, not a configuration one.
func TestAdminCommandsNeedNoPipelineSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.hcl")
	addr := freePort(t)
	_ = os.WriteFile(cfg, []byte(`
admin {
  listen = "`+addr+`"
  token  = env("HOOKFERRY_ADMIN_TOKEN")
}
pipeline "p" {
  source "github" {
    path    = "/gh"
    secrets = [env("GITHUB_SECRET_NOT_SET_HERE")]
  }
  sink "log" "out" {}
}`), 0o644)
	var out, errOut bytes.Buffer
	code := run([]string{"deliveries", "list", "-c", cfg}, &out, &errOut, noEnv)
	if code == 0 || strings.Contains(errOut.String(), "GITHUB_SECRET_NOT_SET_HERE") || !strings.Contains(errOut.String(), "admin API at http://"+addr) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	code = run([]string{"replay", "-c", cfg}, &out, &errOut, noEnv)
	if code == 0 || !strings.Contains(errOut.String(), "nothing to replay") {
		t.Fatalf("replay without ids: exit %d, %q", code, errOut.String())
	}
}

// TestReplaySaysWhatIsMissingOrTooMuch: replay with neither ids nor a
// selection says there is nothing to replay and how to name some; with
// both it says not both. Neither message blames the other case.
func TestReplaySaysWhatIsMissingOrTooMuch(t *testing.T) {
	tests := []struct {
		args      []string
		want, not string
	}{
		{[]string{"replay"}, "nothing to replay: give delivery ids (PIPELINE.SINK.SEQ", "not both"},
		{[]string{"replay", "github.chat.42", "--state", "dead"}, "give delivery ids or a selection (--state, --pipeline, --sink, --since), not both", "nothing to replay"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(append(tc.args, "--admin", "http://127.0.0.1:1"), &out, &errOut, noEnv)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) || strings.Contains(errOut.String(), tc.not) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestValidateJSON: --json prints one object a CI job can read, with
// every error located, and no source snippet (so no literal secret).
func TestValidateJSON(t *testing.T) {
	type diag struct {
		Severity, Summary, Detail, File string
		Line, Column                    int
	}
	var got struct {
		Valid        bool
		ErrorCount   int `json:"error_count"`
		WarningCount int `json:"warning_count"`
		Diagnostics  []diag
	}
	var out, errOut bytes.Buffer
	code := run([]string{"validate", "--json", "-c", "../../core/testdata/diagnostics/every_error_in_a_block.hcl"}, &out, &errOut, noEnv)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if got.Valid || got.ErrorCount != 9 || len(got.Diagnostics) != 9 {
		t.Fatalf("%+v", got)
	}
	for _, d := range got.Diagnostics {
		if d.Severity != "error" || d.Summary == "" || !strings.HasSuffix(d.File, "every_error_in_a_block.hcl") || d.Line == 0 || d.Column == 0 {
			t.Errorf("diagnostic %+v", d)
		}
	}
	if strings.Contains(out.String(), "user:pw") || strings.Contains(out.String(), "/hook") {
		t.Fatalf("a URL (secret) reached the JSON:\n%s", out.String())
	}

	out.Reset()
	if code := run([]string{"validate", "--json", "-c", "../../configs/demo.hcl"}, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("demo: exit %d", code)
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || !got.Valid || got.ErrorCount != 0 || got.Diagnostics == nil {
		t.Fatalf("demo: %v %+v\n%s", err, got, out.String())
	}
}
