package configs_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestEveryTestFilePasses runs `hookferry test configs/`: every example
// pipeline's offline cases (signed fixtures from the corpus, the real
// scripts, each sink's rendering) pass, so a script or config change that
// breaks an example fails CI.
func TestEveryTestFilePasses(t *testing.T) {
	rs, ferrs := core.Test(context.Background(), core.TestOptions{
		Paths:      []string{"."},
		Components: all.Definitions(all.Options{Stdout: io.Discard}),
	})
	var report bytes.Buffer
	core.WriteTestText(&report, rs, ferrs, false)
	for _, fe := range ferrs {
		t.Errorf("test file could not run: %v", fe)
	}
	if !core.TestsPassed(rs, ferrs) {
		t.Fatalf("hookferry test configs/ failed:\n%s", report.String())
	}
	t.Logf("\n%s", report.String())
}
