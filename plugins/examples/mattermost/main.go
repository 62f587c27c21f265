package main

import (
	"fmt"
	"os"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	err := plugin.Serve(plugin.ServeOpts{
		Name:       "mattermost",
		Version:    version,
		Components: []sdk.Definition{Definition()},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
