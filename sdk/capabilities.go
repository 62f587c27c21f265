package sdk

// Capabilities are a component's optional abilities as data: what it can
// do beyond its kind's interface. For a component in this process they
// follow from its Go type (the optional interfaces it implements); a
// component backed by a plugin process has one Go type per kind, which
// implements every optional method, and reports through
// CapabilityReporter what the plugin's component really has. The plugin
// protocol carries them in the same shape.
type Capabilities struct {
	// Methods: a source's accepted HTTP methods (MethodLister); empty
	// means POST only.
	Methods []string
	// Interpreter: a sink reads the destination's answers itself.
	Interpreter bool
	// Deliverer: a sink does its own I/O; Render is not called.
	Deliverer bool
	// DefaultRateLimit: a sink's documented requests per second (Pacer);
	// zero means none.
	DefaultRateLimit float64
}

// CapabilityReporter is implemented by components whose Go type has more
// methods than the component has abilities (the host's plugin-backed
// components). Component authors never need it: implement the optional
// interfaces and the SDK reports them.
type CapabilityReporter interface {
	Capabilities() Capabilities
}

// CapabilitiesOf reports c's optional abilities.
func CapabilitiesOf(c Component) Capabilities {
	if r, ok := c.(CapabilityReporter); ok {
		return r.Capabilities()
	}
	var caps Capabilities
	if ml, ok := c.(MethodLister); ok {
		caps.Methods = ml.Methods()
	}
	_, caps.Interpreter = c.(Interpreter)
	_, caps.Deliverer = c.(Deliverer)
	if p, ok := c.(Pacer); ok {
		caps.DefaultRateLimit = p.DefaultRateLimit()
	}
	return caps
}

// As returns c as the optional capability T (MethodLister, Interpreter,
// Deliverer or Pacer) when c has it. Hosts use As rather than a type
// assertion, which cannot tell what a plugin-backed component really
// implements:
//
//	if in, ok := sdk.As[sdk.Interpreter](sink); ok { v = in.Interpret(ctx, out, resp) }
func As[T any](c Component) (T, bool) {
	t, ok := c.(T)
	if !ok {
		return t, false
	}
	r, reports := c.(CapabilityReporter)
	if !reports {
		return t, true
	}
	caps := r.Capabilities()
	var has bool
	switch any(&t).(type) {
	case *MethodLister:
		has = len(caps.Methods) > 0
	case *Interpreter:
		has = caps.Interpreter
	case *Deliverer:
		has = caps.Deliverer
	case *Pacer:
		has = caps.DefaultRateLimit > 0
	default:
		has = true // not an optional capability: the type assertion decides
	}
	if !has {
		var zero T
		return zero, false
	}
	return t, true
}
