package standardwebhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// The specification's published test vector.
const (
	secret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	msgID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts      = 1614265330
	payload = `{"test": 2432232314}`
	vector  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func newSource(t *testing.T, now time.Time, secrets ...string) *Source {
	t.Helper()
	q := make([]string, len(secrets))
	for i, s := range secrets {
		q[i] = `"` + s + `"`
	}
	s, err := New(context.Background(), sdk.Config{Values: []byte(`{"tolerance":"5m","secrets":[` + strings.Join(q, ",") + `]}`)})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	return s
}

func request(id string, t int64, sig, body string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{
		"webhook-id": {id}, "webhook-timestamp": {strconv.FormatInt(t, 10)}, "webhook-signature": {sig},
		"content-type": {"application/json"},
	}, Body: []byte(body)}
}

func sign(key []byte, id string, t int64, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(t, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func unauthorized(err error) bool {
	var r *sdk.RejectError
	return errors.As(err, &r) && r.Status == 401
}

func TestSpecVector(t *testing.T) {
	rec, err := newSource(t, time.Unix(ts, 0), secret).Receive(context.Background(), request(msgID, ts, vector, payload))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Event.ID != msgID || rec.Event.Header.Get("webhook-signature") != "" {
		t.Fatalf("event %+v", rec.Event)
	}
	// The same key without the whsec_ prefix is the same secret.
	if _, err := newSource(t, time.Unix(ts, 0), strings.TrimPrefix(secret, "whsec_")).Receive(context.Background(), request(msgID, ts, vector, payload)); err != nil {
		t.Fatal(err)
	}
}

// TestSecretIsBase64Decoded: the key is the decoded bytes, unlike Stripe.
func TestSecretIsBase64Decoded(t *testing.T) {
	wrong := sign([]byte(secret), msgID, ts, payload)
	if _, err := newSource(t, time.Unix(ts, 0), secret).Receive(context.Background(), request(msgID, ts, wrong, payload)); !unauthorized(err) {
		t.Fatalf("a signature keyed by the raw string was accepted: %v", err)
	}
}

func TestListAndRotation(t *testing.T) {
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-key-of-24-bytes!"))
	s := newSource(t, time.Unix(ts, 0), other, secret)
	sigs := "v2,abc v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + vector
	if _, err := s.Receive(context.Background(), request(msgID, ts, sigs, payload)); err != nil {
		t.Fatalf("vector last in a list: %v", err)
	}
	key, _ := DecodeSecret(other)
	if _, err := s.Receive(context.Background(), request(msgID, ts, sign(key, msgID, ts, payload), payload)); err != nil {
		t.Fatalf("first secret: %v", err)
	}
}

func TestWindowEdgesAndBitFlips(t *testing.T) {
	for _, tt := range []struct {
		offset int64
		ok     bool
	}{{0, true}, {300, true}, {-300, true}, {301, false}, {-301, false}} {
		_, err := newSource(t, time.Unix(ts+tt.offset, 0), secret).Receive(context.Background(), request(msgID, ts, vector, payload))
		if (err == nil) != tt.ok {
			t.Errorf("offset %d: %v", tt.offset, err)
		}
	}
	s := newSource(t, time.Unix(ts, 0), secret)
	flip := func(v string, i int) string { b := []byte(v); b[i] ^= 1; return string(b) }
	for name, r := range map[string]*sdk.Request{
		"body":      request(msgID, ts, vector, flip(payload, 3)),
		"id":        request(flip(msgID, 5), ts, vector, payload),
		"timestamp": request(msgID, ts+1, vector, payload),
		"signature": request(msgID, ts, flip(vector, 10), payload),
		"no id":     request("", ts, vector, payload),
		"no sig":    request(msgID, ts, "", payload),
	} {
		if _, err := s.Receive(context.Background(), r); !unauthorized(err) {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

func TestBadSecretIsAConfigError(t *testing.T) {
	_, err := New(context.Background(), sdk.Config{Values: []byte(`{"tolerance":"5m","secrets":["whsec_not base64!"]}`)})
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || ds[0].Attribute != "secrets" || strings.Contains(err.Error(), "not base64!") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseSignatures(f *testing.F) {
	for _, s := range []string{"", vector, "v1,", "v1 " + vector, "v2,x " + vector, "v1,a,b", strings.Repeat(vector+" ", 3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sigs, err := ParseSignatures(v)
		if err == nil && len(sigs) == 0 {
			t.Fatalf("%q accepted with no signature", v)
		}
		for _, s := range sigs {
			if len(s) != sha256.Size {
				t.Fatalf("%q: %d bytes", v, len(s))
			}
		}
	})
}

// svixRequest carries the same signature under Svix's header names.
func svixRequest(id string, t int64, sig, body string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{
		"svix-id": {id}, "svix-timestamp": {strconv.FormatInt(t, 10)}, "svix-signature": {sig},
		"content-type": {"application/json"},
	}, Body: []byte(body)}
}

// TestSvixHeaderFamilyAccepted: Svix (and Resend, Clerk through it) sends
// svix-id, svix-timestamp and svix-signature by default; they are verified
// exactly like the webhook-* family, and the signature is not stored.
func TestSvixHeaderFamilyAccepted(t *testing.T) {
	s := newSource(t, time.Unix(ts, 0), secret)
	rec, err := s.Receive(context.Background(), svixRequest(msgID, ts, vector, payload))
	if err != nil {
		t.Fatalf("svix-* headers refused: %v", err)
	}
	if rec.Event.ID != msgID || rec.Event.Header.Get("svix-signature") != "" || rec.Event.Header.Get("svix-id") != msgID {
		t.Fatalf("event %+v", rec.Event)
	}
	flip := func(v string, i int) string { b := []byte(v); b[i] ^= 1; return string(b) }
	for name, r := range map[string]*sdk.Request{
		"body":      svixRequest(msgID, ts, vector, flip(payload, 3)),
		"id":        svixRequest(flip(msgID, 5), ts, vector, payload),
		"timestamp": svixRequest(msgID, ts+1, vector, payload),
		"no sig":    svixRequest(msgID, ts, "", payload),
		"stale":     svixRequest(msgID, ts-301, sign(mustKey(t), msgID, ts-301, payload), payload),
	} {
		if _, err := s.Receive(context.Background(), r); !unauthorized(err) {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

// TestHeaderFamiliesAreNeverMixed: the id, timestamp and signature come
// from one family; a svix-signature cannot vouch for a webhook-id.
func TestHeaderFamiliesAreNeverMixed(t *testing.T) {
	s := newSource(t, time.Unix(ts, 0), secret)
	r := svixRequest(msgID, ts, vector, payload)
	r.Header["webhook-id"] = []string{"msg_other"}
	if _, err := s.Receive(context.Background(), r); !unauthorized(err) {
		t.Fatalf("webhook-id with svix-timestamp/svix-signature: err = %v, want 401", err)
	}
	// Both families complete: the webhook-* one is used.
	r = request(msgID, ts, vector, payload)
	r.Header["svix-id"], r.Header["svix-timestamp"], r.Header["svix-signature"] = []string{"x"}, []string{"1"}, []string{"v1,AAAA"}
	rec, err := s.Receive(context.Background(), r)
	if err != nil || rec.Event.ID != msgID || rec.Event.Header.Get("svix-signature") != "" {
		t.Fatalf("both families: %v %+v", err, rec.Event)
	}
}

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
