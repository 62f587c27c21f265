package sdk

import (
	"context"
	"fmt"
	"reflect"

	"github.com/hookferry/hookferry/sdk/schema"
)

// Kind is the kind of a component.
type Kind int

// Component kinds.
const (
	KindSource Kind = iota + 1
	KindTransform
	KindSink
)

func (k Kind) String() string {
	switch k {
	case KindSource:
		return "source"
	case KindTransform:
		return "transform"
	case KindSink:
		return "sink"
	}
	return "unknown"
}

// Definition declares a component type: its kind, name, config schema and
// constructor. Built-ins are listed explicitly in plugins/all; plugin
// binaries hand theirs to the SDK's Serve. There is no global registry.
//
// Write one with DefineSource, DefineTransform or DefineSink, which take a
// constructor returning your own type:
//
//	func Definition() sdk.Definition {
//		return sdk.DefineSink("mattermost", "Posts to Mattermost.", schema.Block{...}, New)
//	}
//
//	func New(ctx context.Context, cfg sdk.Config) (*Sink, error)
type Definition struct {
	Kind        Kind
	Name        string // the type label in HCL: source "NAME" { }
	Description string
	Schema      schema.Block
	// New builds one instance; its result implements Source, Transform or
	// Sink according to Kind. The Define functions fill it from a typed
	// constructor; set it directly only when the kind is known at run
	// time (the host's plugin client does). Config problems should be
	// reported as Diagnostics naming the attribute at fault.
	New func(ctx context.Context, cfg Config) (Component, error)
	// EventTypes (sources only, optional) are patterns (`*` any run of
	// characters, `?` one) that together cover every event type the
	// source can name: "push", "pull_request.*", "orders/*". The host
	// warns about an `events` pattern that matches none of them. Empty
	// means the source does not say, and nothing is checked. Built-in
	// sources fill it; it is not carried over the plugin wire.
	EventTypes []string
}

// DefineSource declares a source type built by newSource.
func DefineSource[S Source](name, description string, config schema.Block, newSource func(context.Context, Config) (S, error)) Definition {
	return define(KindSource, name, description, config, newSource)
}

// DefineTransform declares a transform type built by newTransform.
func DefineTransform[T Transform](name, description string, config schema.Block, newTransform func(context.Context, Config) (T, error)) Definition {
	return define(KindTransform, name, description, config, newTransform)
}

// DefineSink declares a sink type built by newSink.
func DefineSink[S Sink](name, description string, config schema.Block, newSink func(context.Context, Config) (S, error)) Definition {
	return define(KindSink, name, description, config, newSink)
}

func define[C Component](kind Kind, name, description string, config schema.Block, build func(context.Context, Config) (C, error)) Definition {
	d := Definition{Kind: kind, Name: name, Description: description, Schema: config}
	if build != nil {
		d.New = func(ctx context.Context, cfg Config) (Component, error) {
			c, err := build(ctx, cfg)
			if err != nil {
				return nil, err // not c: a typed nil pointer is not a nil Component
			}
			return c, nil
		}
	}
	return d
}

// Validate checks the definition itself (a programming error, not a user
// error).
func (d Definition) Validate() error {
	if d.Kind < KindSource || d.Kind > KindSink {
		return fmt.Errorf("component %q: invalid kind %d", d.Name, d.Kind)
	}
	if d.Name == "" {
		return fmt.Errorf("%s component with empty name", d.Kind)
	}
	if d.New == nil {
		return fmt.Errorf("%s %q: nil constructor", d.Kind, d.Name)
	}
	if err := d.Schema.Validate(); err != nil {
		return fmt.Errorf("%s %q: %w", d.Kind, d.Name, err)
	}
	return nil
}

// Build calls New and checks that the result is of the declared kind.
// While New runs, cfg.Decode checks the struct it decodes into against
// d.Schema (see schema.Block.CheckStruct), so a schema and its struct
// cannot drift apart unnoticed.
func (d Definition) Build(ctx context.Context, cfg Config) (Component, error) {
	sch := d.Schema
	cfg.schema = &sch
	c, err := d.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if c == nil || (reflect.ValueOf(c).Kind() == reflect.Pointer && reflect.ValueOf(c).IsNil()) {
		return nil, fmt.Errorf("%s %q: constructor returned no component and no error", d.Kind, d.Name)
	}
	var ok bool
	switch d.Kind {
	case KindSource:
		_, ok = c.(Source)
	case KindTransform:
		_, ok = c.(Transform)
	case KindSink:
		_, ok = c.(Sink)
	}
	if !ok {
		_ = c.Close(ctx)
		return nil, fmt.Errorf("%s %q: constructor returned %T, which is not a %s", d.Kind, d.Name, c, d.Kind)
	}
	return c, nil
}
