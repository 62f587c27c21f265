package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Definition describes the mattermost sink.
func Definition() sdk.Definition {
	return sdk.DefineSink("mattermost",
		"Posts messages to Mattermost: through an incoming webhook (webhook_url), or through the REST API as a bot (an api block). A string becomes the text; an object may set text, attachments, props.",
		schema.Block{
			Attributes: []schema.Attribute{
				{Name: "webhook_url", Type: schema.String, Sensitive: true, Description: "The incoming webhook URL (it carries a secret). Either this or an api block."},
				{Name: "channel", Type: schema.String, Description: "Webhook: post to this channel instead of the webhook's default. API: the channel's name (required)."},
				{Name: "username", Type: schema.String, Description: "Override the posting user name."},
				{Name: "icon_url", Type: schema.String, Description: "Override the posting user's icon."},
			},
			Blocks: []schema.NestedBlock{{
				Name: "api",
				Block: schema.Block{
					Description: "Post through the REST API with a bot token. The channel's id is looked up once by name, through hookferry's HTTP client (its egress policy applies).",
					Attributes: []schema.Attribute{
						{Name: "server_url", Type: schema.String, Required: true, Description: "The Mattermost server, e.g. https://mattermost.example.com."},
						{Name: "token", Type: schema.String, Required: true, Sensitive: true, Description: "A bot's access token."},
						{Name: "team", Type: schema.String, Required: true, Description: "The team's name (as in its URL)."},
					},
				},
			}},
		},
		newSink)
}

// config is what the schema above decodes into; sdk.Config.Decode checks
// that the two name the same attributes.
type config struct {
	WebhookURL sdk.Secret `json:"webhook_url"`
	Channel    string     `json:"channel"`
	Username   string     `json:"username"`
	IconURL    string     `json:"icon_url"`
	API        *struct {
		ServerURL string     `json:"server_url"`
		Token     sdk.Secret `json:"token"`
		Team      string     `json:"team"`
	} `json:"api"`
}

type sink struct {
	url      string // webhook mode
	channel  string
	username string
	iconURL  string

	// API mode.
	api    *apiConfig
	http   *http.Client // the host's: requests go through its egress policy
	mu     sync.Mutex
	chanID string // looked up once
}

type apiConfig struct {
	server, token, team string
}

var (
	_ sdk.Sink        = (*sink)(nil)
	_ sdk.Interpreter = (*sink)(nil)
)

func newSink(_ context.Context, cfg sdk.Config) (*sink, error) {
	var c config
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	var diags sdk.Diagnostics
	switch {
	case c.WebhookURL.Empty() && c.API == nil:
		diags = append(diags, sdk.Diagnostic{Summary: "Nowhere to post", Detail: "Set webhook_url, or an api block (server_url, token, team).", Attribute: "webhook_url"})
	case !c.WebhookURL.Empty() && c.API != nil:
		diags = append(diags, sdk.Diagnostic{Summary: "Two ways to post", Detail: "Set webhook_url or an api block, not both.", Attribute: "webhook_url"})
	case c.API == nil:
		if !httpURL(c.WebhookURL.Reveal()) {
			// The attribute path lets hookferry show this at the right line.
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid webhook_url", Detail: "webhook_url must be an absolute http(s) URL, such as https://mattermost.example.com/hooks/xxx.", Attribute: "webhook_url"})
		}
	default:
		if !httpURL(c.API.ServerURL) {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid server_url", Detail: "api.server_url must be an absolute http(s) URL.", Attribute: "api.server_url"})
		}
		if c.Channel == "" {
			diags = append(diags, sdk.Diagnostic{Summary: "No channel", Detail: "With an api block, channel names the channel to post to.", Attribute: "channel"})
		}
	}
	if c.IconURL != "" {
		if u, err := url.Parse(c.IconURL); err != nil || u.Host == "" {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid icon_url", Detail: "icon_url must be an absolute URL.", Attribute: "icon_url"})
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	s := &sink{url: c.WebhookURL.Reveal(), channel: c.Channel, username: c.Username, iconURL: c.IconURL}
	if c.API != nil {
		s.api = &apiConfig{server: strings.TrimRight(c.API.ServerURL, "/"), token: c.API.Token.Reveal(), team: c.API.Team}
		s.http = cfg.HTTPClient()
	}
	return s, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Render posts {"text": ..., "channel": ...} the way Mattermost incoming
// webhooks expect, or {"channel_id": ..., "message": ...} to the API.
func (s *sink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	post, err := m.Object("text")
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("mattermost: %v", err))
	}
	if post["text"] == nil && post["attachments"] == nil {
		return nil, sdk.Permanent(fmt.Errorf("mattermost: the message has no text and no attachments"))
	}
	if s.api != nil {
		return s.renderAPI(ctx, post)
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

func (s *sink) renderAPI(ctx context.Context, post map[string]any) (*sdk.Outbound, error) {
	id, err := s.channelID(ctx)
	if err != nil {
		return nil, err
	}
	props, _ := post["props"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	if a, ok := post["attachments"]; ok {
		props["attachments"] = a
	}
	if s.username != "" {
		props["override_username"] = s.username
	}
	if s.iconURL != "" {
		props["override_icon_url"] = s.iconURL
	}
	text, _ := post["text"].(string)
	body, err := json.Marshal(map[string]any{"channel_id": id, "message": text, "props": props})
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	return &sdk.Outbound{Method: http.MethodPost, URL: s.api.server + "/api/v4/posts", Body: body, Timeout: 10 * time.Second,
		Header: sdk.Header{"content-type": {"application/json"}, "authorization": {"Bearer " + s.api.token}}}, nil
}

// channelID looks the channel's id up by name, once, with the host's HTTP
// client: the request goes through hookferry's egress policy.
func (s *sink) channelID(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chanID != "" {
		return s.chanID, nil
	}
	u := s.api.server + "/api/v4/teams/name/" + url.PathEscape(s.api.team) + "/channels/name/" + url.PathEscape(s.channel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", sdk.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.api.token)
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("mattermost: looking up channel %q: %w", s.channel, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("mattermost: looking up channel %q in team %q: %s", s.channel, s.api.team, sdk.StatusReason(resp.StatusCode))
		switch v := sdk.ClassifyResponse(&sdk.Response{StatusCode: resp.StatusCode, Header: sdk.Header{"retry-after": {resp.Header.Get("Retry-After")}}}, time.Now()); v.Outcome {
		case sdk.Retry:
			return "", sdk.RetryAfter(err, v.RetryAfter)
		default:
			return "", sdk.Permanent(err) // no such channel, or the token may not see it
		}
	}
	var ch struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &ch) != nil || ch.ID == "" {
		return "", fmt.Errorf("mattermost: unreadable channel answer")
	}
	s.chanID = ch.ID
	return s.chanID, nil
}

// Interpret: Mattermost answers 200 (webhook) or 201 (API) on success;
// 400 (bad payload), 401/403 and 404 (webhook deleted) cannot succeed
// later.
func (s *sink) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	v := sdk.ClassifyResponse(r, time.Now())
	if v.Outcome == sdk.Fail && len(r.Body) > 0 {
		v.Reason += ": " + string(r.Body[:min(len(r.Body), 200)])
	}
	return v
}

func (s *sink) Close(context.Context) error { return nil }
