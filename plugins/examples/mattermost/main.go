// Command hookbridge-plugin-mattermost is a complete third-party hookbridge
// plugin: a "mattermost" sink that posts messages to a Mattermost incoming
// webhook. It imports only github.com/hookbridge/hookbridge/sdk (and its
// sub-packages), exactly as a plugin in its own repository would.
//
//	go build -o hookbridge-plugin-mattermost ./plugins/examples/mattermost
package main

import (
	"github.com/hookbridge/hookbridge/sdk"
	"github.com/hookbridge/hookbridge/sdk/plugin"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	plugin.Serve(plugin.ServeOpts{
		Name:       "mattermost",
		Version:    version,
		Components: []sdk.Definition{Definition()},
	})
}
