package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookferry/hookferry/plugins/internal/attr"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the sink's type label.
const Name = "discord"

// Discord's documented message limits.
const (
	MaxContent = 2000
	MaxEmbeds  = 10
)

// Definition describes the discord sink.
func Definition() sdk.Definition {
	return sdk.DefineSink(Name,
		"Posts messages to a Discord webhook. The transform's output is the message (content, embeds, username...); a string becomes content.",
		schema.Block{Attributes: []schema.Attribute{
			{Name: "webhook_url", Type: schema.String, Required: true, Sensitive: true, Description: "Discord webhook URL."},
			{Name: "wait", Type: schema.Bool, Default: false, Description: "Add ?wait=true: Discord confirms the message was saved (answers 200 instead of 204)."},
			{Name: "thread_id", Type: schema.String, Description: "Post into this thread of the webhook's channel."},
			{Name: "timeout", Type: schema.String, Default: "10s", Description: "Deadline of one attempt."},
		}},
		New)
}

// Sink posts to Discord.
type Sink struct {
	url     string
	timeout time.Duration
	now     func() time.Time
}

var (
	_ sdk.Sink        = (*Sink)(nil)
	_ sdk.Interpreter = (*Sink)(nil)
)

// New builds the sink.
func New(_ context.Context, cfg sdk.Config) (*Sink, error) {
	var c struct {
		WebhookURL sdk.Secret `json:"webhook_url"`
		Wait       bool       `json:"wait"`
		ThreadID   string     `json:"thread_id"`
		Timeout    string     `json:"timeout"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	var diags sdk.Diagnostics
	u := attr.HTTPURL("webhook_url", c.WebhookURL.Reveal(), &diags)
	d := attr.Duration("timeout", c.Timeout, &diags)
	if len(diags) > 0 {
		return nil, diags
	}
	q := u.Query()
	if c.Wait {
		q.Set("wait", "true")
	}
	if c.ThreadID != "" {
		q.Set("thread_id", c.ThreadID)
	}
	u.RawQuery = q.Encode()
	return &Sink{url: u.String(), timeout: d, now: time.Now}, nil
}

// Render checks Discord's limits and builds the webhook call.
func (s *Sink) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	msg, err := m.Object("content")
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("discord: %v", err))
	}
	content, _ := msg["content"].(string)
	embeds, _ := msg["embeds"].([]any)
	if n := utf8.RuneCountInString(content); n > MaxContent {
		return nil, sdk.Permanent(fmt.Errorf("discord: content is %d characters; Discord accepts at most %d", n, MaxContent))
	}
	if len(embeds) > MaxEmbeds {
		return nil, sdk.Permanent(fmt.Errorf("discord: %d embeds; Discord accepts at most %d", len(embeds), MaxEmbeds))
	}
	if content == "" && len(embeds) == 0 && !hasOther(msg) {
		return nil, sdk.Permanent(fmt.Errorf("discord: the message has none of content, embeds, components, attachments or poll"))
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	return &sdk.Outbound{Method: http.MethodPost, URL: s.url, Header: sdk.Header{"content-type": {"application/json"}}, Body: body, Timeout: s.timeout}, nil
}

// hasOther reports whether the message carries something Discord accepts
// as a message besides content and embeds: components, attachments (files)
// or a poll. Discord refuses a message with none of these.
func hasOther(msg map[string]any) bool {
	for _, k := range []string{"components", "attachments", "files"} {
		if v, ok := msg[k].([]any); ok && len(v) > 0 {
			return true
		}
	}
	poll, ok := msg["poll"].(map[string]any)
	return ok && len(poll) > 0
}

// Interpret honours Discord's rate-limit answers.
func (s *Sink) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	now := s.now()
	if r.StatusCode != http.StatusTooManyRequests {
		v := sdk.ClassifyResponse(r, now)
		if v.Outcome == sdk.Fail && len(r.Body) > 0 {
			v.Reason += ": " + strings.TrimSpace(string(r.Body[:min(len(r.Body), 256)]))
		}
		return v
	}
	v := sdk.Verdict{Outcome: sdk.Retry, Reason: "discord: rate limited"}
	var body struct {
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	if json.Unmarshal(r.Body, &body) == nil && body.RetryAfter > 0 {
		v.RetryAfter = time.Duration(math.Ceil(body.RetryAfter*1000)) * time.Millisecond
	}
	if d, ok := sdk.ParseRetryAfter(r.Header.Get("retry-after"), now); ok && d > v.RetryAfter {
		v.RetryAfter = d
	}
	v.RetryAfter = min(v.RetryAfter, sdk.MaxRetryAfter)
	if body.Global {
		v.Reason += " (global)"
	}
	return v
}

// Close does nothing.
func (s *Sink) Close(context.Context) error { return nil }
