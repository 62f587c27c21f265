package plugin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
	"github.com/hookferry/hookferry/sdk/sdktest"
)

type bigTransform struct{}

func (bigTransform) Transform(_ context.Context, m sdk.Message) ([]sdk.Message, error) {
	return []sdk.Message{{Event: m.Event, Body: make([]byte, plugin.MaxMessageSize+1<<20), ContentType: sdk.ContentTypeText}}, nil
}
func (bigTransform) Close(context.Context) error { return nil }

// TestOversizedReplyIsACleanError: a reply over the message limit fails at
// once, permanently, saying why; it does not hang.
func TestOversizedReplyIsACleanError(t *testing.T) {
	def := sdk.Definition{Kind: sdk.KindTransform, Name: "big", Description: "returns too much",
		New: func(context.Context, sdk.Config) (sdk.Component, error) { return bigTransform{}, nil }}
	client := sdktest.Serve(t, def)
	desc, err := client.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := desc.Components[0].Build(context.Background(), sdk.Config{Values: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = c.(sdk.Transform).Transform(ctx, sdk.Message{Event: &sdk.Event{ID: "e"}, Body: []byte("x")})
	if err == nil || !sdk.IsPermanent(err) || !strings.Contains(err.Error(), "over the 64 MiB limit") {
		t.Fatalf("err = %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the call hung for %s", time.Since(start))
	}
}
