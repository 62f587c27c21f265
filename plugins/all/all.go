package all

import (
	"io"

	"github.com/hookbridge/hookbridge/plugins/http"
	"github.com/hookbridge/hookbridge/plugins/javascript"
	logsink "github.com/hookbridge/hookbridge/plugins/log"
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
		javascript.Definition(),
		http.SinkDefinition(),
		logsink.Definition(opts.Stdout),
	}
}
