package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/testrun"
	"github.com/hookferry/hookferry/sdk"
)

// TestOptions configure `hookferry test`.
type TestOptions struct {
	// Paths are test files or folders searched for *.test.hcl.
	Paths []string
	// Components and PluginDirs as for Load.
	Components []sdk.Definition
	PluginDirs []string
	// Update rewrites golden files.
	Update bool
}

// TestResult, TestFileError: see testrun.
type (
	TestResult    = testrun.Result
	TestFileError = testrun.FileError
)

// Test runs every case of every test file offline: the real source, the
// events filter, the transforms and each sink's Render, with nothing sent
// and no queue.
func Test(ctx context.Context, opts TestOptions) ([]TestResult, []*TestFileError) {
	return testrun.Run(ctx, opts.Paths, testrun.Options{Update: opts.Update, Load: func(ctx context.Context, cfgPath string, env map[string]string) (*testrun.Loaded, error) {
		return loadOffline(ctx, cfgPath, env, opts)
	}})
}

func loadOffline(ctx context.Context, cfgPath string, env map[string]string, topts TestOptions) (*testrun.Loaded, error) {
	capture := &consoleCapture{}
	e, err := Load(ctx, Options{
		ConfigPath: cfgPath,
		Components: topts.Components,
		PluginDirs: topts.PluginDirs,
		Logger:     slog.New(capture),
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if err != nil {
		return nil, err
	}
	l := &testrun.Loaded{Console: capture.take, Close: func() { e.closeComponents(context.WithoutCancel(ctx)) }}
	for _, p := range e.pipelines {
		tp := &testrun.Pipeline{Name: p.Name, SourceType: p.SourceType, Source: p.Source, Wants: p.Wants}
		for _, pc := range e.cfg.Pipelines {
			if pc.Name == p.Name && pc.Source != nil {
				tp.Path = pc.Source.Path
			}
		}
		workers := map[string]*delivery.Worker{}
		for _, w := range e.workers {
			if w.Pipeline == p.Name {
				tp.Sinks = append(tp.Sinks, w.Sink.Name)
				workers[w.Sink.Name] = w
			}
		}
		tp.Process = func(ctx context.Context, sinkName string, ev *sdk.Event) ([]testrun.Rendered, error) {
			w, ok := workers[sinkName]
			if !ok {
				return nil, fmt.Errorf("no sink %q", sinkName)
			}
			msgs, err := w.Process(ctx, ev)
			if err != nil {
				return nil, err
			}
			did := fmt.Sprintf("%s.%s.test", p.Name, sinkName)
			outs, err := renderEach(ctx, w.Sink.Sink, did, msgs)
			if err != nil {
				return nil, err
			}
			out := make([]testrun.Rendered, len(msgs))
			for i := range msgs {
				if outs[i] == nil { // not HTTP: the message it would deliver
					m := msgs[i]
					m.DeliveryID, m.Index = did, i
					out[i].Message = &m
				} else {
					out[i].Outbound = outs[i]
				}
			}
			return out, nil
		}
		l.Pipelines = append(l.Pipelines, tp)
	}
	return l, nil
}

// consoleCapture keeps what scripts print (console.*) for the report, and
// drops the rest of the engine's log.
type consoleCapture struct {
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr
}

func (c *consoleCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *consoleCapture) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "console: ") {
		return nil
	}
	c.mu.Lock()
	c.lines = append(c.lines, r.Level.String()+" "+strings.TrimPrefix(r.Message, "console: "))
	c.mu.Unlock()
	return nil
}
func (c *consoleCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *consoleCapture) WithGroup(string) slog.Handler      { return c }

func (c *consoleCapture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.lines
	c.lines = nil
	return out
}

// WriteDiagnostics renders diagnostics with file:line and snippets.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	return config.WriteDiagnostics(w, files, diags, 100, false)
}

// WriteTestText, WriteTestJSON and WriteTestJUnit print test results.
func WriteTestText(w io.Writer, rs []TestResult, ferrs []*TestFileError, verbose bool) {
	testrun.WriteText(w, rs, ferrs, verbose)
}

// WriteTestJSON prints test results as JSON.
func WriteTestJSON(w io.Writer, rs []TestResult, ferrs []*TestFileError) error {
	return testrun.WriteJSON(w, rs, ferrs)
}

// WriteTestJUnit prints test results as JUnit XML.
func WriteTestJUnit(w io.Writer, rs []TestResult, ferrs []*TestFileError) error {
	return testrun.WriteJUnit(w, rs, ferrs)
}

// TestsPassed reports whether a run passed as a whole (and ran a case).
func TestsPassed(rs []TestResult, ferrs []*TestFileError) bool {
	return testrun.Summarise(rs, ferrs).OK()
}
