package verify

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func TestSecrets(t *testing.T) {
	if _, d := Secrets("secrets", nil); len(d) != 1 || d[0].Attribute != "secrets" {
		t.Fatalf("empty list: %v", d)
	}
	if _, d := Secrets("x.secrets", []sdk.Secret{sdk.NewSecret("a"), sdk.NewSecret("")}); len(d) != 1 || !strings.Contains(d[0].Detail, "x.secrets[1]") {
		t.Fatalf("empty entry: %v", d)
	}
	keys, d := Secrets("s", []sdk.Secret{sdk.NewSecret("a"), sdk.NewSecret("b")})
	if len(d) != 0 || len(keys) != 2 {
		t.Fatal(keys, d)
	}
}

func TestWindowBothDirections(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tol := 300 * time.Second
	for _, tt := range []struct {
		offset time.Duration
		ok     bool
	}{
		{0, true}, {-300 * time.Second, true}, {300 * time.Second, true},
		{-301 * time.Second, false}, {301 * time.Second, false}, {-time.Hour, false}, {time.Hour, false},
	} {
		if err := Window(now, now.Add(tt.offset), tol); (err == nil) != tt.ok {
			t.Errorf("offset %s: err=%v", tt.offset, err)
		}
	}
}

func TestAnyMatchTriesEveryKeyAndCandidate(t *testing.T) {
	body := []byte("b")
	mac := func(k []byte) []byte { return HMAC(sha256.New, k, body) }
	good := mac([]byte("k2"))
	bad := mac([]byte("nope"))
	if !AnyMatch([][]byte{[]byte("k1"), []byte("k2")}, mac, [][]byte{bad, good}) {
		t.Fatal("second key, second candidate not found")
	}
	if AnyMatch([][]byte{[]byte("k1")}, mac, [][]byte{bad, good}) {
		t.Fatal("matched without the key")
	}
	if AnyMatch(nil, mac, [][]byte{good}) || AnyMatch([][]byte{[]byte("k2")}, mac, nil) {
		t.Fatal("empty side matched")
	}
}

func TestTokenMatch(t *testing.T) {
	s := [][]byte{[]byte("alpha"), []byte("beta")}
	for tok, want := range map[string]bool{"alpha": true, "beta": true, "alph": false, "alphaa": false, "": false, "ALPHA": false} {
		if TokenMatch(s, tok) != want {
			t.Errorf("%q: want %v", tok, want)
		}
	}
}

func TestFields(t *testing.T) {
	f := Fields([]byte(`{"type":"a","event":{"type":"b","n":1},"id":5}`), []string{"type"}, []string{"event", "type"}, []string{"id"}, []string{"event", "n"}, []string{"missing"})
	if strings.Join(f, ",") != "a,b,,," {
		t.Fatalf("%q", f)
	}
	if f := Fields([]byte("not json"), []string{"type"}); f[0] != "" {
		t.Fatal(f)
	}
}

// TestToleranceHasAMaximum: 87600h was accepted; a tolerance above
// MaxTolerance is a configuration error naming the attribute.
func TestToleranceHasAMaximum(t *testing.T) {
	if d, err := time.ParseDuration(maxToleranceText); err != nil || d != MaxTolerance {
		t.Fatalf("maxToleranceText %q is not MaxTolerance %s", maxToleranceText, MaxTolerance)
	}
	for v, ok := range map[string]bool{"5m": true, "300s": true, "1h": true, "61m": false, "87600h": false, "0s": false, "-5m": false, "soon": false} {
		d, diags := Tolerance("tolerance", v)
		if ok != (len(diags) == 0) {
			t.Errorf("%s: diags %v", v, diags)
		}
		if !ok && (d != 0 || diags[0].Attribute != "tolerance") {
			t.Errorf("%s: %s, %v", v, d, diags)
		}
	}
}
