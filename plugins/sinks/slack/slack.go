package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/attr"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the sink's type label.
const Name = "slack"

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api"

// Definition describes the slack sink.
func Definition() sdk.Definition {
	return sdk.DefineSink(Name,
		"Posts messages to Slack: an incoming webhook (webhook_url), or chat.postMessage (token, channel). The transform's output is the message (text, blocks, attachments, thread_ts...).",
		schema.Block{Attributes: []schema.Attribute{
			{Name: "webhook_url", Type: schema.String, Sensitive: true, Description: "Incoming webhook URL. Either this, or token and channel."},
			{Name: "token", Type: schema.String, Sensitive: true, Description: "Bot token (xoxb-...) for chat.postMessage."},
			{Name: "channel", Type: schema.String, Description: "Channel id or name for chat.postMessage; a message's own channel wins."},
			{Name: "api_url", Type: schema.String, Default: DefaultAPIURL, Description: "Web API base URL."},
			{Name: "timeout", Type: schema.String, Default: "10s", Description: "Deadline of one attempt."},
		}},
		New)
}

// Sink posts to Slack.
type Sink struct {
	webhook string
	token   string
	channel string
	apiURL  string
	timeout time.Duration
	now     func() time.Time
}

var (
	_ sdk.Sink        = (*Sink)(nil)
	_ sdk.Interpreter = (*Sink)(nil)
	_ sdk.Pacer       = (*Sink)(nil)
)

// New builds the sink.
func New(_ context.Context, cfg sdk.Config) (*Sink, error) {
	var c struct {
		WebhookURL sdk.Secret `json:"webhook_url"`
		Token      sdk.Secret `json:"token"`
		Channel    string     `json:"channel"`
		APIURL     string     `json:"api_url"`
		Timeout    string     `json:"timeout"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	s := &Sink{webhook: c.WebhookURL.Reveal(), token: c.Token.Reveal(), channel: c.Channel, apiURL: strings.TrimRight(c.APIURL, "/"), now: time.Now}
	var diags sdk.Diagnostics
	switch {
	case s.webhook != "" && s.token != "":
		diags = append(diags, sdk.Diagnostic{Summary: "Two ways to post", Detail: "Set webhook_url, or token and channel, not both.", Attribute: "token"})
	case s.webhook == "" && s.token == "":
		diags = append(diags, sdk.Diagnostic{Summary: "Nowhere to post", Detail: "Set webhook_url (an incoming webhook), or token (and channel) for chat.postMessage.", Attribute: "webhook_url"})
	case s.webhook != "":
		attr.HTTPURL("webhook_url", s.webhook, &diags)
	default:
		attr.HTTPURL("api_url", s.apiURL, &diags)
	}
	s.timeout = attr.Duration("timeout", c.Timeout, &diags)
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// DefaultRateLimit is Slack's documented pace: one message per second per
// webhook or channel.
func (s *Sink) DefaultRateLimit() float64 { return 1 }

// Render turns the message into a webhook post or a chat.postMessage call.
// A string body becomes {"text": ...}.
func (s *Sink) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	msg, err := m.Object("text")
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("slack: %v", err))
	}
	if _, hasText := msg["text"]; !hasText {
		if _, hasBlocks := msg["blocks"]; !hasBlocks {
			if _, hasAtt := msg["attachments"]; !hasAtt {
				return nil, sdk.Permanent(fmt.Errorf("slack: the message has no text, blocks or attachments"))
			}
		}
	}
	h := sdk.Header{"content-type": {"application/json; charset=utf-8"}}
	out := &sdk.Outbound{Method: http.MethodPost, URL: s.webhook, Header: h, Timeout: s.timeout}
	if s.token != "" {
		if _, ok := msg["channel"]; !ok {
			if s.channel == "" {
				return nil, sdk.Permanent(fmt.Errorf("slack: no channel: set channel on the sink or in the message"))
			}
			msg["channel"] = s.channel
		}
		out.URL = s.apiURL + "/chat.postMessage"
		h.Set("authorization", "Bearer "+s.token)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	out.Body = body
	return out, nil
}

// Interpret reads Slack's answers as documented.
func (s *Sink) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	now := s.now()
	if s.token == "" {
		// Incoming webhooks: 200 "ok"; errors as a status with a short text.
		text := strings.TrimSpace(string(r.Body))
		switch r.StatusCode {
		case http.StatusOK:
			return sdk.Verdict{Outcome: sdk.Success, Reason: "ok"}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
			return sdk.Verdict{Outcome: sdk.Fail, Reason: fmt.Sprintf("%d %s", r.StatusCode, text)}
		}
		return sdk.ClassifyResponse(r, now)
	}
	// Web API: 200 with {"ok": bool, "error": "..."}; a rate limit may
	// also come as a 429.
	if r.StatusCode == http.StatusTooManyRequests {
		return rateLimited(r, now)
	}
	if r.StatusCode != http.StatusOK {
		return sdk.ClassifyResponse(r, now)
	}
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &res); err != nil {
		return sdk.Verdict{Outcome: sdk.Retry, Reason: "unreadable Web API answer: " + err.Error()}
	}
	switch {
	case res.OK:
		return sdk.Verdict{Outcome: sdk.Success, Reason: "ok"}
	case res.Error == "ratelimited" || res.Error == "rate_limited":
		// Both spellings occur in Slack's Web API answers.
		return rateLimited(r, now)
	default:
		return sdk.Verdict{Outcome: sdk.Fail, Reason: "slack: " + res.Error}
	}
}

func rateLimited(r *sdk.Response, now time.Time) sdk.Verdict {
	v := sdk.Verdict{Outcome: sdk.Retry, Reason: "slack: ratelimited"}
	if d, ok := sdk.ParseRetryAfter(r.Header.Get("retry-after"), now); ok {
		v.RetryAfter = d
	}
	return v
}

// Close does nothing.
func (s *Sink) Close(context.Context) error { return nil }
