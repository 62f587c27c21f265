package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
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
