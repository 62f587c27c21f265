package javascript

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// pushToChatTS is pushToChat with types: the same mapping, compiled by
// esbuild at load.
const pushToChatTS = `
interface Commit { id: string; message: string; author: { name: string } }
interface Push { ref: string; compare: string; commits: Commit[]; repository: { full_name: string }; pusher: { name: string }; sender: { login: string } }

function transform(event: { body: Push }): object {
  const b: Push = event.body;
  const commits = b.commits.map((c: Commit) => ({ id: c.id.slice(0, 7), message: c.message.split("\n")[0], author: c.author.name }));
  return {
    text: b.pusher.name + " pushed " + b.commits.length + " commit(s) to " + b.repository.full_name + " (" + b.ref + ")",
    repository: b.repository.full_name,
    url: b.compare,
    sender: b.sender.login,
    commits: commits,
  };
}`

func newFromFile(tb testing.TB, name, src string) (*Transform, error) {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return New(context.Background(), sdk.Config{BaseDir: dir, Values: []byte(fmt.Sprintf(`{"file":%q,"pool_size":1}`, name))})
}

// TestTypeScriptTransformRuns: a .ts file is compiled at load (types
// stripped, newer syntax lowered) and maps like the .js it equals.
func TestTypeScriptTransformRuns(t *testing.T) {
	tr, err := newFromFile(t, "m.ts", pushToChatTS)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	msg := pushMessage(t)
	out, err := tr.Transform(context.Background(), msg)
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	want, _ := goMapping(msg.Body)
	assertSameJSON(t, out[0].Body, want)

	opt, err := newFromFile(t, "o.ts", "function transform(e: any) { return { v: e.body.a?.b ?? \"none\" }; }")
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close(context.Background())
	out, err = opt.Transform(context.Background(), sdk.Message{Event: &sdk.Event{ID: "x"}, Body: []byte(`{}`), ContentType: sdk.ContentTypeJSON})
	if err != nil || string(out[0].Body) != `{"v":"none"}` {
		t.Fatalf("optional chaining / nullish: %s %v", out[0].Body, err)
	}
}

// TestTypeScriptSyntaxErrorAtTSLine: a syntax error is a diagnostic at the
// .ts file's own line and column, as validate prints it.
func TestTypeScriptSyntaxErrorAtTSLine(t *testing.T) {
	_, err := newFromFile(t, "bad.ts", "// mapping\nfunction transform(e: any) {\n  const x: = 5;\n  return x;\n}\n")
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		t.Fatalf("want diagnostics, got %v", err)
	}
	d := ds[0]
	if !strings.HasSuffix(d.File, "bad.ts") || d.Line != 3 || d.Column < 10 || d.Attribute != "file" {
		t.Fatalf("diagnostic at %s:%d:%d (%s), want bad.ts:3", d.File, d.Line, d.Column, d.Detail)
	}
}

// TestTypeScriptExceptionAtTSLine: a runtime exception names the .ts line
// through the inline source map, not the compiled JavaScript's.
func TestTypeScriptExceptionAtTSLine(t *testing.T) {
	src := "interface A { b?: { c: string } }\n\n\nfunction transform(e: { body: A }): string {\n  const a: A = e.body;\n  // types say b may be missing; the script forgets\n  return (a.b as any).c.toUpperCase();\n}\n"
	tr, err := newFromFile(t, "x.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	_, err = tr.Transform(context.Background(), sdk.Message{Event: &sdk.Event{ID: "x"}, Body: []byte(`{}`), ContentType: sdk.ContentTypeJSON})
	if err == nil || !strings.Contains(err.Error(), "x.ts:7:") {
		t.Fatalf("want the exception at x.ts:7, got %v", err)
	}
}

// TestTypeScriptExportRefused: a transform is a script; an exported
// function is refused with a clear message instead of a parse error in
// code the user never wrote.
func TestTypeScriptExportRefused(t *testing.T) {
	_, err := newFromFile(t, "e.ts", "export function transform(e: any) { return e.body; }\n")
	if err == nil || !strings.Contains(err.Error(), "without export") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
}

// TestSourceMapURLReadsNoFile: a plain script's sourceMappingURL comment
// cannot make the host read a file.
func TestSourceMapURLReadsNoFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.map")
	if err := os.WriteFile(secret, []byte(`{"version":3,"sources":["leaked-secret-name.js"],"mappings":"AAAA"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := newFromFile(t, "s.js", "function transform(e) { return e.body.x.y; }\n//# sourceMappingURL="+secret)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	_, err = tr.Transform(context.Background(), sdk.Message{Event: &sdk.Event{ID: "x"}, Body: []byte(`{}`), ContentType: sdk.ContentTypeJSON})
	if err == nil || strings.Contains(err.Error(), "leaked-secret-name") {
		t.Fatalf("the source map file was read: %v", err)
	}
}

// BenchmarkTypeScriptVsJavaScript: the .ts mapping costs the same per call
// as the .js one, since it is compiled once at load.
func BenchmarkTypeScriptVsJavaScript(b *testing.B) {
	msg := pushMessage(b)
	for _, c := range []struct{ name, file, src string }{{"js", "m.js", pushToChat}, {"ts", "m.ts", pushToChatTS}} {
		b.Run(c.name, func(b *testing.B) {
			tr, err := newFromFile(b, c.file, c.src)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Transform(context.Background(), msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDeclarationsTypeCheckAScript: the shipped declarations are valid
// TypeScript, and a transform written against them (using GitHub's
// PushEvent through a type-only import) compiles and runs.
func TestDeclarationsTypeCheckAScript(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, Declarations()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"hookferry.d.ts", "github-webhooks.d.ts"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compileTypeScript(f, string(b)); err != nil && !strings.Contains(err.Error(), "without export") {
			t.Fatalf("%s does not parse: %v", f, err)
		}
	}
	src := `import type { PushEvent } from "./github-webhooks";

function transform(event: HookferryEvent<PushEvent>): HookferryResult {
  console.log("push to", event.body.ref);
  return message({ text: event.body.repository.full_name }, { headers: { "x-kind": event.type } });
}
`
	if err := os.WriteFile(filepath.Join(dir, "push.ts"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := New(context.Background(), sdk.Config{BaseDir: dir, Values: []byte(`{"file":"push.ts","pool_size":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	msg := pushMessage(t)
	out, err := tr.Transform(context.Background(), msg)
	if err != nil || len(out) != 1 || !strings.Contains(string(out[0].Body), "Codertocat/Hello-World") || out[0].Header.Get("x-kind") != "push" {
		t.Fatalf("%v %v", out, err)
	}
}
