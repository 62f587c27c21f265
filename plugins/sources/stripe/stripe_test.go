package stripe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

const (
	secret  = "whsec_zGTKp7Yd5DdV2Nf8sDGfT8sVKZsnw0Zk"
	body    = `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"invoice.paid"}`
	ts      = 1700000000
	vector  = "30f51d5703b75f507d70c5aef6f5bdf863638c18a3b68758571113e10beca086" // computed with Python's hmac
	otherV1 = "0000000000000000000000000000000000000000000000000000000000000000"
)

func newSource(t *testing.T, now time.Time, secrets ...string) *Source {
	t.Helper()
	q := make([]string, len(secrets))
	for i, s := range secrets {
		q[i] = `"` + s + `"`
	}
	s, err := New(context.Background(), sdk.Config{Values: []byte(`{"tolerance":"300s","secrets":[` + strings.Join(q, ",") + `]}`)})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	return s
}

func sign(secret string, t int64, b string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s", t, b)
	return hex.EncodeToString(m.Sum(nil))
}

func request(header, b string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{"stripe-signature": {header}}, Body: []byte(b)}
}

func unauthorized(err error) bool {
	var r *sdk.RejectError
	return errors.As(err, &r) && r.Status == 401
}

func TestVector(t *testing.T) {
	if got := sign(secret, ts, body); got != vector {
		t.Fatalf("test helper disagrees with the Python vector: %s", got)
	}
	rec, err := newSource(t, time.Unix(ts, 0), secret).Receive(context.Background(),
		request(fmt.Sprintf("t=%d,v1=%s,v0=%s", ts, vector, otherV1), body))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Event.ID != "evt_1NG8Du2eZvKYlo2CUI79vXWy" || rec.Event.Type != "invoice.paid" || rec.Event.Header.Get("stripe-signature") != "" {
		t.Fatalf("event %+v", rec.Event)
	}
}

// TestKeyedByWholeWhsecString: Stripe does not base64-decode its secret
// (Standard Webhooks does); a signature made with the decoded key fails.
func TestKeyedByWholeWhsecString(t *testing.T) {
	s := newSource(t, time.Unix(ts, 0), secret)
	withoutPrefix := sign(strings.TrimPrefix(secret, "whsec_"), ts, body)
	if _, err := s.Receive(context.Background(), request(fmt.Sprintf("t=%d,v1=%s", ts, withoutPrefix), body)); !unauthorized(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestSeveralV1AndRotation(t *testing.T) {
	s := newSource(t, time.Unix(ts, 0), "whsec_old", secret)
	h := fmt.Sprintf("t=%d,v1=%s,v1=%s", ts, otherV1, vector)
	if _, err := s.Receive(context.Background(), request(h, body)); err != nil {
		t.Fatalf("second v1 not tried: %v", err)
	}
	h = fmt.Sprintf("t=%d,v1=%s", ts, sign("whsec_old", ts, body))
	if _, err := s.Receive(context.Background(), request(h, body)); err != nil {
		t.Fatalf("old secret during rotation: %v", err)
	}
}

func TestTimestampWindowEdges(t *testing.T) {
	for _, tt := range []struct {
		offset int64
		ok     bool
	}{{0, true}, {300, true}, {-300, true}, {301, false}, {-301, false}} {
		// The sender signed at ts; we are offset seconds later (negative:
		// the timestamp is in our future).
		s := newSource(t, time.Unix(ts+tt.offset, 0), secret)
		_, err := s.Receive(context.Background(), request(fmt.Sprintf("t=%d,v1=%s", ts, vector), body))
		if (err == nil) != tt.ok {
			t.Errorf("now = t%+ds: err = %v", tt.offset, err)
		}
	}
}

func TestBitFlips(t *testing.T) {
	s := newSource(t, time.Unix(ts, 0), secret)
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 1; return string(b) }
	for name, r := range map[string]*sdk.Request{
		"body":        request(fmt.Sprintf("t=%d,v1=%s", ts, vector), flip(body, 10)),
		"signature":   request(fmt.Sprintf("t=%d,v1=%s", ts, flip(vector, 0)), body),
		"timestamp":   request(fmt.Sprintf("t=%d,v1=%s", ts+1, vector), body),
		"secret":      request(fmt.Sprintf("t=%d,v1=%s", ts, sign(flip(secret, 8), ts, body)), body),
		"only v0":     request(fmt.Sprintf("t=%d,v0=%s", ts, vector), body),
		"no t":        request("v1="+vector, body),
		"empty":       request("", body),
		"garbage":     request("hello", body),
		"t not a num": request("t=abc,v1="+vector, body),
	} {
		if _, err := s.Receive(context.Background(), r); !unauthorized(err) {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{"", "t=1,v1=" + vector, "t=1,t=2,v1=" + vector, "t=,v1=", "v1=" + vector + ",t=5", ",,,", "t=1,v1=zz,v1=" + vector} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sig, err := ParseSignature(v)
		if err != nil {
			return
		}
		if sig.Timestamp == "" || len(sig.V1) == 0 {
			t.Fatalf("%q accepted without timestamp or v1: %+v", v, sig)
		}
		for _, s := range sig.V1 {
			if len(s) != sha256.Size {
				t.Fatalf("%q: v1 of %d bytes", v, len(s))
			}
		}
	})
}
