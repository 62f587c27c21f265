package sdk

import (
	"context"
	"fmt"

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
type Definition struct {
	Kind        Kind
	Name        string // the type label in HCL: source "NAME" { }
	Description string
	Schema      schema.Block
	// New builds one instance. Its result must implement Source, Transform
	// or Sink according to Kind. Config problems should be reported as
	// Diagnostics naming the attribute at fault.
	New func(ctx context.Context, cfg Config) (Component, error)
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
func (d Definition) Build(ctx context.Context, cfg Config) (Component, error) {
	c, err := d.New(ctx, cfg)
	if err != nil {
		return nil, err
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
