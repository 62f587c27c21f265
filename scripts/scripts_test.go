// Package scripts_test runs every ready script in scripts/ on its fixtures
// (testdata/<script>/<case>.json) with the real javascript transform, and
// checks what comes out against the destination's rules: Slack's Block Kit
// shape and limits, Discord's embed limits, markup escaped, and the real
// slack or discord sink accepting the message. The GitHub, GitLab and
// Stripe scripts also run over every payload of the corpus.
package scripts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/sinks/discord"
	"github.com/hookferry/hookferry/plugins/sinks/slack"
	"github.com/hookferry/hookferry/plugins/sources/gitlab"
	"github.com/hookferry/hookferry/plugins/transforms/javascript"
	"github.com/hookferry/hookferry/sdk"
)

// newTransform builds the real javascript transform for one script file.
// It is the only place that knows how the transform is constructed.
func newTransform(t testing.TB, file string) sdk.Transform {
	t.Helper()
	vals, _ := json.Marshal(map[string]any{"file": file, "pool_size": 1, "timeout": "5s"})
	c, err := javascript.Definition().New(context.Background(), sdk.Config{Values: vals, BaseDir: ".", Pipeline: "scripts", Name: "javascript"})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	tr := c.(sdk.Transform)
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	return tr
}

// newSink builds the real slack or discord sink with a dummy webhook URL.
func newSink(t testing.TB, dest string) sdk.Sink {
	t.Helper()
	defs := map[string]sdk.Definition{"slack": slack.Definition(), "discord": discord.Definition()}
	urls := map[string]string{"slack": "https://hooks.slack.com/services/T000/B000/XXXX", "discord": "https://discord.com/api/webhooks/1/token"}
	vals, _ := json.Marshal(map[string]any{"webhook_url": urls[dest], "timeout": "10s"})
	c, err := defs[dest].New(context.Background(), sdk.Config{Values: vals, Pipeline: "scripts", Name: dest})
	if err != nil {
		t.Fatal(err)
	}
	return c.(sdk.Sink)
}

// script is one ready script: its file, the provider it reads and the
// destination it writes for, from its name (<provider>_to_<dest>.js).
type script struct {
	name, file, provider, dest string
}

func readyScripts(t testing.TB) []script {
	t.Helper()
	files, err := filepath.Glob("*_to_*.js")
	if err != nil {
		t.Fatal(err)
	}
	var out []script
	for _, f := range files {
		name := strings.TrimSuffix(f, ".js")
		provider, dest, _ := strings.Cut(name, "_to_")
		if dest != "slack" && dest != "discord" {
			t.Fatalf("%s: destination %q has no checks here", f, dest)
		}
		out = append(out, script{name: name, file: f, provider: provider, dest: dest})
	}
	if len(out) < 8 {
		t.Fatalf("found %d ready scripts, want at least 8", len(out))
	}
	return out
}

func scriptsFor(t testing.TB, provider string) []script {
	var out []script
	for _, s := range readyScripts(t) {
		if s.provider == provider {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s scripts", provider)
	}
	return out
}

// fixture is one case: the event as the provider's source would give it
// (type, headers, body inline or from a file, optionally with fields set
// over the file's body) and what the output must show.
type fixture struct {
	Comment  string                     `json:"comment"`
	Type     string                     `json:"type"`
	Headers  map[string]string          `json:"headers"`
	Body     json.RawMessage            `json:"body"`
	BodyFile string                     `json:"body_file"`
	Set      map[string]json.RawMessage `json:"set"`
	Expect   struct {
		Drop        bool     `json:"drop"`
		Contains    []string `json:"contains"`
		NotContains []string `json:"not_contains"`
		Color       *int     `json:"color"`
	} `json:"expect"`
}

func loadFixture(t testing.TB, path string) (fixture, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	body := []byte(f.Body)
	if f.BodyFile != "" {
		if len(f.Body) > 0 {
			t.Fatalf("%s: body and body_file both set", path)
		}
		body, err = os.ReadFile(filepath.Join(filepath.Dir(path), f.BodyFile))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if len(body) == 0 {
		t.Fatalf("%s: no body", path)
	}
	if len(f.Set) > 0 {
		v := decode(t, body)
		keys := make([]string, 0, len(f.Set))
		for k := range f.Set {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := setPath(v, strings.Split(k, "."), decode(t, f.Set[k])); err != nil {
				t.Fatalf("%s: set %s: %v", path, k, err)
			}
		}
		body, _ = json.Marshal(v)
	}
	return f, body
}

// decode keeps numbers as json.Number, so ids above 2^53 survive a set.
func decode(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func setPath(v any, path []string, val any) error {
	for i, p := range path {
		last := i == len(path)-1
		switch x := v.(type) {
		case map[string]any:
			if last {
				x[p] = val
				return nil
			}
			if x[p] == nil {
				x[p] = map[string]any{}
			}
			v = x[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(x) {
				return fmt.Errorf("no element %q", p)
			}
			if last {
				x[n] = val
				return nil
			}
			v = x[n]
		default:
			return fmt.Errorf("%q is not inside an object or array", p)
		}
	}
	return nil
}

// checkType holds a fixture to the event type the provider's source gives.
func checkType(t *testing.T, provider string, f fixture, body []byte) {
	t.Helper()
	var b struct {
		Action any    `json:"action"`
		Type   string `json:"type"`
		Status string `json:"status"`
	}
	_ = json.Unmarshal(body, &b)
	h := func(k string) string { return f.Headers[k] }
	var want string
	switch provider {
	case "github":
		want = h("x-github-event")
		if a, ok := b.Action.(string); ok && a != "" {
			want += "." + a
		}
	case "gitlab":
		want = gitlab.EventType(h("x-gitlab-event"), body)
	case "stripe":
		want = b.Type
	case "shopify":
		want = h("x-shopify-topic")
	case "alertmanager":
		want = b.Status // http source with type_path = "status"
	default:
		t.Fatalf("unknown provider %q", provider)
	}
	if f.Type != want {
		t.Fatalf("fixture type %q, but the %s source would give %q", f.Type, provider, want)
	}
}

var fixedTime = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// run transforms one event and returns the output bodies, decoded.
func run(t testing.TB, tr sdk.Transform, typ string, headers map[string]string, body []byte) ([]sdk.Message, []map[string]any) {
	t.Helper()
	hdr := sdk.Header{}
	for k, v := range headers {
		hdr.Set(strings.ToLower(k), v)
	}
	ev := &sdk.Event{ID: "evt-fixture", Type: typ, Source: "test", Pipeline: "scripts", ReceivedAt: fixedTime, Header: hdr, ContentType: sdk.ContentTypeJSON, Body: body}
	msgs, err := tr.Transform(context.Background(), sdk.MessageFromEvent(ev))
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	var outs []map[string]any
	for _, m := range msgs {
		var o map[string]any
		if err := json.Unmarshal(m.Body, &o); err != nil {
			t.Fatalf("output is not a JSON object: %s", m.Body)
		}
		outs = append(outs, o)
	}
	return msgs, outs
}

// checkOutput applies the destination's rules and has the real sink render
// the message.
func checkOutput(t testing.TB, sink sdk.Sink, dest string, msg sdk.Message, out map[string]any) {
	t.Helper()
	var problems []string
	if dest == "slack" {
		problems = checkSlack(out)
	} else {
		problems = checkDiscord(out)
	}
	if len(problems) > 0 {
		b, _ := json.MarshalIndent(out, "", "  ")
		t.Fatalf("%s rules broken:\n  %s\n%.3000s", dest, strings.Join(problems, "\n  "), b)
	}
	if _, err := sink.Render(context.Background(), msg); err != nil {
		t.Fatalf("%s sink refuses the message: %v", dest, err)
	}
}

func TestReadyScriptsOnTheirFixtures(t *testing.T) {
	for _, s := range readyScripts(t) {
		t.Run(s.name, func(t *testing.T) {
			cases, _ := filepath.Glob(filepath.Join("testdata", s.name, "*.json"))
			if len(cases) < 2 {
				t.Fatalf("%s has %d fixtures in testdata/%s; every ready script needs its cases", s.file, len(cases), s.name)
			}
			tr := newTransform(t, s.file)
			sink := newSink(t, s.dest)
			for _, c := range cases {
				t.Run(strings.TrimSuffix(filepath.Base(c), ".json"), func(t *testing.T) {
					f, body := loadFixture(t, c)
					checkType(t, s.provider, f, body)
					msgs, outs := run(t, tr, f.Type, f.Headers, body)
					if f.Expect.Drop {
						if len(msgs) != 0 {
							t.Fatalf("want the event dropped, got %s", msgs[0].Body)
						}
						return
					}
					if len(msgs) != 1 {
						t.Fatalf("want one message, got %d", len(msgs))
					}
					checkOutput(t, sink, s.dest, msgs[0], outs[0])
					shown := strings.Join(strs(outs[0]), "\n")
					for _, want := range f.Expect.Contains {
						if !strings.Contains(shown, want) {
							t.Errorf("output lacks %q:\n%s", want, shown)
						}
					}
					for _, bad := range f.Expect.NotContains {
						if strings.Contains(shown, bad) {
							t.Errorf("output has %q:\n%s", bad, shown)
						}
					}
					if f.Expect.Color != nil {
						embeds, _ := outs[0]["embeds"].([]any)
						if len(embeds) == 0 {
							t.Fatal("no embed to have a colour")
						}
						if got, _ := embeds[0].(map[string]any)["color"].(float64); int(got) != *f.Expect.Color {
							t.Errorf("first embed colour %#06x, want %#06x", int(got), *f.Expect.Color)
						}
					}
				})
			}
		})
	}
}

// strs lists every string in a decoded JSON value, in order.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strs(e)...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			out = append(out, strs(x[k])...)
		}
		return out
	}
	return nil
}

// TestGitHubScriptsOnEveryCorpusPayload runs each GitHub script over every
// GitHub delivery in the corpus (octokit/webhooks examples, 60 event kinds):
// no exception, and whatever comes out is a valid message.
func TestGitHubScriptsOnEveryCorpusPayload(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t), "octokit-webhooks", "api.github.com")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(files) < 200 {
		t.Fatalf("%d GitHub payloads found (%v)", len(files), err)
	}
	for _, s := range scriptsFor(t, "github") {
		t.Run(s.name, func(t *testing.T) {
			tr, sink := newTransform(t, s.file), newSink(t, s.dest)
			sent := 0
			for _, f := range files {
				body, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				typ := filepath.Base(filepath.Dir(f))
				var b struct {
					Action any `json:"action"`
				}
				_ = json.Unmarshal(body, &b)
				if a, ok := b.Action.(string); ok && a != "" {
					typ += "." + a
				}
				t.Run(strings.TrimPrefix(f, dir+"/"), func(t *testing.T) {
					msgs, outs := run(t, tr, typ, map[string]string{"x-github-event": filepath.Base(filepath.Dir(f))}, body)
					for i := range msgs {
						checkOutput(t, sink, s.dest, msgs[i], outs[i])
						sent++
					}
				})
			}
			t.Logf("%d payloads, %d messages", len(files), sent)
			if sent < len(files)/2 {
				t.Errorf("only %d of %d payloads gave a message", sent, len(files))
			}
		})
	}
}

// TestGitLabScriptsOnEveryCorpusPayload does the same over the GitLab
// payloads of the corpus.
func TestGitLabScriptsOnEveryCorpusPayload(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.Dir(t), "go-gitlab-webhooks", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("%d GitLab payloads found (%v)", len(files), err)
	}
	for _, s := range scriptsFor(t, "gitlab") {
		t.Run(s.name, func(t *testing.T) {
			tr, sink := newTransform(t, s.file), newSink(t, s.dest)
			for _, f := range files {
				body, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(filepath.Base(f), func(t *testing.T) {
					msgs, outs := run(t, tr, gitlab.EventType("", body), nil, body)
					for i := range msgs {
						checkOutput(t, sink, s.dest, msgs[i], outs[i])
					}
				})
			}
		})
	}
}

// TestStripeScriptOnEveryCorpusResource wraps each of the 176 resources of
// Stripe's fixtures3.json in an event envelope ("<object>.updated", and
// the five types the script formats) and runs the Stripe scripts on it.
func TestStripeScriptOnEveryCorpusResource(t *testing.T) {
	var fx struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(corpus.Read(t, "stripe-openapi/fixtures3.json"), &fx); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(fx.Resources))
	for k := range fx.Resources {
		names = append(names, k)
	}
	slices.Sort(names)
	special := []string{"payment_intent.succeeded", "payment_intent.payment_failed", "charge.dispute.created", "customer.subscription.created", "customer.subscription.deleted"}
	for _, s := range scriptsFor(t, "stripe") {
		t.Run(s.name, func(t *testing.T) {
			tr, sink := newTransform(t, s.file), newSink(t, s.dest)
			for _, name := range names {
				for _, typ := range append([]string{name + ".updated"}, special...) {
					env, _ := json.Marshal(map[string]any{
						"id": "evt_corpus", "object": "event", "type": typ, "livemode": false, "created": 1721954054,
						"api_version": "2024-06-20", "data": map[string]any{"object": fx.Resources[name]},
					})
					msgs, outs := run(t, tr, typ, nil, env)
					for i := range msgs {
						checkOutput(t, sink, s.dest, msgs[i], outs[i])
					}
				}
			}
		})
	}
}

// hostile is text that breaks a message that does not escape or cut:
// Slack's mention and link syntax, Discord markdown and mentions,
// entities, a surrogate pair and a backslash.
func hostile(n int) string {
	const unit = "<!channel> & <https://evil.example|click> *bold* _it_ ~s~ `code` @everyone <@123> # h\n- li 🎉\\ "
	return strings.Repeat(unit, n/len(unit)+1)[:n]
}

var freeText = map[string]bool{
	"title": true, "body": true, "message": true, "description": true, "summary": true, "name": true,
	"note": true, "text": true, "login": true, "username": true, "display_title": true, "first_name": true,
	"last_name": true, "comment": true, "reason": true, "alertname": true, "instance": true, "severity": true,
	"job": true, "variant_title": true, "sku": true, "email": true, "user_name": true, "user_username": true, "nickname": true,
}

// inflate makes a payload hostile: free-text fields become 5,000 characters
// of markup and every list gets 120 entries (more than Slack's 50 blocks,
// Discord's 25 fields and any list a script shows).
func inflate(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if _, isStr := e.(string); isStr && freeText[k] {
				x[k] = hostile(5000)
				continue
			}
			x[k] = inflate(e)
		}
		return x
	case []any:
		for i := range x {
			x[i] = inflate(x[i])
		}
		for n := len(x); n > 0 && len(x) < 120; {
			x = append(x, x[len(x)%n])
		}
		return x
	}
	return v
}

// TestScriptsHoldLimitsOnHostileInput runs every fixture again with its
// text fields replaced by 5,000 characters of markup and its lists grown to
// 120 entries: the message still fits the destination's limits, user text
// stays escaped, and the event is not dropped for it.
func TestScriptsHoldLimitsOnHostileInput(t *testing.T) {
	for _, s := range readyScripts(t) {
		t.Run(s.name, func(t *testing.T) {
			tr, sink := newTransform(t, s.file), newSink(t, s.dest)
			cases, _ := filepath.Glob(filepath.Join("testdata", s.name, "*.json"))
			for _, c := range cases {
				t.Run(strings.TrimSuffix(filepath.Base(c), ".json"), func(t *testing.T) {
					f, body := loadFixture(t, c)
					if f.Expect.Drop {
						t.Skip("dropped event")
					}
					big, _ := json.Marshal(inflate(decode(t, body)))
					msgs, outs := run(t, tr, f.Type, f.Headers, big)
					if len(msgs) != 1 {
						t.Fatalf("want one message, got %d", len(msgs))
					}
					checkOutput(t, sink, s.dest, msgs[0], outs[0])
					if s.dest == "discord" {
						for _, txt := range discordMarkdown(outs[0]) {
							// Code spans show their text as is; escaped backticks open none.
							txt = codeSpan.ReplaceAllString(strings.ReplaceAll(txt, "\\`", "\x00"), "")
							if strings.Contains(txt, "*bold*") || strings.Contains(txt, "<@123>") {
								t.Fatalf("unescaped markdown in %.200q", txt)
							}
						}
					}
					if !strings.Contains(string(msgs[0].Body), "@everyone") {
						t.Errorf("no hostile text in the message: were the fields used at all?\n%.500s", msgs[0].Body)
					}
				})
			}
		})
	}
}

// ---- Slack rules (docs.slack.dev: Block Kit reference, formatting) ----

var slackBlockTypes = map[string]bool{"section": true, "context": true, "header": true, "divider": true, "actions": true, "image": true, "rich_text": true}

func u16(s string) int { return len(utf16.Encode([]rune(s))) }

func checkSlack(m map[string]any) []string {
	var p []string
	text, _ := m["text"].(string)
	if strings.TrimSpace(text) == "" {
		p = append(p, "no plain-text fallback in text")
	}
	if u16(text) > 4000 {
		p = append(p, fmt.Sprintf("text is %d characters; keep it within 4000", u16(text)))
	}
	p = append(p, checkMrkdwn("text", text)...)
	blocks, ok := m["blocks"].([]any)
	if !ok {
		return append(p, "no blocks")
	}
	if len(blocks) == 0 || len(blocks) > 50 {
		p = append(p, fmt.Sprintf("%d blocks; Slack takes 1 to 50", len(blocks)))
	}
	for i, bl := range blocks {
		b, _ := bl.(map[string]any)
		typ, _ := b["type"].(string)
		where := fmt.Sprintf("blocks[%d] (%s)", i, typ)
		if !slackBlockTypes[typ] {
			p = append(p, where+": unknown block type")
			continue
		}
		if id, ok := b["block_id"].(string); ok && u16(id) > 255 {
			p = append(p, where+": block_id over 255")
		}
		switch typ {
		case "header":
			p = append(p, checkTextObj(where+".text", b["text"], 150, true)...)
		case "section":
			if b["text"] == nil && b["fields"] == nil {
				p = append(p, where+": neither text nor fields")
			}
			if b["text"] != nil {
				p = append(p, checkTextObj(where+".text", b["text"], 3000, false)...)
			}
			if fs, ok := b["fields"].([]any); ok {
				if len(fs) == 0 || len(fs) > 10 {
					p = append(p, fmt.Sprintf("%s: %d fields; 1 to 10", where, len(fs)))
				}
				for j, f := range fs {
					p = append(p, checkTextObj(fmt.Sprintf("%s.fields[%d]", where, j), f, 2000, false)...)
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				p = append(p, fmt.Sprintf("%s: %d elements; 1 to 10", where, len(els)))
			}
			for j, e := range els {
				p = append(p, checkTextObj(fmt.Sprintf("%s.elements[%d]", where, j), e, 3000, false)...)
			}
		}
	}
	return p
}

func checkTextObj(where string, v any, limit int, plainOnly bool) []string {
	o, _ := v.(map[string]any)
	typ, _ := o["type"].(string)
	text, _ := o["text"].(string)
	var p []string
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
		p = append(p, checkMrkdwn(where, text)...)
	default:
		return []string{fmt.Sprintf("%s: text type %q", where, typ)}
	}
	if n := u16(text); n == 0 || n > limit {
		p = append(p, fmt.Sprintf("%s: %d characters; 1 to %d", where, n, limit))
	}
	return p
}

var slackAngle = regexp.MustCompile(`^(https?://[^\s<>|]+|mailto:[^\s<>|]+|!date\^\d+\^[^|<>]+)(\|[^<>]*)?$`)

// checkMrkdwn: every & starts an escape, every < starts a link or date
// token, and > only closes one or starts a quote line.
func checkMrkdwn(where, s string) []string {
	var p []string
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			if !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
				p = append(p, fmt.Sprintf("%s: raw & at %d: %.40q", where, i, s[i:]))
			}
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 || !slackAngle.MatchString(s[i+1:i+end]) {
				p = append(p, fmt.Sprintf("%s: raw < at %d: %.60q", where, i, s[i:]))
				continue
			}
			i += end
		case '>':
			if i > 0 && s[i-1] != '\n' {
				p = append(p, fmt.Sprintf("%s: raw > at %d: %.40q", where, i, s[max(0, i-20):]))
			}
		}
		if len(p) > 3 {
			break
		}
	}
	return p
}

// ---- Discord rules (discord.com/developers/docs/resources/message) ----

func checkDiscord(m map[string]any) []string {
	var p []string
	content, _ := m["content"].(string)
	if u16(content) > 2000 {
		p = append(p, fmt.Sprintf("content is %d characters; at most 2000", u16(content)))
	}
	embeds, _ := m["embeds"].([]any)
	if content == "" && len(embeds) == 0 {
		p = append(p, "neither content nor embeds")
	}
	if len(embeds) > 10 {
		p = append(p, fmt.Sprintf("%d embeds; at most 10", len(embeds)))
	}
	am, _ := m["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		p = append(p, "allowed_mentions.parse is not [] (user text could ping @everyone)")
	}
	total := 0
	for i, ev := range embeds {
		e, _ := ev.(map[string]any)
		where := fmt.Sprintf("embeds[%d]", i)
		str := func(k string, limit int) {
			v, ok := e[k]
			if !ok {
				return
			}
			s, _ := v.(string)
			if n := u16(s); n == 0 || n > limit {
				p = append(p, fmt.Sprintf("%s.%s: %d characters; 1 to %d", where, k, n, limit))
			}
			if k != "url" {
				total += u16(s)
			}
		}
		str("title", 256)
		str("description", 4096)
		str("url", 2048)
		if u, ok := e["url"].(string); ok && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			p = append(p, where+".url is not http(s)")
		}
		if c, ok := e["color"]; ok {
			f, isNum := c.(float64)
			if !isNum || f != float64(int(f)) || f < 0 || f > 0xFFFFFF {
				p = append(p, fmt.Sprintf("%s.color %v is not a 24-bit integer", where, c))
			}
		}
		if ts, ok := e["timestamp"].(string); ok {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				p = append(p, fmt.Sprintf("%s.timestamp %q is not ISO 8601", where, ts))
			}
		}
		if a, ok := e["author"].(map[string]any); ok {
			s, _ := a["name"].(string)
			if n := u16(s); n == 0 || n > 256 {
				p = append(p, fmt.Sprintf("%s.author.name: %d characters; 1 to 256", where, n))
			}
			total += u16(s)
		}
		if f, ok := e["footer"].(map[string]any); ok {
			s, _ := f["text"].(string)
			if n := u16(s); n == 0 || n > 2048 {
				p = append(p, fmt.Sprintf("%s.footer.text: %d characters; 1 to 2048", where, n))
			}
			total += u16(s)
		}
		fields, _ := e["fields"].([]any)
		if len(fields) > 25 {
			p = append(p, fmt.Sprintf("%s: %d fields; at most 25", where, len(fields)))
		}
		for j, fv := range fields {
			f, _ := fv.(map[string]any)
			name, _ := f["name"].(string)
			value, _ := f["value"].(string)
			if n := u16(name); n == 0 || n > 256 {
				p = append(p, fmt.Sprintf("%s.fields[%d].name: %d characters; 1 to 256", where, j, n))
			}
			if n := u16(value); n == 0 || n > 1024 {
				p = append(p, fmt.Sprintf("%s.fields[%d].value: %d characters; 1 to 1024", where, j, n))
			}
			total += u16(name) + u16(value)
		}
	}
	if total > 6000 {
		p = append(p, fmt.Sprintf("embeds hold %d characters in all; at most 6000", total))
	}
	return p
}

var codeSpan = regexp.MustCompile("`[^`]*`")

// discordMarkdown lists the texts Discord renders as markdown: embed
// titles, descriptions and fields (author names and footers are plain).
func discordMarkdown(m map[string]any) []string {
	var out []string
	embeds, _ := m["embeds"].([]any)
	for _, ev := range embeds {
		e, _ := ev.(map[string]any)
		for _, k := range []string{"title", "description"} {
			if s, ok := e[k].(string); ok {
				out = append(out, s)
			}
		}
		fields, _ := e["fields"].([]any)
		for _, fv := range fields {
			f, _ := fv.(map[string]any)
			n, _ := f["name"].(string)
			v, _ := f["value"].(string)
			out = append(out, n, v)
		}
	}
	if c, ok := m["content"].(string); ok {
		out = append(out, c)
	}
	return out
}

// TestHelpersAreTheSameInEveryScript: scripts are standalone (no modules),
// so each carries a copy of its destination's helpers; this keeps the
// copies identical, so a fix in one reaches all.
func TestHelpersAreTheSameInEveryScript(t *testing.T) {
	markers := map[string]string{"slack": "// ---- Slack helpers", "discord": "// ---- Discord helpers"}
	first := map[string]string{}
	for _, s := range readyScripts(t) {
		b, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		_, helpers, ok := strings.Cut(string(b), markers[s.dest])
		if !ok {
			t.Errorf("%s has no %q section", s.file, markers[s.dest])
			continue
		}
		if prev, seen := first[s.dest]; !seen {
			first[s.dest] = helpers
		} else if helpers != prev {
			t.Errorf("%s: its %s helpers differ from the other %s scripts'", s.file, s.dest, s.dest)
		}
	}
}
