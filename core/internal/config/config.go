package config

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/sdk"
)

// Lookup finds component definitions by kind and type name.
type Lookup interface {
	Lookup(kind sdk.Kind, name string) (sdk.Definition, bool)
	Names(kind sdk.Kind) []string
}

// Options are what Load needs from its caller.
type Options struct {
	// Components resolves component types; required.
	Components Lookup
	// LookupEnv backs the env() function (os.LookupEnv in the binary). nil
	// means an empty environment. Parsed.Load uses the one given to Parse.
	LookupEnv func(string) (string, bool)
	// CheckEgress classifies the address of a sink URL under the egress
	// policy, so validate reports a destination that every attempt would
	// be refused; nil checks nothing.
	CheckEgress EgressCheck
}

// Config is a loaded, checked configuration.
type Config struct {
	Server    Server
	Queue     Queue
	Egress    Egress
	Admin     Admin
	Telemetry Telemetry
	Plugins   []PluginDecl
	Pipelines []*Pipeline
	// Files holds every file read, for rendering diagnostics with
	// snippets (config files, and scripts named by a diagnostic).
	Files map[string]*hcl.File
	// secrets are the lines that hold a secret: never shown in a
	// diagnostic's snippet.
	secrets secretLines
}
