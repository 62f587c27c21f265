package http

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/attr"
	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the type label of the sink.
const Name = "http"

// DefaultSinkTimeout bounds one attempt.
const DefaultSinkTimeout = 10 * time.Second

// Definition describes the http sink.
func Definition() sdk.Definition {
	return sdk.DefineSink(Name,
		"Sends each message to a URL: JSON bodies as application/json, strings as text/plain.",
		schema.Block{
			Attributes: []schema.Attribute{
				{Name: "url", Type: schema.String, Required: true, Sensitive: true, Description: "Destination URL (http or https). Treated as a secret: URLs often carry tokens."},
				{Name: "method", Type: schema.String, Default: "POST", Description: "HTTP method: POST, PUT or PATCH."},
				{Name: "headers", Type: schema.Map(schema.String), Sensitive: true, Description: "Static headers on every request; headers set by a transform's message() override them."},
				{Name: "timeout", Type: schema.String, Default: DefaultSinkTimeout.String(), Description: "Deadline of one attempt."},
			},
			Blocks: []schema.NestedBlock{{
				Name: "signing",
				Block: schema.Block{
					Description: "Sign requests the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) so receivers can verify and de-duplicate them.",
					Attributes: []schema.Attribute{
						{Name: "secret", Type: schema.String, Required: true, Sensitive: true, Description: "whsec_ followed by base64 (give the receiver the same string)."},
					},
				},
			}},
		},
		NewSink)
}

type sinkConfig struct {
	Signing *struct {
		Secret sdk.Secret `json:"secret"`
	} `json:"signing"`
	URL     sdk.Secret        `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Timeout string            `json:"timeout"`
}

// Sink renders messages into requests for one URL.
type Sink struct {
	signKey []byte
	now     func() time.Time
	url     string
	method  string
	header  sdk.Header
	timeout time.Duration
}

var _ sdk.Sink = (*Sink)(nil)

// NewSink checks the configuration and builds the sink.
func NewSink(_ context.Context, cfg sdk.Config) (*Sink, error) {
	var c sinkConfig
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	var diags sdk.Diagnostics
	attr.HTTPURL("url", c.URL.Reveal(), &diags)
	s := &Sink{url: c.URL.Reveal(), method: strings.ToUpper(c.Method), header: sdk.Header{}, timeout: DefaultSinkTimeout, now: time.Now}
	if c.Signing != nil {
		key, err := verify.DecodeWhsec(c.Signing.Secret.Reveal())
		if err != nil {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid signing secret", Detail: err.Error(), Attribute: "signing.secret"})
		}
		s.signKey = key
	}
	switch s.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		diags = append(diags, sdk.Diagnostic{Summary: "Unsupported method", Detail: fmt.Sprintf("%q: the http sink sends a body, so use POST, PUT or PATCH.", c.Method), Attribute: "method"})
	}
	for k, v := range c.Headers {
		if strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid header", Detail: fmt.Sprintf("Header %q has a character headers cannot hold.", k), Attribute: "headers"})
			continue
		}
		s.header.Set(k, v)
	}
	if d := attr.Duration("timeout", c.Timeout, &diags); d > 0 {
		s.timeout = d
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// Render builds the outbound request for msg.
func (s *Sink) Render(_ context.Context, msg sdk.Message) (*sdk.Outbound, error) {
	h := make(sdk.Header, len(s.header)+len(msg.Header)+1)
	for k, v := range s.header {
		h[k] = v
	}
	ct := msg.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("content-type", ct)
	for k, v := range msg.Header {
		h[k] = v
	}
	if s.signKey != nil {
		// The id is the same on every retry of this message, so the
		// receiver can de-duplicate; the timestamp is the attempt's.
		id := webhookID(msg)
		ts := s.now().Unix()
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		h.Set("webhook-signature", verify.StandardSignature(s.signKey, id, ts, msg.Body))
	}
	return &sdk.Outbound{Method: s.method, URL: s.url, Header: h, Body: msg.Body, Timeout: s.timeout}, nil
}

// webhookID names a message stably: its delivery and its place in it.
func webhookID(m sdk.Message) string {
	id := m.DeliveryID
	if id == "" && m.Event != nil {
		id = m.Event.Pipeline + "." + m.Event.ID
	}
	return "msg_" + id + "_" + strconv.Itoa(m.Index)
}

// Close does nothing; the host owns the HTTP client.
func (s *Sink) Close(context.Context) error { return nil }
