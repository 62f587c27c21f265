package javascript

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/hookferry/hookferry/sdk"
)

// esTarget is the language level goja runs: newer syntax (optional
// chaining, nullish coalescing, class fields) is lowered by esbuild.
const esTarget = api.ES2017

var exportLine = regexp.MustCompile(`(?m)^export\b`)

// isTypeScript reports whether a script file is TypeScript.
func isTypeScript(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ts", ".mts", ".cts":
		return true
	}
	return false
}

// compileTypeScript strips types and lowers syntax with esbuild's Go API
// (no Node needed), once at load. The result carries an inline source map,
// which goja's parser reads, so runtime exceptions name the .ts file, line
// and column. Type errors are not checked (esbuild does not type-check;
// run tsc in an editor or CI with the declarations `hookferry types`
// writes); syntax errors are diagnostics at the .ts line.
func compileTypeScript(path, src string) (string, error) {
	res := api.Transform(src, api.TransformOptions{
		Loader:         api.LoaderTS,
		Target:         esTarget,
		Sourcefile:     path,
		Sourcemap:      api.SourceMapInline,
		SourcesContent: api.SourcesContentExclude,
		Charset:        api.CharsetUTF8,
		LogLevel:       api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		var ds sdk.Diagnostics
		for _, m := range res.Errors {
			d := sdk.Diagnostic{Summary: "TypeScript error", Detail: m.Text, Attribute: "file"}
			if m.Location != nil {
				d.File, d.Line, d.Column = path, m.Location.Line, m.Location.Column+1
			}
			ds = append(ds, d)
		}
		return "", ds
	}
	out := string(res.Code)
	if exportLine.MatchString(out) {
		return "", sdk.Diagnostics{{Summary: "TypeScript module syntax", Detail: fmt.Sprintf("%s exports names; a transform is a script: declare function transform(event) at the top level, without export.", filepath.Base(path)), Attribute: "file", File: path, Line: 1, Column: 1}}
	}
	return out, nil
}
