package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const offlineConfig = `
pipeline "gh" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GH_SECRET")]
    events  = ["push", "issues.*"]
  }
  transform "javascript" {
    file = "map.js"
  }
  sink "slack" "chat" {
    webhook_url = env("SLACK_URL")
  }
}
`

const offlineScript = `function transform(event) {
  console.log("mapping", event.type);
  if (event.body.action === "deleted") return null;
  if (event.body.action === "edited") return split([{ text: "one" }, { text: "two" }]);
  return { text: event.type + " by " + event.body.sender.login };
}
`

const offlineTests = `
env = {
  GH_SECRET = "test-secret"
  SLACK_URL = "https://hooks.slack.test/services/T0/B0/secretpart"
}

case "signed issue" {
  request {
    headers = { "X-GitHub-Event" = "issues" }
    body    = jsonencode({ action = "opened", sender = { login = "octocat" } })
    sign    = true
  }
  sink "chat" {
    messages = 1
    golden   = "golden/opened.json"
  }
  assert {
    condition     = sink.chat[0].body.text == "issues.opened by octocat"
    error_message = "the text names the event and the sender"
  }
}

case "unsigned is refused" {
  request {
    headers = { "X-GitHub-Event" = "issues" }
    body    = jsonencode({ action = "opened" })
  }
  expect {
    status = 401
  }
}

case "filtered by events" {
  request {
    headers = { "X-GitHub-Event" = "star" }
    body    = jsonencode({ action = "created", sender = { login = "x" } })
    sign    = true
  }
  expect {
    outcome = "filtered"
  }
}

case "dropped" {
  request {
    headers = { "X-GitHub-Event" = "issues" }
    body    = jsonencode({ action = "deleted", sender = { login = "x" } })
    sign    = true
  }
  sink "chat" {
    messages = 0
  }
}

case "split" {
  request {
    headers = { "X-GitHub-Event" = "issues" }
    body    = jsonencode({ action = "edited", sender = { login = "x" } })
    sign    = true
  }
  sink "chat" {
    messages = 2
  }
}
`

func runTests(t *testing.T, dir string, update bool) ([]core.TestResult, []*core.TestFileError) {
	t.Helper()
	return core.Test(context.Background(), core.TestOptions{
		Paths:      []string{dir},
		Components: all.Definitions(all.Options{Stdout: io.Discard}),
		Update:     update,
	})
}

// TestOfflineTestsRunTheWholePipeline: `hookferry test` verifies signed
// requests with the real source, applies the events filter, runs the
// script and renders through the real sink, and checks goldens and
// asserts; --update writes the golden, which then passes; the golden
// holds no secret.
func TestOfflineTestsRunTheWholePipeline(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.hcl": offlineConfig, "map.js": offlineScript, "p.test.hcl": offlineTests})

	rs, ferrs := runTests(t, dir, false)
	if len(ferrs) != 0 {
		t.Fatalf("file errors: %v", ferrs[0])
	}
	if len(rs) != 5 {
		t.Fatalf("%d results, want 5", len(rs))
	}
	for _, r := range rs {
		want := r.Case != "signed issue" // only the golden is missing
		if r.Passed != want {
			t.Errorf("case %q passed=%v, want %v: %v", r.Case, r.Passed, want, r.Failures)
		}
	}
	if !strings.Contains(strings.Join(rs[0].Failures, "\n"), "--update") {
		t.Errorf("a missing golden should say how to write it: %v", rs[0].Failures)
	}

	if rs, _ := runTests(t, dir, true); !rs[0].Passed || len(rs[0].Updated) != 1 {
		t.Fatalf("--update: %+v", rs[0])
	}
	golden, err := os.ReadFile(filepath.Join(dir, "golden", "opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(golden, []byte("secretpart")) || !bytes.Contains(golden, []byte("${SLACK_URL}")) {
		t.Errorf("golden does not redact the webhook URL:\n%s", golden)
	}
	if !bytes.Contains(golden, []byte(`"text": "issues.opened by octocat"`)) || !bytes.Contains(golden, []byte(`"method": "POST"`)) {
		t.Errorf("golden misses the rendered request:\n%s", golden)
	}
	rs, _ = runTests(t, dir, false)
	for _, r := range rs {
		if !r.Passed {
			t.Errorf("after --update, case %q fails: %v", r.Case, r.Failures)
		}
	}
	if c := strings.Join(rs[0].Console, "\n"); !strings.Contains(c, "mapping issues.opened") {
		t.Errorf("console lines not reported: %q", c)
	}
}

// TestOfflineTestFailureShowsDiffAndScriptLine: a changed script fails its
// golden with a unified diff, a throwing script fails with the script's
// file:line, and the JSON and JUnit reports say the same.
func TestOfflineTestFailureShowsDiffAndScriptLine(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.hcl": offlineConfig, "map.js": offlineScript, "p.test.hcl": offlineTests})
	runTests(t, dir, true)

	writeFiles(t, dir, map[string]string{"map.js": strings.Replace(offlineScript, `" by "`, `" from "`, 1)})
	rs, _ := runTests(t, dir, false)
	if rs[0].Passed || !strings.Contains(rs[0].Diff, `-      "text": "issues.opened by octocat"`) || !strings.Contains(rs[0].Diff, `+      "text": "issues.opened from octocat"`) {
		t.Fatalf("want a unified diff of the change, got passed=%v diff:\n%s", rs[0].Passed, rs[0].Diff)
	}
	if !strings.Contains(strings.Join(rs[0].Failures, "\n"), "the text names the event and the sender") {
		t.Errorf("the failed assert's message is missing: %v", rs[0].Failures)
	}

	writeFiles(t, dir, map[string]string{"map.js": "function transform(event) {\n  return event.body.nothing.here;\n}\n"})
	rs, ferrs := runTests(t, dir, false)
	got := strings.Join(rs[0].Failures, "\n")
	if rs[0].Passed || !strings.Contains(got, "map.js:2:") {
		t.Fatalf("a script exception should fail with map.js:2: %q", got)
	}
	var buf bytes.Buffer
	if err := core.WriteTestJSON(&buf, rs, ferrs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failed  int `json:"failed"`
		Results []struct {
			Case   string `json:"case"`
			Passed bool   `json:"passed"`
		} `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Failed == 0 || doc.Results[0].Passed {
		t.Fatalf("JSON report %s (%v)", buf.String(), err)
	}
	buf.Reset()
	if err := core.WriteTestJUnit(&buf, rs, ferrs); err != nil {
		t.Fatal(err)
	}
	var junit struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &junit); err != nil || len(junit.Suites) != 1 || junit.Suites[0].Tests != 5 || junit.Suites[0].Failures == 0 {
		t.Fatalf("JUnit report %s (%v)", buf.String(), err)
	}
	if core.TestsPassed(rs, ferrs) {
		t.Fatal("TestsPassed with failures")
	}
}

// TestOfflineTestBadFileIsADiagnostic: a test file with an unknown
// attribute fails to load with its file and line, and nothing passes.
func TestOfflineTestBadFileIsADiagnostic(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.hcl": offlineConfig, "map.js": offlineScript, "p.test.hcl": "case \"x\" {\n  request {}\n  expects {}\n}\n"})
	rs, ferrs := runTests(t, dir, false)
	if len(ferrs) != 1 || len(ferrs[0].Diags) == 0 || ferrs[0].Diags[0].Subject.Start.Line != 3 {
		t.Fatalf("want one diagnostic at line 3, got %v", ferrs)
	}
	if core.TestsPassed(rs, ferrs) {
		t.Fatal("a broken test file passed")
	}
}
