package all

import (
	"io"

	"github.com/hookbridge/hookbridge/plugins/discord"
	"github.com/hookbridge/hookbridge/plugins/github"
	"github.com/hookbridge/hookbridge/plugins/githubsink"
	"github.com/hookbridge/hookbridge/plugins/gitlab"
	"github.com/hookbridge/hookbridge/plugins/http"
	"github.com/hookbridge/hookbridge/plugins/javascript"
	logsink "github.com/hookbridge/hookbridge/plugins/log"
	"github.com/hookbridge/hookbridge/plugins/shopify"
	"github.com/hookbridge/hookbridge/plugins/slack"
	"github.com/hookbridge/hookbridge/plugins/slacksink"
	"github.com/hookbridge/hookbridge/plugins/standardwebhooks"
	"github.com/hookbridge/hookbridge/plugins/stripe"
	"github.com/hookbridge/hookbridge/sdk"
)

// Options are what built-ins need from the host.
type Options struct {
	// Stdout receives the log sink's lines.
	Stdout io.Writer
}

// Definitions returns the built-in components.
func Definitions(opts Options) []sdk.Definition {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	return []sdk.Definition{
		http.SourceDefinition(),
		github.Definition(),
		stripe.Definition(),
		slack.Definition(),
		gitlab.Definition(),
		shopify.Definition(),
		standardwebhooks.Definition(),
		javascript.Definition(),
		http.SinkDefinition(),
		slacksink.Definition(),
		discord.Definition(),
		githubsink.Definition(),
		logsink.Definition(opts.Stdout),
	}
}
