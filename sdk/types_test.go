package sdk

import (
	"testing"
	"time"
)

func TestMessageObject(t *testing.T) {
	tests := []struct {
		ct, body string
		want     string // the "text" field, or "" for an object without it
		err      bool
	}{
		{ContentTypeText, "plain", "plain", false},
		{ContentTypeJSON, `"json string"`, "json string", false},
		{ContentTypeJSON, `{"text":"obj","blocks":[]}`, "obj", false},
		{ContentTypeJSON, `[1,2]`, "", true},
		{ContentTypeJSON, `42`, "", true},
		{ContentTypeJSON, `{broken`, "", true},
	}
	for _, tt := range tests {
		m := Message{Body: []byte(tt.body), ContentType: tt.ct}
		obj, err := m.Object("text")
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v", tt.body, err)
			continue
		}
		if !tt.err && obj["text"] != tt.want {
			t.Errorf("%s: text = %v", tt.body, obj["text"])
		}
	}
}

func TestClassifyResponse(t *testing.T) {
	now := time.Unix(1000, 0)
	for code, want := range map[int]Outcome{200: Success, 204: Success, 302: Fail, 400: Fail, 404: Fail, 408: Retry, 425: Retry, 429: Retry, 500: Retry, 503: Retry} {
		if v := ClassifyResponse(&Response{StatusCode: code, Header: Header{}}, now); v.Outcome != want {
			t.Errorf("%d: %v, want %v", code, v.Outcome, want)
		}
	}
	v := ClassifyResponse(&Response{StatusCode: 503, Header: Header{"retry-after": {"7"}}}, now)
	if v.RetryAfter != 7*time.Second {
		t.Fatalf("Retry-After: %s", v.RetryAfter)
	}
}
