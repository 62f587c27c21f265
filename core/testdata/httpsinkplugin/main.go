// Command httpsinkplugin serves the built-in http sink as a plugin
// binary, so a benchmark can compare the same sink in-process and across
// the plugin boundary. Test-only.
package main

import (
	"fmt"
	"os"

	"github.com/hookferry/hookferry/plugins/sinks/http"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
)

func main() {
	if err := plugin.Serve(plugin.ServeOpts{Name: "httpsink", Version: "bench", Components: []sdk.Definition{http.Definition()}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
