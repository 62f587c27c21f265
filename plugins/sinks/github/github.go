package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookferry/hookferry/plugins/internal/attr"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the sink's type label.
const Name = "github"

// Defaults.
const (
	DefaultAPIURL = "https://api.github.com"
	APIVersion    = "2022-11-28"
)

// The actions and the fields each takes from the transform's output
// (required ones first).
var actions = map[string]struct {
	required []string
	optional []string
}{
	"repository_dispatch": {[]string{"event_type"}, []string{"client_payload"}},
	"issue_comment":       {[]string{"issue_number", "body"}, nil},
	"create_issue":        {[]string{"title"}, []string{"body", "labels", "assignees", "milestone"}},
	"commit_status":       {[]string{"sha", "state"}, []string{"target_url", "description", "context"}},
}

// Definition describes the github sink.
func Definition() sdk.Definition {
	return sdk.DefineSink(Name,
		"Calls the GitHub REST API for one repository: repository_dispatch, issue_comment, create_issue or commit_status, with fields from the transform's output.",
		schema.Block{Attributes: []schema.Attribute{
			{Name: "token", Type: schema.String, Sensitive: true, Description: "A token with access to the repository (sent as Authorization: Bearer). Either this or an app block."},
			{Name: "repository", Type: schema.String, Required: true, Description: "owner/repo"},
			{Name: "action", Type: schema.String, Required: true, Description: "repository_dispatch, issue_comment, create_issue or commit_status."},
			{Name: "api_url", Type: schema.String, Default: DefaultAPIURL, Description: "API base URL (GitHub Enterprise: https://HOST/api/v3)."},
			{Name: "timeout", Type: schema.String, Default: "10s", Description: "Deadline of one attempt."},
		}, Blocks: []schema.NestedBlock{{
			Name: "app",
			Block: schema.Block{
				Description: "Authenticate as a GitHub App installation instead of with a token: a JWT is exchanged for an installation token, cached until shortly before it expires.",
				Attributes: []schema.Attribute{
					{Name: "app_id", Type: schema.Number, Required: true, Description: "The App's id."},
					{Name: "installation_id", Type: schema.Number, Required: true, Description: "The installation's id (in the repository owner's account)."},
					{Name: "private_key", Type: schema.String, Required: true, Sensitive: true, Description: "The App's private key, PEM (use file(\"key.pem\"))."},
				},
			},
		}}},
		New)
}

// Sink calls the GitHub API.
type Sink struct {
	app     *appAuth
	token   string
	owner   string
	repo    string
	action  string
	apiURL  string
	timeout time.Duration
	now     func() time.Time

	secondary secondaryBackoff
}

var (
	_ sdk.Sink        = (*Sink)(nil)
	_ sdk.Interpreter = (*Sink)(nil)
)

// New builds the sink.
func New(_ context.Context, cfg sdk.Config) (*Sink, error) {
	var c struct {
		Token sdk.Secret `json:"token"`
		App   *struct {
			AppID          int64      `json:"app_id"`
			InstallationID int64      `json:"installation_id"`
			PrivateKey     sdk.Secret `json:"private_key"`
		} `json:"app"`
		Repository string `json:"repository"`
		Action     string `json:"action"`
		APIURL     string `json:"api_url"`
		Timeout    string `json:"timeout"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	s := &Sink{token: c.Token.Reveal(), action: c.Action, apiURL: strings.TrimRight(c.APIURL, "/"), now: time.Now}
	var diags sdk.Diagnostics
	switch {
	case s.token != "" && c.App != nil:
		diags = append(diags, sdk.Diagnostic{Summary: "Two ways to authenticate", Detail: "Set token or an app block, not both.", Attribute: "token"})
	case s.token == "" && c.App == nil:
		diags = append(diags, sdk.Diagnostic{Summary: "No credentials", Detail: "Set token, or an app block (app_id, installation_id, private_key).", Attribute: "token"})
	case c.App != nil:
		key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(c.App.PrivateKey.Reveal()))
		if err != nil {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid private key", Detail: "app.private_key must be the App's RSA private key in PEM form.", Attribute: "app.private_key"})
		}
		if c.App.AppID <= 0 || c.App.InstallationID <= 0 {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid app ids", Detail: "app_id and installation_id are positive numbers.", Attribute: "app.app_id"})
		}
		// The token exchange goes through the host's HTTP client, so the
		// egress policy applies to it as to every delivery.
		s.app = &appAuth{appID: strconv.FormatInt(c.App.AppID, 10), installationID: c.App.InstallationID, key: key,
			apiURL: s.apiURL, hc: cfg.HTTPClient(), now: time.Now}
	}
	owner, repo, ok := strings.Cut(c.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		diags = append(diags, sdk.Diagnostic{Summary: "Invalid repository", Detail: fmt.Sprintf("%q is not owner/repo.", c.Repository), Attribute: "repository"})
	}
	s.owner, s.repo = owner, repo
	if _, ok := actions[c.Action]; !ok {
		diags = append(diags, sdk.Diagnostic{Summary: "Unknown action", Detail: fmt.Sprintf("%q: use repository_dispatch, issue_comment, create_issue or commit_status.", c.Action), Attribute: "action"})
	}
	attr.HTTPURL("api_url", s.apiURL, &diags)
	s.timeout = attr.Duration("timeout", c.Timeout, &diags)
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// Render builds the API call for the configured action.
func (s *Sink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	token := s.token
	if s.app != nil {
		t, err := s.app.Token(ctx)
		if err != nil {
			return nil, err
		}
		token = t
	}
	var in map[string]any
	if !m.IsJSON() || json.Unmarshal(m.Body, &in) != nil {
		return nil, sdk.Permanent(fmt.Errorf("github %s: the transform must return a JSON object", s.action))
	}
	spec := actions[s.action]
	for _, f := range spec.required {
		if v, ok := in[f]; !ok || v == nil || v == "" {
			return nil, sdk.Permanent(fmt.Errorf("github %s: the message has no %q (needs %s)", s.action, f, strings.Join(spec.required, ", ")))
		}
	}
	base := s.apiURL + "/repos/" + url.PathEscape(s.owner) + "/" + url.PathEscape(s.repo)
	body := map[string]any{}
	var path string
	switch s.action {
	case "repository_dispatch":
		path = base + "/dispatches"
	case "issue_comment":
		n, err := number(in["issue_number"])
		if err != nil {
			return nil, sdk.Permanent(fmt.Errorf("github issue_comment: issue_number: %v", err))
		}
		path = base + "/issues/" + strconv.Itoa(n) + "/comments"
	case "create_issue":
		path = base + "/issues"
	case "commit_status":
		sha, _ := in["sha"].(string)
		path = base + "/statuses/" + url.PathEscape(sha)
	}
	for _, f := range append(spec.required, spec.optional...) {
		if v, ok := in[f]; ok && f != "issue_number" && f != "sha" {
			body[f] = v
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	return &sdk.Outbound{
		Method: http.MethodPost,
		URL:    path,
		Header: sdk.Header{
			"authorization":        {"Bearer " + token},
			"accept":               {"application/vnd.github+json"},
			"x-github-api-version": {APIVersion},
			"user-agent":           {"hookferry"},
			"content-type":         {"application/json"},
		},
		Body:    b,
		Timeout: s.timeout,
	}, nil
}

func number(v any) (int, error) {
	switch n := v.(type) {
	case float64:
		if n == float64(int(n)) && n > 0 {
			return int(n), nil
		}
	case string:
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%v is not a positive whole number", v)
}

// Interpret applies GitHub's rate-limit rules.
func (s *Sink) Interpret(_ context.Context, _ *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	now := s.now()
	if s.app != nil && r.StatusCode == http.StatusUnauthorized {
		// The installation token was revoked or expired early: fetch a
		// new one on the next attempt.
		s.app.forget()
		return sdk.Verdict{Outcome: sdk.Retry, Reason: "github: installation token rejected; a new one will be fetched"}
	}
	if (r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusTooManyRequests) && isSecondaryLimit(r) &&
		r.Header.Get("retry-after") == "" && r.Header.Get("x-ratelimit-remaining") != "0" {
		// A secondary limit that names no time: at least a minute, longer
		// while it persists.
		return sdk.Verdict{Outcome: sdk.Retry, RetryAfter: s.secondary.next(), Reason: "github: secondary rate limit"}
	}
	if v, limited := rateLimited(r, now); limited {
		return v
	}
	s.secondary.reset()
	v := sdk.ClassifyResponse(r, now)
	if v.Outcome == sdk.Fail {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(r.Body, &e) == nil && e.Message != "" {
			v.Reason += ": " + e.Message
		}
	}
	return v
}

// rateLimited reads GitHub's rate-limit answers (403 or 429), from the
// API or from the App token exchange alike.
func rateLimited(r *sdk.Response, now time.Time) (sdk.Verdict, bool) {
	if r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusTooManyRequests {
		return sdk.Verdict{}, false
	}
	// Primary limit: no requests left until the reset time.
	if r.Header.Get("x-ratelimit-remaining") == "0" {
		v := sdk.Verdict{Outcome: sdk.Retry, Reason: "github: rate limit exhausted"}
		if reset, err := strconv.ParseInt(r.Header.Get("x-ratelimit-reset"), 10, 64); err == nil {
			v.RetryAfter = min(max(time.Unix(reset, 0).Sub(now), 0), sdk.MaxRetryAfter)
		}
		return v, true
	}
	// Secondary limit.
	if d, ok := sdk.ParseRetryAfter(r.Header.Get("retry-after"), now); ok {
		return sdk.Verdict{Outcome: sdk.Retry, RetryAfter: d, Reason: "github: secondary rate limit"}, true
	}
	if r.StatusCode == http.StatusTooManyRequests {
		return sdk.Verdict{Outcome: sdk.Retry, RetryAfter: time.Minute, Reason: "github: rate limited"}, true
	}
	return sdk.Verdict{}, false
}

// Close does nothing.
func (s *Sink) Close(context.Context) error { return nil }
