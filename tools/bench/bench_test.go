package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	serveIfChild() // the reference servers are this test binary, re-run
	os.Exit(m.Run())
}

// TestSmokePrintsEveryColumn runs the tool the short way against a real
// hookferry binary and the reference servers: every mode measured, every
// column and ratio printed, every acknowledged event delivered.
func TestSmokePrintsEveryColumn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hookferry")
	}
	bin := filepath.Join(t.TempDir(), "hookferry")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/hookferry/hookferry/cmd/hookferry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hookferry: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(defaultBody())
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	o := options{bin: bin, base: bin, body: body, modes: append(append([]string{}, refModes...), ourModes...),
		rounds: 1, n: 200, conc: 16, rate: 100, open: 500 * time.Millisecond, drain: time.Minute,
		self: self, out: &out, errOut: &log}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, col := range []string{"acked/s", "delivered/s", "p50 ack", "p99 ack", "CPU/event", "peak RSS", "errors"} {
		if !strings.Contains(text, col) {
			t.Errorf("no %q column", col)
		}
	}
	for _, m := range []string{"bare", "forward", "interval-js", "always-js", "memory-js", "interval", "base/interval-js"} {
		rows := 0
		for line := range strings.Lines(text) {
			f := strings.Fields(line)
			if len(f) > 1 && f[0] == m && (f[1] == "closed" || f[1] == "open") {
				rows++
				if errs := f[len(f)-1]; errs != "0" {
					t.Errorf("%s %s: %s errors", m, f[1], errs)
				}
				if strings.Contains(line, " 0 MiB") {
					t.Errorf("%s: no peak RSS: %s", m, line)
				}
			}
		}
		if rows != 2 {
			t.Errorf("mode %s: %d rows, want closed and open", m, rows)
		}
	}
	for _, r := range []string{"interval-js delivered / forward delivered", "interval acked / bare acked", "interval-js delivered/acked", "interval-js delivered / base"} {
		if !strings.Contains(text, r) {
			t.Errorf("ratio %q missing", r)
		}
	}
	// Kept pace: a share of the acks, measured while sending.
	if m := regexp.MustCompile(`interval-js kept pace\s+([0-9.]+)`).FindStringSubmatch(text); m == nil {
		t.Error("ratio \"interval-js kept pace\" missing")
	} else if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 || v > 1.2 {
		t.Errorf("interval-js kept pace %s, want a share of the acks (0, 1.2]", m[1])
	}
}

// TestSmokeTelemetryVariantsExportAndPrintCost runs -telemetry briefly:
// every variant measured, the traced ones really exporting to the OTLP
// sink (ratio 0.1 sends spans, ratio 0 sends none) and each variant's
// cost printed against metrics and tracing off.
func TestSmokeTelemetryVariantsExportAndPrintCost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hookferry")
	}
	bin := filepath.Join(t.TempDir(), "hookferry")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/hookferry/hookferry/cmd/hookferry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hookferry: %v\n%s", err, out)
	}
	body, err := os.ReadFile(defaultBody())
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	o := options{bin: bin, body: body, modes: []string{"memory"}, telemetry: true,
		rounds: 1, n: 300, conc: 16, open: 0, drain: time.Minute, out: &out, errOut: &log}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	text := out.String()
	t.Log("\n" + text)
	costs := map[string]float64{}
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == "closed" && strings.HasPrefix(f[0], "memory") {
			if errs := f[len(f)-1]; errs != "0" {
				t.Errorf("%s: %s errors", f[0], errs)
			}
		}
		if i := strings.Index(line, "spans/event "); i >= 0 && strings.Contains(line, "acked ") {
			var v float64
			if _, err := fmt.Sscanf(line[i:], "spans/event %g", &v); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			costs[strings.TrimSpace(line[:strings.Index(line, ")")+1])] = v
		}
	}
	want := map[string]func(float64) bool{
		"memory (metrics on)":            func(v float64) bool { return v == 0 },
		"memory (tracing 0)":             func(v float64) bool { return v == 0 },
		"memory (tracing 0.1)":           func(v float64) bool { return v > 0 && v < 6 },
		"memory (metrics + tracing 0.1)": func(v float64) bool { return v > 0 && v < 6 },
	}
	for name, ok := range want {
		v, found := costs[name]
		if !found {
			t.Errorf("no cost line for %q", name)
		} else if !ok(v) {
			t.Errorf("%s: %g spans per event exported", name, v)
		}
	}
}

// countSpans agrees with a full unmarshal and refuses what is not an
// export request.
func TestCountSpansWalksTheWireFormat(t *testing.T) {
	req := &collectortrace.ExportTraceServiceRequest{}
	want := 0
	for r := range 3 {
		rs := &tracepb.ResourceSpans{}
		for s := range r + 1 {
			ss := &tracepb.ScopeSpans{}
			for range s + 2 {
				ss.Spans = append(ss.Spans, &tracepb.Span{Name: "x", TraceId: make([]byte, 16)})
				want++
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		req.ResourceSpans = append(req.ResourceSpans, rs)
	}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := countSpans(b); !ok || n != want {
		t.Fatalf("counted %d (ok %v), want %d", n, ok, want)
	}
	if _, ok := countSpans(b[:len(b)-3]); ok {
		t.Fatal("a truncated request was taken")
	}
}

// TestSmokeBacklogDrainsEverything runs -backlog briefly: the events sent
// while the destination answers 503 are all acknowledged, none counted
// during the outage, all delivered once it is back, and the row printed.
func TestSmokeBacklogDrainsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hookferry")
	}
	bin := filepath.Join(t.TempDir(), "hookferry")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/hookferry/hookferry/cmd/hookferry")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hookferry: %v\n%s", err, out)
	}
	body, err := os.ReadFile(defaultBody())
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	o := options{bin: bin, body: body, modes: []string{"interval"}, backlog: 400,
		rounds: 1, n: 100, conc: 16, drain: 2 * time.Minute, out: &out, errOut: &log}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	text := out.String()
	t.Log("\n" + text)
	var row []string
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "interval" && f[1] == "400" {
			row = f
		}
	}
	if row == nil {
		t.Fatal("no backlog row for interval with 400 events")
	}
	if strings.Contains(strings.Join(row, " "), " of 400 after ") {
		t.Fatalf("backlog not drained: %v", row)
	}
}

// mapped, the check each mapped mode's first delivered body passes (the
// benthos mode's bloblang against the JS mapping), compares fields, not
// bytes: key order and escaping may differ, a value may not.
func TestMappedComparesFieldsNotBytes(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main","compare":"https://x/compare","pusher":{"name":"ann"},
		"sender":{"login":"ann-l"},"repository":{"full_name":"o/r"},
		"commits":[{"id":"0123456789abcdef","message":"fix <a&b>\nlong text","author":{"name":"Änne"}},
		           {"id":"fedcba9876543210","message":"one line","author":{"name":"bo"}}]}`)
	same := `{"url":"https://x/compare","commits":[{"author":"\u00c4nne","message":"fix \u003ca\u0026b\u003e","id":"0123456"},
		{"message":"one line","id":"fedcba9","author":"bo"}],"sender":"ann-l","repository":"o/r",
		"text":"ann pushed 2 commit(s) to o/r (refs/heads/main)"}`
	if err := mapped(body, []byte(same)); err != nil {
		t.Fatalf("the same message refused: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(same, `"0123456"`, `"01234567"`, 1),
		strings.Replace(same, `"sender":"ann-l",`, ``, 1),
		strings.Replace(same, `"o/r",`, `"o/r","extra":1,`, 1),
		`not json`,
	} {
		if err := mapped(body, []byte(bad)); err == nil {
			t.Errorf("taken: %s", bad)
		}
	}
}
