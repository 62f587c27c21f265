package config

import (
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// PluginDecl is a plugin block: a binary to run, optionally pinned.
type PluginDecl struct {
	Name     string
	Path     string // resolved against the config file's folder
	SHA256   string
	DefRange hcl.Range
}

type rawPlugin struct {
	Path   hcl.Expression `hcl:"path"`
	SHA256 hcl.Expression `hcl:"sha256,optional"`
}

// Plugins decodes only the plugin blocks: their components must be known
// before component blocks are decoded. It decodes them once; Load reuses
// the result.
func (p *Parsed) Plugins() ([]PluginDecl, hcl.Diagnostics) {
	if p.pluginsDone {
		return p.plugins, p.pluginDiags
	}
	p.pluginsDone = true
	seen := map[string]hcl.Range{}
	p.blocks(blockPlugin, func(pf *parsedFile, b *hcl.Block) {
		name := b.Labels[0]
		if prev, dup := seen[name]; dup {
			p.pluginDiags = append(p.pluginDiags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate plugin", Detail: fmt.Sprintf("Plugin %q is already declared at %s.", name, prev), Subject: b.DefRange.Ptr()})
			return
		}
		seen[name] = b.DefRange
		var rp rawPlugin
		diags := gohcl.DecodeBody(b.Body, nil, &rp)
		decl := PluginDecl{Name: name, DefRange: b.DefRange}
		evalString(rp.Path, pf.ectx, &decl.Path, &diags)
		evalString(rp.SHA256, pf.ectx, &decl.SHA256, &diags)
		if decl.Path != "" && !filepath.IsAbs(decl.Path) {
			decl.Path = filepath.Join(filepath.Dir(pf.name), decl.Path)
		}
		p.pluginDiags = append(p.pluginDiags, diags...)
		p.plugins = append(p.plugins, decl)
	})
	return p.plugins, p.pluginDiags
}

// Plugins reads and decodes only the plugin blocks of the config at path
// (for listing plugins without loading the pipelines).
func Plugins(path string, lookupEnv func(string) (string, bool)) ([]PluginDecl, *Config, hcl.Diagnostics) {
	p, diags := Parse(path, lookupEnv)
	cfg := &Config{Files: p.files}
	if diags.HasErrors() {
		return nil, cfg, diags
	}
	decls, d := p.Plugins()
	return decls, cfg, append(diags, d...)
}
