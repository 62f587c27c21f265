// Command envplugin is a test-only plugin whose "env" transform returns the
// environment variable names the plugin process sees, so a test can check
// that the host's environment (where secrets live) is not passed on.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
)

type envTransform struct{}

func (envTransform) Transform(_ context.Context, m sdk.Message) ([]sdk.Message, error) {
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	b, _ := json.Marshal(names)
	return []sdk.Message{{Event: m.Event, Body: b, ContentType: sdk.ContentTypeJSON}}, nil
}

func (envTransform) Close(context.Context) error { return nil }

func main() {
	plugin.Serve(plugin.ServeOpts{Name: "env", Version: "test", Components: []sdk.Definition{{
		Kind: sdk.KindTransform, Name: "env", Description: "returns the environment variable names it sees",
		New: func(context.Context, sdk.Config) (sdk.Component, error) { return envTransform{}, nil },
	}}})
}
