package catalog

import (
	"os"
	"time"

	"github.com/hookferry/hookferry/core/internal/pluginhost"
)

// stamp identifies the binary a plugin was started from: a rebuilt or
// replaced binary has another size or modification time. (A pinned
// sha256 is part of the spec, so changing it is a changed block.)
type stamp struct {
	size    int64
	modTime time.Time
	ok      bool
}

func stampOf(spec pluginhost.Spec) stamp {
	if spec.Reattach != nil || spec.Path == "" {
		return stamp{}
	}
	st, err := os.Stat(spec.Path)
	if err != nil {
		return stamp{}
	}
	return stamp{size: st.Size(), modTime: st.ModTime(), ok: true}
}

// reusable finds, in the running catalog c (nil on a first load), a plugin
// started from the same block (name, path, sha256) and the same binary,
// still running: a reload keeps it rather than starting it again. A
// reattached plugin (started by hand) is reused by name.
func (c *Catalog) reusable(spec pluginhost.Spec, st stamp) (*pluginhost.Plugin, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.plugins {
		old := p.Spec()
		if old.Name != spec.Name || old.Path != spec.Path || old.SHA256 != spec.SHA256 || (old.Reattach == nil) != (spec.Reattach == nil) {
			continue
		}
		if p.Exited() {
			continue
		}
		if spec.Reattach == nil && (!st.ok || c.stamps[p] != st) {
			continue
		}
		return p, true
	}
	return nil, false
}

// Reused lists the plugins this catalog took over from the previous one.
func (c *Catalog) Reused() []*pluginhost.Plugin {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*pluginhost.Plugin
	for _, p := range c.plugins {
		if c.borrowed[p] {
			out = append(out, p)
		}
	}
	return out
}

// TakeOver makes the plugins this catalog reused from prev its own, once
// it replaced prev (a reload succeeded): closing prev then leaves them
// running. Before TakeOver, closing this catalog leaves them to prev.
func (c *Catalog) TakeOver(prev *Catalog) {
	c.mu.Lock()
	mine := c.borrowed
	c.borrowed = map[*pluginhost.Plugin]bool{}
	c.prev = nil
	c.mu.Unlock()
	prev.mu.Lock()
	defer prev.mu.Unlock()
	kept := prev.plugins[:0:0]
	for _, p := range prev.plugins {
		if !mine[p] {
			kept = append(kept, p)
		}
	}
	prev.plugins = kept
}
