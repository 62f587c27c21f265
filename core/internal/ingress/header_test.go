package ingress

import (
	"slices"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestRequestHeaderLowerCasesNamesAndKeepsRepeatedValuesInOrder(t *testing.T) {
	var h fasthttp.RequestHeader
	h.Set("X-GitHub-Event", "push")
	h.Add("X-Multi", "one")
	h.Add("x-multi", "two")
	h.Set("Content-Type", "application/json")
	got := requestHeader(&h)
	if v := got["x-github-event"]; !slices.Equal(v, []string{"push"}) {
		t.Errorf("x-github-event = %q", v)
	}
	if v := got["x-multi"]; !slices.Equal(v, []string{"one", "two"}) {
		t.Errorf("x-multi = %q, want both values in order", v)
	}
	if v := got["content-type"]; !slices.Equal(v, []string{"application/json"}) {
		t.Errorf("content-type = %q", v)
	}
	// A value added later must not overwrite its neighbour's storage.
	got["x-github-event"] = append(got["x-github-event"], "extra")
	if v := got["x-multi"]; !slices.Equal(v, []string{"one", "two"}) {
		t.Errorf("appending to one field changed another: x-multi = %q", v)
	}
}
