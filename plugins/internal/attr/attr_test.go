package attr

import (
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func TestChecks(t *testing.T) {
	var diags sdk.Diagnostics
	if u := HTTPURL("url", "https://h.test/p?token=s3cret", &diags); u == nil || len(diags) != 0 {
		t.Fatal(u, diags)
	}
	for _, bad := range []string{"ftp://h/", "/relative", "https:///", "::"} {
		diags = nil
		if HTTPURL("url", bad+"s3cret", &diags) != nil || len(diags) != 1 || diags[0].Attribute != "url" || strings.Contains(diags[0].Detail, "s3cret") {
			t.Errorf("%q: %v", bad, diags)
		}
	}
	diags = nil
	if d := Duration("timeout", "1500ms", &diags); d != 1500*time.Millisecond || len(diags) != 0 {
		t.Fatal(d, diags)
	}
	for _, bad := range []string{"", "soon", "-1s", "0s"} {
		diags = nil
		if Duration("timeout", bad, &diags) != 0 || len(diags) != 1 {
			t.Errorf("%q: %v", bad, diags)
		}
	}
}
