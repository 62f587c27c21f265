package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

const tapConfig = `
pipeline "gh" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GH_SECRET")]
  }
  transform "javascript" {
    code = <<-JS
      function transform(event) {
        if (event.body.action === "boom") throw new Error("cannot map " + event.body.action);
        return { text: event.type + " #" + event.body.number };
      }
    JS
  }
  sink "log" "out" {}
}
`

// TestTapRecordsFixturesThatHookferryTestRuns: against a running process,
// `hookferry tap --record` writes each accepted event as a fixture and a
// case; the recording holds no signature; `hookferry test` on it passes
// (the cases are re-signed with stand-in secrets); and --from-delivery
// turns a dead delivery's stored event into a case that reproduces its
// failure.
func TestTapRecordsFixturesThatHookferryTestRuns(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gh.hcl")
	if err := os.WriteFile(cfg, []byte(tapConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, admin := freePort(t), freePort(t)
	cmd := exec.Command(bin, "run", "-c", cfg, "--listen", addr, "--admin-listen", admin, "--data-dir", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "GH_SECRET=real-secret-never-recorded")
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitListening(t, addr)
	waitListening(t, admin)

	record := filepath.Join(dir, "recorded")
	tapDone := make(chan string, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := run([]string{"tap", "-c", cfg, "--admin", admin, "--pipeline", "gh", "--sink", "out", "--count", "2", "--record", record}, &out, &errOut, noEnv)
		tapDone <- fmt.Sprintf("exit %d\n%s%s", code, out.String(), errOut.String())
	}()
	// The stream is open once the server logged it.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "tap opened") {
		if time.Now().After(deadline) {
			t.Fatalf("tap never connected:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, action := range []string{"opened", "boom"} {
		body := fmt.Sprintf(`{"action":%q,"number":%d}`, action, i+1)
		m := hmac.New(sha256.New, []byte("real-secret-never-recorded"))
		m.Write([]byte(body))
		req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/github", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "issues")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("d-%d", i+1))
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("webhook %d: status %d", i, resp.StatusCode)
		}
	}
	select {
	case out := <-tapDone:
		if !strings.HasPrefix(out, "exit 0") || !strings.Contains(out, `"id":"d-1"`) {
			t.Fatalf("tap: %s", out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tap did not stop after two events")
	}

	testFile := filepath.Join(record, "gh.test.hcl")
	b, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(b), []byte("x-hub-signature")) || bytes.Contains(b, []byte("real-secret")) {
		t.Fatalf("the recording holds a signature or secret:\n%s", b)
	}
	rs, ferrs := core.Test(context.Background(), core.TestOptions{Paths: []string{record}, Components: all.Definitions(all.Options{Stdout: io.Discard})})
	if len(ferrs) > 0 || len(rs) != 2 {
		t.Fatalf("results %v, file errors %v\n%s", rs, ferrs, b)
	}
	if !rs[0].Passed || rs[1].Passed || !strings.Contains(strings.Join(rs[1].Failures, " "), "cannot map boom") {
		t.Fatalf("want the first case to pass and the second to reproduce the script error: %+v", rs)
	}

	// The "boom" delivery goes dead (a script error is permanent); its
	// stored event becomes a case of its own.
	var id string
	deadline = time.Now().Add(20 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		var recs []struct {
			ID      string `json:"id"`
			EventID string `json:"event_id"`
		}
		if resp, err := http.Get("http://" + admin + "/v1/deliveries?state=dead"); err == nil {
			var doc struct {
				Deliveries []struct {
					ID      string `json:"id"`
					EventID string `json:"event_id"`
				} `json:"deliveries"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			for _, d := range doc.Deliveries {
				recs = append(recs, d)
			}
		}
		for _, r := range recs {
			if r.EventID == "d-2" {
				id = r.ID
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if id == "" {
		t.Fatalf("the boom delivery never went dead:\n%s", logs.String())
	}
	from := filepath.Join(dir, "from-delivery")
	var out, errOut bytes.Buffer
	if code := run([]string{"tap", "-c", cfg, "--admin", admin, "--from-delivery", id, "--record", from}, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("tap --from-delivery: %s%s", out.String(), errOut.String())
	}
	rs, ferrs = core.Test(context.Background(), core.TestOptions{Paths: []string{from}, Components: all.Definitions(all.Options{Stdout: io.Discard})})
	if len(ferrs) > 0 || len(rs) != 1 || rs[0].Passed || !strings.Contains(strings.Join(rs[0].Failures, " "), "cannot map boom") {
		t.Fatalf("the dead delivery's case should reproduce its failure: %+v %v", rs, ferrs)
	}
}
