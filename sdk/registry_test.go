package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

type testSource struct{ token string }

func (s *testSource) Receive(context.Context, *sdk.Request) (sdk.Receipt, error) {
	return sdk.Receipt{}, nil
}
func (s *testSource) Close(context.Context) error { return nil }

var tokenSchema = schema.Block{Attributes: []schema.Attribute{{Name: "token", Type: schema.String, Required: true}}}

// TestDefineSourceTakesATypedConstructor: a constructor returning the
// component's own type declares a source with no wrapping closure, and a
// failing constructor's typed nil does not become a non-nil component.
func TestDefineSourceTakesATypedConstructor(t *testing.T) {
	newSource := func(_ context.Context, cfg sdk.Config) (*testSource, error) {
		var c struct {
			Token string `json:"token"`
		}
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		if c.Token == "" {
			return nil, sdk.AttributeError("token", "Empty token", "")
		}
		return &testSource{token: c.Token}, nil
	}
	def := sdk.DefineSource("test", "a test source", tokenSchema, newSource)
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	if def.Kind != sdk.KindSource || def.Name != "test" {
		t.Fatalf("definition %s %q", def.Kind, def.Name)
	}
	c, err := def.Build(context.Background(), sdk.Config{Values: []byte(`{"token":"x"}`)})
	if err != nil || c.(*testSource).token != "x" {
		t.Fatalf("Build: %v, %v", c, err)
	}
	c, err = def.Build(context.Background(), sdk.Config{Values: []byte(`{"token":""}`)})
	var ds sdk.Diagnostics
	if c != nil || !errors.As(err, &ds) {
		t.Fatalf("failed build returned %#v, %v", c, err)
	}
}

// TestBuildRefusesAConstructorThatReturnsTheWrongKind: New set by hand
// must still return the declared kind.
func TestBuildRefusesAConstructorThatReturnsTheWrongKind(t *testing.T) {
	def := sdk.Definition{Kind: sdk.KindSink, Name: "s", New: func(context.Context, sdk.Config) (sdk.Component, error) { return &testSource{}, nil }}
	if _, err := def.Build(context.Background(), sdk.Config{}); err == nil || !strings.Contains(err.Error(), "not a sink") {
		t.Fatalf("err = %v", err)
	}
	def.New = func(context.Context, sdk.Config) (sdk.Component, error) { return nil, nil }
	if _, err := def.Build(context.Background(), sdk.Config{}); err == nil {
		t.Fatal("a nil component without an error was accepted")
	}
}

// TestDecodeRefusesAStructThatDriftedFromTheSchema: a component built
// through Build decodes only into a struct naming the schema's attributes.
func TestDecodeRefusesAStructThatDriftedFromTheSchema(t *testing.T) {
	drifted := sdk.DefineSource("drift", "", tokenSchema, func(_ context.Context, cfg sdk.Config) (*testSource, error) {
		var c struct {
			Token string `json:"api_token"` // renamed here, not in the schema
		}
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		return &testSource{token: c.Token}, nil
	})
	_, err := drifted.Build(context.Background(), sdk.Config{Values: []byte(`{"token":"x"}`)})
	if err == nil || !strings.Contains(err.Error(), `attribute "token" has no field`) || !strings.Contains(err.Error(), `"api_token") is not in the schema`) {
		t.Fatalf("err = %v", err)
	}
}

type fullSink struct{}

func (fullSink) Render(context.Context, sdk.Message) (*sdk.Outbound, error) { return nil, nil }
func (fullSink) Interpret(context.Context, *sdk.Outbound, *sdk.Response) sdk.Verdict {
	return sdk.Verdict{}
}
func (fullSink) Deliver(context.Context, sdk.Message) error { return nil }
func (fullSink) DefaultRateLimit() float64                  { return 2 }
func (fullSink) Close(context.Context) error                { return nil }

type reportingSink struct {
	fullSink
	caps sdk.Capabilities
}

func (r reportingSink) Capabilities() sdk.Capabilities { return r.caps }

// TestAsFollowsReportedCapabilities: a component that reports its
// capabilities as data is taken at its word, whatever methods its Go type
// has; one that does not is asked by type assertion.
func TestAsFollowsReportedCapabilities(t *testing.T) {
	if _, ok := sdk.As[sdk.Deliverer](fullSink{}); !ok {
		t.Fatal("a plain component's Deliver is not seen")
	}
	rs := reportingSink{caps: sdk.Capabilities{Interpreter: true}}
	if _, ok := sdk.As[sdk.Interpreter](rs); !ok {
		t.Error("reported interpreter not seen")
	}
	if _, ok := sdk.As[sdk.Deliverer](rs); ok {
		t.Error("an unreported Deliver is used")
	}
	if _, ok := sdk.As[sdk.Pacer](rs); ok {
		t.Error("an unreported rate limit is used")
	}
	if got := sdk.CapabilitiesOf(fullSink{}); !got.Deliverer || !got.Interpreter || got.DefaultRateLimit != 2 {
		t.Errorf("CapabilitiesOf = %+v", got)
	}
}

func TestClassifyErrorHonoursRetryAfter(t *testing.T) {
	err := sdk.RetryAfter(errors.New("token exchange: 429"), 30*time.Second)
	if v := sdk.ClassifyError(errors.Join(errors.New("render"), err)); v.Outcome != sdk.Retry || v.RetryAfter != 30*time.Second {
		t.Fatalf("verdict %+v", v)
	}
	if v := sdk.ClassifyError(sdk.Permanent(errors.New("no"))); v.Outcome != sdk.Fail {
		t.Fatalf("permanent: %+v", v)
	}
	if d, _ := sdk.RetryAfterOf(sdk.RetryAfter(errors.New("x"), 48*time.Hour)); d != sdk.MaxRetryAfter {
		t.Fatalf("not capped: %v", d)
	}
}
