package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"
)

// tapEvent is the admin API's view of an accepted event.
type tapEvent struct {
	ID          string            `json:"id"`
	Type        string            `json:"type"`
	Source      string            `json:"source"`
	Pipeline    string            `json:"pipeline"`
	ReceivedAt  time.Time         `json:"received_at"`
	ContentType string            `json:"content_type"`
	Headers     map[string]string `json:"headers"`
	Body        []byte            `json:"body"`
}

func newTapCommand(g *globalFlags, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	var adminURL, pipeline, sink, record, fromDelivery string
	var count int
	cmd := &cobra.Command{
		Use:   "tap --pipeline P [--sink S] [--record DIR] | tap --from-delivery ID --record DIR",
		Short: "Watch events as a running hookferry accepts them, or turn them into test fixtures",
		Long: `Tap streams the events a running hookferry accepts (one JSON line each) from its
admin API. With --record DIR each event also becomes a fixture for
hookferry test: the body in DIR/fixtures/PIPELINE/, and a case in
DIR/PIPELINE.test.hcl that sends it signed with the test's stand-in secret
(signature and token headers are never recorded). --from-delivery ID records
the stored event of one delivery (a dead one, say), so a production failure
becomes a regression test in one command.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(g, adminURL, lookupEnv)
			if err != nil {
				return err
			}
			var rec *recorder
			if record != "" {
				if g.config == "" {
					return errors.New("--record needs -c PATH: the test file names the configuration it tests")
				}
				rec = &recorder{dir: record, config: g.config, sink: sink}
			}
			if fromDelivery != "" {
				if rec == nil {
					return errors.New("--from-delivery needs --record DIR")
				}
				var ev tapEvent
				if err := c.do(cmd.Context(), "GET", "/v1/deliveries/"+url.PathEscape(fromDelivery)+"/event", nil, &ev); err != nil {
					return err
				}
				if rec.sink == "" {
					if parts := strings.Split(fromDelivery, "."); len(parts) == 3 {
						rec.sink = parts[1]
					}
				}
				path, err := rec.add(ev)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "recorded %s (%s) in %s\n", ev.ID, orDash(ev.Type), path)
				return nil
			}
			if pipeline == "" {
				return errors.New("name the pipeline to watch: --pipeline P")
			}
			return c.tap(cmd.Context(), pipeline, count, func(ev tapEvent) error {
				line, _ := json.Marshal(map[string]any{"id": ev.ID, "type": ev.Type, "pipeline": ev.Pipeline, "received_at": ev.ReceivedAt, "bytes": len(ev.Body)})
				fmt.Fprintln(stdout, string(line))
				if rec != nil {
					if _, err := rec.add(ev); err != nil {
						return err
					}
				}
				return nil
			}, func(n int) { fmt.Fprintf(stderr, "tap: fell behind; %d event(s) not shown\n", n) })
		},
	}
	cmd.Flags().StringVar(&adminURL, "admin", "", "admin API URL (default: the config's admin listen address)")
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "pipeline to watch")
	cmd.Flags().StringVar(&sink, "sink", "", "with --record: the sink the recorded cases check")
	cmd.Flags().StringVar(&record, "record", "", "write each event as a hookferry test fixture into this folder")
	cmd.Flags().StringVar(&fromDelivery, "from-delivery", "", "record the stored event of this delivery (PIPELINE.SINK.SEQ)")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many events (0: until interrupted)")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// tap reads the server-sent event stream until ctx ends or count events
// have been handled.
func (c *adminClient) tap(ctx context.Context, pipeline string, count int, each func(tapEvent) error, dropped func(int)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/tap?pipeline="+url.QueryEscape(pipeline), nil)
	if err != nil {
		return err
	}
	c.auth(req)
	// A stream has no overall timeout; the dial and headers do.
	hc := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second}}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("admin API answered %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var event, data string
	n := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "":
			switch event {
			case "webhook":
				var ev tapEvent
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					return fmt.Errorf("tap: %w", err)
				}
				if err := each(ev); err != nil {
					return err
				}
				if n++; count > 0 && n >= count {
					return nil
				}
			case "dropped":
				n, _ := strconv.Atoi(strings.TrimSpace(data))
				dropped(n)
			}
			event, data = "", ""
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("tap: the stream ended (hookferry stopped?)")
}

// recorder writes events as hookferry test fixtures.
type recorder struct {
	dir, config, sink string
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// add writes ev's body as a fixture and appends a case for it to the
// pipeline's test file, creating the file (config path and stand-in env
// values) the first time. It returns the test file's path.
func (r *recorder) add(ev tapEvent) (string, error) {
	fixtures := filepath.Join(r.dir, "fixtures", safeName.ReplaceAllString(ev.Pipeline, "_"))
	if err := os.MkdirAll(fixtures, 0o755); err != nil {
		return "", err
	}
	base := safeName.ReplaceAllString(strings.Trim(orDash(ev.Type)+"-"+ev.ID, "-"), "_")
	ext := ".json"
	if !json.Valid(ev.Body) {
		ext = ".txt"
	}
	fixture := filepath.Join(fixtures, base+ext)
	if err := os.WriteFile(fixture, ev.Body, 0o644); err != nil {
		return "", err
	}
	testFile := filepath.Join(r.dir, safeName.ReplaceAllString(ev.Pipeline, "_")+".test.hcl")
	f := hclwrite.NewEmptyFile()
	if _, err := os.Stat(testFile); errors.Is(err, os.ErrNotExist) {
		cfg, err := filepath.Rel(r.dir, r.config)
		if err != nil {
			cfg, _ = filepath.Abs(r.config)
		}
		f.Body().AppendUnstructuredTokens(hclwrite.Tokens{{Bytes: []byte("# Recorded by hookferry tap. Signature and token headers were not recorded:\n# each case is signed with the stand-in secrets below (sign = true).\n")}})
		f.Body().SetAttributeValue("config", cty.StringVal(filepath.ToSlash(cfg)))
		if env := standInEnv(r.config); len(env) > 0 {
			f.Body().SetAttributeValue("env", cty.ObjectVal(env))
		}
	}
	f.Body().AppendNewline()
	c := f.Body().AppendNewBlock("case", []string{orDash(ev.Type) + " " + ev.ID})
	c.Body().SetAttributeValue("pipeline", cty.StringVal(ev.Pipeline))
	rq := c.Body().AppendNewBlock("request", nil).Body()
	if len(ev.Headers) > 0 {
		h := map[string]cty.Value{}
		for k, v := range ev.Headers {
			h[k] = cty.StringVal(v)
		}
		rq.SetAttributeValue("headers", cty.ObjectVal(h))
	}
	rel, _ := filepath.Rel(r.dir, fixture)
	rq.SetAttributeValue("body_file", cty.StringVal(filepath.ToSlash(rel)))
	rq.SetAttributeValue("sign", cty.True)
	if r.sink != "" {
		s := c.Body().AppendNewBlock("sink", []string{r.sink}).Body()
		s.AppendUnstructuredTokens(hclwrite.Tokens{{Bytes: []byte("# messages = 1\n# golden   = \"testdata/...json\"   (hookferry test --update writes it)\n")}})
	}
	out, err := os.OpenFile(testFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := out.Write(hclwrite.Format(f.Bytes())); err != nil {
		out.Close()
		return "", err
	}
	return testFile, out.Close()
}

var envCall = regexp.MustCompile(`env\(\s*"([^"]+)"`)

// standInEnv gives every env() name the configuration uses a stand-in
// value of the right shape, so recorded cases run without real secrets:
// URLs for *_URL, a well-formed whsec_ key for Standard Webhooks secrets,
// a test token otherwise.
func standInEnv(configPath string) map[string]cty.Value {
	files := []string{configPath}
	if st, err := os.Stat(configPath); err == nil && st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(configPath, "*.hcl"))
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, ".test.hcl") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range envCall.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]cty.Value{}
	for _, k := range keys {
		switch {
		case strings.HasSuffix(k, "_URL"):
			out[k] = cty.StringVal("https://example.test/" + strings.ToLower(k))
		case strings.Contains(k, "STANDARD_WEBHOOKS") || strings.HasSuffix(k, "_SIGNING_SECRET") || strings.Contains(k, "WHSEC"):
			out[k] = cty.StringVal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
		default:
			out[k] = cty.StringVal("test-" + strings.ToLower(k))
		}
	}
	return out
}

// auth adds the admin token (--token or HOOKFERRY_ADMIN_TOKEN) to a
// request.
func (c *adminClient) auth(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}
