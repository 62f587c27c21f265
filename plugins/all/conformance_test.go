package all_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/plugins/all"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/sdktest"
)

func mac(key string, parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func req(body string, header ...string) *sdk.Request {
	h := sdk.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &sdk.Request{Method: "POST", Path: "/in", Header: h, Body: []byte(body), ReceivedAt: time.Unix(1700000000, 0).UTC()}
}

func jsonMsg(body string) sdk.Message {
	return sdk.Message{Event: &sdk.Event{ID: "e1", Type: "push", Pipeline: "p"}, Body: []byte(body), ContentType: sdk.ContentTypeJSON, DeliveryID: "p.out.1"}
}

func resp(code int, body string, header ...string) *sdk.Response {
	h := sdk.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &sdk.Response{StatusCode: code, Header: h, Body: []byte(body)}
}

// TestBuiltinsConformance runs every built-in through the real plugin
// wire (gRPC in-process) and checks it behaves exactly as in-process.
func TestBuiltinsConformance(t *testing.T) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	whsec := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	whkey, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	m := hmac.New(sha256.New, whkey)
	m.Write([]byte("msg_1." + now + `.{"type":"user.created"}`))
	stdSig := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	ghBody := `{"action":"opened"}`
	slackBody := `{"type":"url_verification","challenge":"abc"}`
	stripeBody := `{"id":"evt_1","type":"invoice.paid"}`

	cases := map[string]sdktest.Case{
		"source/http": {
			Config:    map[string]any{"methods": []string{"POST", "PUT"}, "type_header": "X-Event-Type", "token": map[string]any{"header": "X-Token", "prefix": "", "secrets": []string{"s"}}},
			BadConfig: map[string]any{"methods": []string{"TRACE"}},
			Requests: []*sdk.Request{
				req(`{"a":1}`, "X-Token", "s", "Idempotency-Key", "k1", "X-Event-Type", "order.paid", "Content-Type", "application/json"),
				req(`{}`, "X-Token", "wrong"),
			},
		},
		"source/github": {
			Config:    map[string]any{"secrets": []string{"gh"}},
			BadConfig: map[string]any{"secrets": []string{}},
			Requests: []*sdk.Request{
				req(ghBody, "X-GitHub-Event", "issues", "X-GitHub-Delivery", "d1", "X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac("gh", ghBody))),
				req(ghBody, "X-GitHub-Event", "issues", "X-Hub-Signature-256", "sha256=00"),
			},
		},
		"source/stripe": {
			Config: map[string]any{"secrets": []string{"whsec_stripe"}, "tolerance": "300s"},
			Requests: []*sdk.Request{
				req(stripeBody, "Stripe-Signature", "t="+now+",v1="+hex.EncodeToString(mac("whsec_stripe", now, ".", stripeBody))),
				req(stripeBody, "Stripe-Signature", "t=1,v1="+hex.EncodeToString(mac("whsec_stripe", "1", ".", stripeBody))),
			},
		},
		"source/slack": {
			Config:   map[string]any{"secrets": []string{"sl"}, "tolerance": "5m"},
			Requests: []*sdk.Request{req(slackBody, "Content-Type", "application/json", "X-Slack-Request-Timestamp", now, "X-Slack-Signature", "v0="+hex.EncodeToString(mac("sl", "v0:", now, ":", slackBody)))},
		},
		"source/gitlab": {
			Config:   map[string]any{"secrets": []string{"tok"}},
			Requests: []*sdk.Request{req(`{"object_kind":"push"}`, "X-Gitlab-Token", "tok", "X-Gitlab-Event-UUID", "u1"), req(`{}`, "X-Gitlab-Token", "nope")},
		},
		"source/shopify": {
			Config:   map[string]any{"secrets": []string{"shp"}},
			Requests: []*sdk.Request{req(`{"id":1}`, "X-Shopify-Topic", "orders/create", "X-Shopify-Webhook-Id", "w1", "X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac("shp", `{"id":1}`)))},
		},
		"source/standardwebhooks": {
			Config:   map[string]any{"secrets": []string{whsec}, "tolerance": "5m"},
			Requests: []*sdk.Request{req(`{"type":"user.created"}`, "webhook-id", "msg_1", "webhook-timestamp", now, "webhook-signature", stdSig)},
		},
		"transform/javascript": {
			Config:    map[string]any{"code": `function transform(e) { if (e.body.drop) return null; if (e.body.boom) throw new Error("boom"); if (e.body.many) return split([1, message("two", {headers: {"x-a": "1"}})]); return {n: e.body.n * 2, id: e.id}; }`, "timeout": "1s"},
			BadConfig: map[string]any{"code": "function transform( {"},
			Messages:  []sdk.Message{jsonMsg(`{"n":21}`), jsonMsg(`{"drop":true}`), jsonMsg(`{"many":true}`), jsonMsg(`{"boom":true}`)},
		},
		"sink/http": {
			Config:    map[string]any{"url": "https://example.test/hook", "method": "PUT", "timeout": "5s", "headers": map[string]string{"X-S": "1"}, "signing": map[string]any{"secret": whsec}},
			BadConfig: map[string]any{"url": "ftp://x", "method": "GET", "timeout": "x"},
			Messages:  []sdk.Message{jsonMsg(`{"a":1}`)},
		},
		"sink/slack": {
			Config:    map[string]any{"webhook_url": "https://hooks.example.test/services/T/B/X", "api_url": "https://slack.com/api", "timeout": "10s"},
			BadConfig: map[string]any{"api_url": "https://slack.com/api", "timeout": "10s"},
			Messages:  []sdk.Message{jsonMsg(`{"text":"hi"}`), jsonMsg(`{"nothing":1}`)},
			Responses: []*sdk.Response{resp(200, "ok"), resp(404, "channel_not_found"), resp(429, "", "Retry-After", "3")},
		},
		"sink/discord": {
			Config:    map[string]any{"webhook_url": "https://discord.example.test/api/webhooks/1/t", "wait": true, "timeout": "10s"},
			Messages:  []sdk.Message{jsonMsg(`"hello"`), jsonMsg(`{"content":"` + strings.Repeat("x", 2001) + `"}`)},
			Responses: []*sdk.Response{resp(204, ""), resp(429, `{"retry_after":1.5}`), resp(400, `{"message":"bad"}`)},
		},
		"sink/github": {
			Config:    map[string]any{"token": "ghp_x", "repository": "o/r", "action": "issue_comment", "api_url": "https://api.github.com", "timeout": "10s"},
			BadConfig: map[string]any{"token": "ghp_x", "repository": "nope", "action": "merge", "api_url": "https://api.github.com", "timeout": "10s"},
			Messages:  []sdk.Message{jsonMsg(`{"issue_number":3,"body":"hi"}`), jsonMsg(`{"body":"no number"}`)},
			Responses: []*sdk.Response{resp(201, "{}"), resp(403, `{}`, "x-ratelimit-remaining", "0", "x-ratelimit-reset", fmt.Sprint(time.Now().Add(time.Minute).Unix())), resp(422, `{"message":"Validation Failed"}`)},
		},
		"sink/log": {
			Config:   map[string]any{"include_headers": true},
			Messages: []sdk.Message{jsonMsg(`{"a":1}`)},
		},
	}
	defs := all.Definitions(all.Options{Stdout: io.Discard})
	seen := map[string]bool{}
	for _, d := range defs {
		key := d.Kind.String() + "/" + d.Name
		c, ok := cases[key]
		if !ok {
			t.Errorf("built-in %s has no conformance case", key)
			continue
		}
		seen[key] = true
		c.Definition = d
		t.Run(key, func(t *testing.T) { sdktest.Conformance(t, c) })
	}
	for k := range cases {
		if !seen[k] {
			t.Errorf("conformance case %s matches no built-in", k)
		}
	}
}
