package all

import (
	"io"

	"github.com/hookferry/hookferry/plugins/sinks/discord"
	githubsink "github.com/hookferry/hookferry/plugins/sinks/github"
	httpsink "github.com/hookferry/hookferry/plugins/sinks/http"
	logsink "github.com/hookferry/hookferry/plugins/sinks/log"
	slacksink "github.com/hookferry/hookferry/plugins/sinks/slack"
	"github.com/hookferry/hookferry/plugins/sources/github"
	"github.com/hookferry/hookferry/plugins/sources/gitlab"
	httpsource "github.com/hookferry/hookferry/plugins/sources/http"
	"github.com/hookferry/hookferry/plugins/sources/shopify"
	"github.com/hookferry/hookferry/plugins/sources/slack"
	"github.com/hookferry/hookferry/plugins/sources/standardwebhooks"
	"github.com/hookferry/hookferry/plugins/sources/stripe"
	"github.com/hookferry/hookferry/plugins/transforms/javascript"
	"github.com/hookferry/hookferry/sdk"
)

// Options are what built-ins need from the host.
type Options struct {
	// Stdout receives the log sink's lines.
	Stdout io.Writer
}

// Definitions returns the built-in components: sources, then transforms,
// then sinks.
func Definitions(opts Options) []sdk.Definition {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	return []sdk.Definition{
		httpsource.Definition(),
		github.Definition(),
		stripe.Definition(),
		slack.Definition(),
		gitlab.Definition(),
		shopify.Definition(),
		standardwebhooks.Definition(),
		javascript.Definition(),
		httpsink.Definition(),
		slacksink.Definition(),
		discord.Definition(),
		githubsink.Definition(),
		logsink.Definition(opts.Stdout),
	}
}
