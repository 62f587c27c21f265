package javascript

import (
	"embed"
	"io/fs"
)

//go:embed types/hookferry.d.ts types/github-webhooks.d.ts types/LICENSE.github-webhooks types/README.md
var declarations embed.FS

// Declarations are the TypeScript declaration files `hookferry types`
// writes: the runtime (hookferry.d.ts) and GitHub's webhook payload types
// (MIT, with their licence beside them).
func Declarations() fs.FS {
	sub, err := fs.Sub(declarations, "types")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
