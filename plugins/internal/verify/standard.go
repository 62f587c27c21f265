package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DecodeWhsec turns a Standard Webhooks secret, "whsec_BASE64" (or bare
// BASE64), into the HMAC key. Unlike Stripe, the key is the decoded bytes.
func DecodeWhsec(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("not whsec_ followed by standard base64")
	}
	if len(b) < 16 {
		return nil, fmt.Errorf("the key is %d bytes; Standard Webhooks keys are 24 to 64 bytes", len(b))
	}
	return b, nil
}

// StandardMAC is the Standard Webhooks signature content: HMAC-SHA256 of
// "ID.TIMESTAMP.BODY", with the timestamp as the text that is sent.
func StandardMAC(key []byte, id, ts string, body []byte) []byte {
	return HMAC(sha256.New, key, []byte(id), []byte("."), []byte(ts), []byte("."), body)
}

// StandardSignature is the webhook-signature header value for one key.
func StandardSignature(key []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(StandardMAC(key, id, strconv.FormatInt(ts, 10), body))
}

// ParseStandardSignatures reads a webhook-signature header, "v1,BASE64
// v1,BASE64 ..."; other versions are ignored, so a sender can add a future
// scheme beside v1.
func ParseStandardSignatures(v string) ([][]byte, error) {
	if strings.TrimSpace(v) == "" {
		return nil, ErrMissing
	}
	var out [][]byte
	for _, f := range strings.Fields(v) {
		ver, sig, ok := strings.Cut(f, ",")
		if !ok || ver != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no valid v1 signature", ErrMalformed)
	}
	return out, nil
}

// CheckStandard verifies a Standard Webhooks signature: id and timestamp
// present, one v1 signature matching under one key, and the timestamp
// within tolerance of now. Every key and signature is tried.
func CheckStandard(keys [][]byte, id, ts, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if id == "" || ts == "" {
		return fmt.Errorf("%w: webhook-id and webhook-timestamp are required", ErrMissing)
	}
	sigs, err := ParseStandardSignatures(signature)
	if err != nil {
		return err
	}
	at, err := UnixSeconds(ts)
	if err != nil {
		return err
	}
	if !AnyMatch(keys, func(k []byte) []byte { return StandardMAC(k, id, ts, body) }, sigs) {
		return ErrMismatch
	}
	return Window(now, at, tolerance)
}
