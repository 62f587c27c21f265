package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Definition describes the mattermost sink.
func Definition() sdk.Definition {
	return sdk.Definition{
		Kind:        sdk.KindSink,
		Name:        "mattermost",
		Description: "Posts messages to a Mattermost incoming webhook. A string becomes the text; an object may set text, attachments, props.",
		Schema: schema.Block{Attributes: []schema.Attribute{
			{Name: "webhook_url", Type: schema.String, Required: true, Sensitive: true, Description: "The incoming webhook URL (it carries a secret)."},
			{Name: "channel", Type: schema.String, Description: "Post to this channel instead of the webhook's default."},
			{Name: "username", Type: schema.String, Description: "Override the posting user name."},
			{Name: "icon_url", Type: schema.String, Description: "Override the posting user's icon."},
		}},
		New: func(_ context.Context, cfg sdk.Config) (sdk.Component, error) { return newSink(cfg) },
	}
}

type sink struct {
	url      string
	channel  string
	username string
	iconURL  string
}

var (
	_ sdk.Sink        = (*sink)(nil)
	_ sdk.Interpreter = (*sink)(nil)
)

func newSink(cfg sdk.Config) (*sink, error) {
	var c struct {
		WebhookURL sdk.Secret `json:"webhook_url"`
		Channel    string     `json:"channel"`
		Username   string     `json:"username"`
		IconURL    string     `json:"icon_url"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	var diags sdk.Diagnostics
	if u, err := url.Parse(c.WebhookURL.Reveal()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The attribute path lets hookferry show this at the right line.
		diags = append(diags, sdk.Diagnostic{Summary: "Invalid webhook_url", Detail: "webhook_url must be an absolute http(s) URL, such as https://mattermost.example.com/hooks/xxx.", Attribute: "webhook_url"})
	}
	if c.IconURL != "" {
		if u, err := url.Parse(c.IconURL); err != nil || u.Host == "" {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid icon_url", Detail: "icon_url must be an absolute URL.", Attribute: "icon_url"})
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return &sink{url: c.WebhookURL.Reveal(), channel: c.Channel, username: c.Username, iconURL: c.IconURL}, nil
}

// Render posts {"text": ..., "channel": ...} the way Mattermost incoming
// webhooks expect.
func (s *sink) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	post, err := m.Object("text")
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("mattermost: %v", err))
	}
	if post["text"] == nil && post["attachments"] == nil {
		return nil, sdk.Permanent(fmt.Errorf("mattermost: the message has no text and no attachments"))
	}
	for k, v := range map[string]string{"channel": s.channel, "username": s.username, "icon_url": s.iconURL} {
		if _, set := post[k]; !set && v != "" {
			post[k] = v
		}
	}
	body, err := json.Marshal(post)
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	return &sdk.Outbound{Method: http.MethodPost, URL: s.url, Header: sdk.Header{"content-type": {"application/json"}}, Body: body, Timeout: 10 * time.Second}, nil
}

// Interpret: Mattermost answers 200 "ok"; 400 (bad payload), 401/403 and
// 404 (webhook deleted) cannot succeed later.
func (s *sink) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	v := sdk.ClassifyResponse(r, time.Now())
	if v.Outcome == sdk.Fail && len(r.Body) > 0 {
		v.Reason += ": " + string(r.Body[:min(len(r.Body), 200)])
	}
	return v
}

func (s *sink) Close(context.Context) error { return nil }
