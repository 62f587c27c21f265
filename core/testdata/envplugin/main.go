// Command envplugin is a test-only plugin whose "env" transform returns the
// environment variable names the plugin process sees, so a test can check
// that the host's environment (where secrets live) is not passed on.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
	"github.com/hookferry/hookferry/sdk/schema"
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
	err := plugin.Serve(plugin.ServeOpts{Name: "env", Version: "test", Components: []sdk.Definition{
		sdk.DefineTransform("env", "returns the environment variable names it sees", schema.Block{},
			func(context.Context, sdk.Config) (envTransform, error) { return envTransform{}, nil }),
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
