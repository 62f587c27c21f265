package core_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/core/internal/glob"
	"github.com/hookferry/hookferry/plugins/all"
	"github.com/hookferry/hookferry/plugins/sources/github"
	"github.com/hookferry/hookferry/plugins/sources/gitlab"
	"github.com/hookferry/hookferry/plugins/sources/slack"
	"github.com/hookferry/hookferry/plugins/sources/stripe"
)

// TestValidateWarnsOnAnEventPatternThatMatchesNoKnownType: validate warns
// (at the pattern's line, without failing) about an events pattern that
// matches no event type the source knows, and says nothing about the
// patterns that do match some.
func TestValidateWarnsOnAnEventPatternThatMatchesNoKnownType(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.hcl")
	if err := os.WriteFile(p, []byte(`pipeline "gh" {
  source "github" {
    path    = "/gh"
    secrets = ["s"]
    events = [
      "push",
      "pull_request.opened",
      "pul_request.*",
      "*",
    ]
  }
  sink "log" "out" {}
}
pipeline "st" {
  source "stripe" {
    path    = "/st"
    secrets = ["whsec_x"]
    events  = ["invoice.paid", "customer.subscription.*"]
  }
  sink "log" "out" {}
}
pipeline "sh" {
  source "shopify" {
    path    = "/sh"
    secrets = ["s"]
    events = [
      "orders*",
      "order/create",
    ]
  }
  sink "log" "out" {}
}
pipeline "plain" {
  source "http" {
    path                  = "/h"
    allow_unauthenticated = true
    events                = ["anything.at.all"]
  }
  sink "log" "out" {}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := core.Validate(context.Background(), core.Options{ConfigPath: p, Components: all.Definitions(all.Options{})})
	if err != nil {
		t.Fatalf("a pattern that matches no known type must not fail validate: %v", err)
	}
	var got []string
	for _, d := range s.Warnings {
		if d.Severity == hcl.DiagWarning && d.Summary == "Event pattern matches no known event type" {
			got = append(got, fmt.Sprintf("%d", d.Subject.Start.Line))
			if !strings.Contains(d.Detail, "nearest known type") {
				t.Errorf("detail %q", d.Detail)
			}
		}
	}
	if want := []string{"8", "28"}; !slices.Equal(got, want) {
		t.Fatalf("warnings at lines %v, want %v (pul_request.* and order/create)", got, want)
	}
}

// TestKnownEventTypesCoverTheCorpus: every event type the sources name for
// the real payloads of the corpus is covered by their EventTypes, so
// validate never warns about a type providers really send.
func TestKnownEventTypesCoverTheCorpus(t *testing.T) {
	sets := map[string]struct {
		known []string
		got   []delivery
	}{
		"github": {github.EventTypes(), githubDeliveries(t)},
		"slack":  {slack.EventTypes(), slackDeliveries(t)},
		"gitlab": {gitlab.EventTypes(), gitlabDeliveries(t)},
		// The corpus's one real Stripe event (the others are resources
		// wrapped here in made-up envelopes).
		"stripe": {stripe.EventTypes(), []delivery{{want: "plan.created"}}},
	}
	for name, set := range sets {
		for _, d := range set.got {
			if !slices.ContainsFunc(set.known, func(k string) bool { return glob.Match(k, d.want) }) {
				t.Errorf("%s: type %q (%s) is not among the known event types", name, d.want, filepath.Base(d.file))
			}
		}
	}
}
