package configs_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updatePayloads = flag.Bool("update-payloads", false, "rewrite testdata/payloads from the ready scripts' fixtures")

// payloads are the request bodies the *.test.hcl files send that are not
// corpus files as they stand: each is the body of one fixture of the ready
// scripts (scripts/testdata/<script>/<case>.json), with that fixture's `set`
// applied, so the config tests and the script tests share one origin and
// the fixture's comment says where it comes from and what was changed.
var payloads = map[string]string{
	"github/push.json":                       "github_to_slack/push.json",
	"github/pull_request_merged.json":        "github_to_slack/pull_request_merged.json",
	"github/pull_request_opened_markup.json": "github_to_slack/pull_request_opened_markup.json",
	"github/release_published.json":          "github_to_slack/release_published.json",
	"github/workflow_run_failed.json":        "github_to_slack/workflow_run_failed.json",
	"gitlab/merge_request_merged.json":       "gitlab_to_slack/merge_request_merged.json",
	"gitlab/pipeline_failed.json":            "gitlab_to_slack/pipeline_failed.json",
	"stripe/payment_succeeded.json":          "stripe_to_slack/payment_succeeded.json",
	"stripe/payment_failed.json":             "stripe_to_slack/payment_failed.json",
	"stripe/dispute_created.json":            "stripe_to_slack/dispute_created.json",
	"stripe/subscription_created.json":       "stripe_to_slack/subscription_created.json",
	"stripe/subscription_cancelled.json":     "stripe_to_slack/subscription_cancelled.json",
	"shopify/order_created.json":             "shopify_to_slack/order_created.json",
	"shopify/order_cancelled.json":           "shopify_to_slack/order_cancelled.json",
	"alertmanager/firing_grouped.json":       "alertmanager_to_slack/firing_grouped.json",
	"alertmanager/resolved.json":             "alertmanager_to_slack/resolved.json",
	"alertmanager/mixed_truncated.json":      "alertmanager_to_slack/mixed_truncated.json",
}

// TestPayloadsAreTheScriptFixtures holds testdata/payloads to the fixtures
// they come from: a fixture changed without its payload (or a payload
// edited by hand) fails here. `go test ./configs -update-payloads` writes
// them again.
func TestPayloadsAreTheScriptFixtures(t *testing.T) {
	names := make([]string, 0, len(payloads))
	for n := range payloads {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		fixture := filepath.Join("..", "scripts", "testdata", payloads[name])
		want, err := fixtureBody(fixture)
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		path := filepath.Join("testdata", "payloads", name)
		if *updatePayloads {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./configs -update-payloads writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not the body of %s (go test ./configs -update-payloads rewrites it)", path, fixture)
		}
	}
}

// fixtureBody is a fixture's body (inline or from its body_file) with its
// `set` paths applied in sorted order, as scripts/scripts_test.go reads it,
// indented for reading. Numbers stay exact (ids above 2^53).
func fixtureBody(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Body     json.RawMessage            `json:"body"`
		BodyFile string                     `json:"body_file"`
		Set      map[string]json.RawMessage `json:"set"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	body := []byte(f.Body)
	if f.BodyFile != "" {
		if body, err = os.ReadFile(filepath.Join(filepath.Dir(path), f.BodyFile)); err != nil {
			return nil, err
		}
	}
	v, err := decodeExact(body)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(f.Set))
	for k := range f.Set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val, err := decodeExact(f.Set[k])
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
		if err := setPath(v, strings.Split(k, "."), val); err != nil {
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeExact(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func setPath(v any, path []string, val any) error {
	for i, p := range path {
		last := i == len(path)-1
		switch x := v.(type) {
		case map[string]any:
			if last {
				x[p] = val
				return nil
			}
			if x[p] == nil {
				x[p] = map[string]any{}
			}
			v = x[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(x) {
				return fmt.Errorf("no element %q", p)
			}
			if last {
				x[n] = val
				return nil
			}
			v = x[n]
		default:
			return fmt.Errorf("%q is not inside an object or array", p)
		}
	}
	return nil
}
