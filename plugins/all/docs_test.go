package all_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/hookferry/hookferry/plugins/all"
)

var update = flag.Bool("update", false, "rewrite docs/components.md")

const docPath = "../../docs/components.md"

// TestComponentDocsUpToDate: docs/components.md is generated from the
// schemas the built-ins declare, so the reference cannot drift from the
// code. Run `go test ./plugins/all -update` after changing a schema.
func TestComponentDocsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("# Built-in components\n\n")
	buf.WriteString("Generated from the schemas the components declare (`go test ./plugins/all -update`); do not edit by hand.\n")
	buf.WriteString("Every sink block also takes `concurrency`, `retry { }` and `transform` blocks: see [configuration.md](configuration.md).\n")
	for _, d := range all.Definitions(all.Options{}) {
		if d.Description == "" {
			t.Errorf("%s %q has no description", d.Kind, d.Name)
		}
		fmt.Fprintf(&buf, "\n## %s `%s`\n\n%s\n\n", d.Kind, d.Name, d.Description)
		if len(d.Schema.Attributes)+len(d.Schema.Blocks) == 0 {
			buf.WriteString("No attributes.\n")
			continue
		}
		buf.WriteString(d.Schema.Doc())
	}
	if *update {
		if err := os.WriteFile(docPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s is out of date; run: go test ./plugins/all -update", docPath)
	}
}
