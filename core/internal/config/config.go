package config

import (
	"time"

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
	// means an empty environment.
	LookupEnv func(string) (string, bool)
}

// Defaults of the server block.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultMaxBodySize     = 5 << 20
	DefaultMaxHeaderSize   = 16 << 10
	DefaultReadTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultIdleTimeout     = 60 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultMaxConcurrency  = 1024
	DefaultSinkConcurrency = 4
)

// Queue backends and sync modes.
const (
	BackendJetStream = "jetstream"
	BackendMemory    = "memory"
	SyncInterval     = "interval"
	SyncAlways       = "always"
)

// Defaults of the queue block.
const (
	DefaultDedupWindow = 24 * time.Hour
	DefaultRetention   = 7 * 24 * time.Hour
	DefaultAckWait     = 30 * time.Second
)

// Defaults of the breaker block.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// Defaults of the retry block.
const (
	DefaultMaxAttempts  = 5
	DefaultRetryInitial = 200 * time.Millisecond
	DefaultRetryMax     = 10 * time.Second
)

// Config is a loaded, checked configuration.
type Config struct {
	Server    Server
	Queue     Queue
	Egress    Egress
	Pipelines []*Pipeline
	// Files holds every file read, for rendering diagnostics with
	// snippets (config files, and scripts named by a diagnostic).
	Files map[string]*hcl.File
}

// Server is the ingress listener's settings.
type Server struct {
	Listen          string
	MaxBodySize     int
	MaxHeaderSize   int
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	MaxConcurrency  int
	// AdminListen is the admin API's address; empty disables it.
	AdminListen string
}

// Egress limits where sinks may send. Cloud metadata addresses are always
// refused.
type Egress struct {
	DenyPrivate bool
}

// Queue is where accepted events are kept.
type Queue struct {
	Backend     string // jetstream or memory
	URL         string // external NATS; empty runs it embedded
	Sync        string // interval or always
	DedupWindow time.Duration
	Retention   time.Duration
	MaxStore    int // bytes; 0: no limit but the disk
	AckWait     time.Duration
	// GroupCommit stores events arriving together as one atomic batch;
	// on by default with sync "always" only.
	GroupCommit    bool
	groupCommitSet *bool
}

// Breaker is a sink's circuit breaker; Failures 0 disables it.
type Breaker struct {
	Failures int
	Cooldown time.Duration
}

// Pipeline is one source, its transforms and its sinks.
type Pipeline struct {
	Name       string
	Source     *Source
	Transforms []*Component
	Sinks      []*Sink
	DefRange   hcl.Range
}

// Component is one decoded component block.
type Component struct {
	Kind      sdk.Kind
	Type      string
	Def       sdk.Definition
	Config    sdk.Config
	DefRange  hcl.Range
	TypeRange hcl.Range
	body      hcl.Body
}

// Source is the pipeline's source block: the component plus the
// host-level path it is mounted on.
type Source struct {
	Component
	Path      string
	PathRange hcl.Range
	// Events lists the event-type patterns to accept (package glob: `*`
	// any run of characters, `/` included, `?` one character: "push",
	// "pull_request.*", "orders/*"); empty accepts all.
	Events   []string
	pipeline string
}

// Retry is a sink's retry policy.
type Retry struct {
	MaxAttempts int
	Initial     time.Duration
	Max         time.Duration
}

// Sink is a named sink block: the component plus its own transforms and
// the host-level delivery settings.
type Sink struct {
	Component
	Name        string
	Transforms  []*Component
	Retry       Retry
	Concurrency int
	// RateLimit is requests per second; 0 means none.
	RateLimit float64
	Ordered   bool
	Breaker   Breaker
}
