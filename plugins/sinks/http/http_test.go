package http

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

func conf(t *testing.T, v map[string]any) sdk.Config {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Config{Values: b}
}

func TestSinkRender(t *testing.T) {
	s, err := NewSink(context.Background(), conf(t, map[string]any{
		"url": "https://example.test/hook?token=abc", "method": "put", "timeout": "3s",
		"headers": map[string]string{"X-Static": "s", "X-Over": "static"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Render(context.Background(), sdk.Message{
		Body: []byte(`{"a":1}`), ContentType: sdk.ContentTypeJSON,
		Header: sdk.Header{"x-over": {"transform"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Method != "PUT" || out.URL != "https://example.test/hook?token=abc" || out.Timeout != 3*time.Second || string(out.Body) != `{"a":1}` {
		t.Fatalf("outbound %+v", out)
	}
	for k, want := range map[string]string{"x-static": "s", "x-over": "transform", "content-type": "application/json"} {
		if got := out.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestSinkConfigErrorsDoNotLeakURL(t *testing.T) {
	_, err := NewSink(context.Background(), conf(t, map[string]any{
		"url": "ftp://user:supersecret@example.test/", "method": "GET", "timeout": "x",
	}))
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || len(ds) != 3 {
		t.Fatalf("err = %v, want 3 diagnostics", err)
	}
	if strings.Contains(err.Error(), "supersecret") {
		t.Fatalf("URL credentials in error: %v", err)
	}
}

func TestSigningMatchesSpecVector(t *testing.T) {
	key, err := verify.DecodeWhsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := verify.StandardSignature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want the spec's %s", got, want)
	}
	s, err := NewSink(context.Background(), conf(t, map[string]any{
		"url": "https://example.test/", "method": "POST", "timeout": "1s",
		"signing": map[string]any{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Unix(1614265330, 0) }
	msg := sdk.Message{Body: []byte(`{"test": 2432232314}`), ContentType: sdk.ContentTypeJSON, DeliveryID: "p.out.7", Index: 1}
	out, _ := s.Render(context.Background(), msg)
	id := out.Header.Get("webhook-id")
	if id != "msg_p.out.7_1" || out.Header.Get("webhook-timestamp") != "1614265330" ||
		out.Header.Get("webhook-signature") != verify.StandardSignature(key, id, 1614265330, msg.Body) {
		t.Fatalf("headers %v", out.Header)
	}
	again, _ := s.Render(context.Background(), msg)
	if again.Header.Get("webhook-id") != id {
		t.Fatal("webhook-id differs between renders of the same message")
	}
}
