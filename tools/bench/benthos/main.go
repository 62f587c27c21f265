// Command benthos is the Benthos v4 reference server of tools/bench: the
// stock Benthos CLI (run it with -c CONFIG.yaml) built with only the
// components the bench's "benthos" mode uses: http_server input,
// mapping (bloblang) processor and http_client output.
//
// It is a module of its own, outside go.work, so that neither the main
// module's tests nor CI build Benthos and its dependencies:
//
//	cd tools/bench/benthos && go build -o /tmp/benthos-ref .
//	go run ./tools/bench -bin /tmp/hookferry -benthos /tmp/benthos-ref -modes forward,benthos,interval-js
package main

import (
	"context"

	_ "github.com/redpanda-data/benthos/v4/public/components/io"   // http_server, http_client
	_ "github.com/redpanda-data/benthos/v4/public/components/pure" // mapping, brokers, the rest of the base
	"github.com/redpanda-data/benthos/v4/public/service"
)

func main() {
	service.RunCLI(context.Background())
}
