package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// Slack's documentation example ("Verifying requests from Slack").
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = 1531420618
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func newSource(t *testing.T, now int64, secrets ...string) *Source {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"secrets": secrets, "tolerance": "5m"})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Unix(now, 0) }
	return s
}

func sign(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

func request(ct, sig string, ts int64, body string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{
		"content-type": {ct}, "x-slack-signature": {sig}, "x-slack-request-timestamp": {strconv.FormatInt(ts, 10)},
	}, Body: []byte(body)}
}

const form = "application/x-www-form-urlencoded"

func TestDocsVectorSlashCommand(t *testing.T) {
	rec, err := newSource(t, docTS, docSecret).Receive(context.Background(), request(form, docSig, docTS, docBody))
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.Event
	var fields map[string]string
	if err := json.Unmarshal(ev.Body, &fields); err != nil {
		t.Fatalf("body %s: %v", ev.Body, err)
	}
	if ev.Type != "slash_command" || fields["command"] != "/webhook-collect" || fields["user_name"] != "roadrunner" || ev.ContentType != sdk.ContentTypeJSON {
		t.Fatalf("event %+v fields %v", ev, fields)
	}
	if ev.Header.Get("x-slack-signature") != "" {
		t.Fatal("signature stored")
	}
}

func TestURLVerificationIsAnsweredAndNotQueued(t *testing.T) {
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	rec, err := newSource(t, 1000, "s").Receive(context.Background(), request("application/json", sign("s", 1000, body), 1000, body))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Event != nil || rec.Reply == nil || rec.Reply.StatusCode != 200 ||
		string(rec.Reply.Body) != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Fatalf("receipt %+v", rec)
	}
	// An unsigned handshake is refused like anything else.
	if _, err := newSource(t, 1000, "s").Receive(context.Background(), request("application/json", sign("x", 1000, body), 1000, body)); err == nil {
		t.Fatal("unsigned url_verification answered")
	}
}

func TestEventsAPIAndInteractivity(t *testing.T) {
	s := newSource(t, 1000, "s")
	tests := []struct {
		name, ct, body, typ, id, bodyHas string
	}{
		{"event callback", "application/json", `{"type":"event_callback","event_id":"Ev123","event":{"type":"app_mention","text":"hi"}}`, "app_mention", "Ev123", `"app_mention"`},
		{"rate limited envelope", "application/json", `{"type":"app_rate_limited","team_id":"T1"}`, "app_rate_limited", "", "app_rate_limited"},
		{"block actions", form, "payload=" + url.QueryEscape(`{"type":"block_actions","trigger_id":"1.2"}`), "block_actions", "", `"trigger_id":"1.2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := s.Receive(context.Background(), request(tt.ct, sign("s", 1000, tt.body), 1000, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			ev := rec.Event
			if ev.Type != tt.typ || (tt.id != "" && ev.ID != tt.id) || ev.ID == "" || !json.Valid(ev.Body) || !bytes.Contains(ev.Body, []byte(tt.bodyHas)) {
				t.Fatalf("event %+v body %s", ev, ev.Body)
			}
		})
	}
}

func TestWindowRotationAndBitFlips(t *testing.T) {
	for _, tt := range []struct {
		offset int64
		ok     bool
	}{{0, true}, {300, true}, {-300, true}, {301, false}, {-301, false}} {
		_, err := newSource(t, docTS+tt.offset, docSecret).Receive(context.Background(), request(form, docSig, docTS, docBody))
		if (err == nil) != tt.ok {
			t.Errorf("offset %d: %v", tt.offset, err)
		}
	}
	if _, err := newSource(t, docTS, "other", docSecret).Receive(context.Background(), request(form, docSig, docTS, docBody)); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	s := newSource(t, docTS, docSecret)
	flip := func(v string, i int) string { b := []byte(v); b[i] ^= 1; return string(b) }
	for name, r := range map[string]*sdk.Request{
		"body":      request(form, docSig, docTS, flip(docBody, 30)),
		"signature": request(form, flip(docSig, 5), docTS, docBody),
		"timestamp": request(form, docSig, docTS+1, docBody),
		"no v0":     request(form, docSig[3:], docTS, docBody),
	} {
		var rej *sdk.RejectError
		if _, err := s.Receive(context.Background(), r); !errors.As(err, &rej) || rej.Status != 401 {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{"", docSig, "v0=", "v1=" + docSig[3:], "v0=zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sig, err := ParseSignature(v); err == nil && len(sig) != sha256.Size {
			t.Fatalf("%q: %d bytes", v, len(sig))
		}
	})
}
