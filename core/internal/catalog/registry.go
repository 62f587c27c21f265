package catalog

import (
	"fmt"
	"sort"

	"github.com/hookferry/hookferry/sdk"
)

type key struct {
	kind sdk.Kind
	name string
}

// Registry maps (kind, type name) to a component definition.
type Registry struct {
	defs map[key]sdk.Definition
}

// NewRegistry builds a registry from defs. A duplicate or invalid definition is an
// error: it is a programming mistake that must fail loudly at start.
func NewRegistry(defs ...sdk.Definition) (*Registry, error) {
	r := &Registry{defs: make(map[key]sdk.Definition, len(defs))}
	for _, d := range defs {
		if err := r.Add(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers one more definition.
func (r *Registry) Add(d sdk.Definition) error {
	if err := d.Validate(); err != nil {
		return err
	}
	k := key{d.Kind, d.Name}
	if _, dup := r.defs[k]; dup {
		return fmt.Errorf("%s %q is defined twice", d.Kind, d.Name)
	}
	r.defs[k] = d
	return nil
}

// Lookup finds the definition of a component type.
func (r *Registry) Lookup(kind sdk.Kind, name string) (sdk.Definition, bool) {
	d, ok := r.defs[key{kind, name}]
	return d, ok
}

// Names lists the type names of one kind, sorted.
func (r *Registry) Names(kind sdk.Kind) []string {
	var out []string
	for k := range r.defs {
		if k.kind == kind {
			out = append(out, k.name)
		}
	}
	sort.Strings(out)
	return out
}

// All lists every definition, sorted by kind then name.
func (r *Registry) All() []sdk.Definition {
	out := make([]sdk.Definition, 0, len(r.defs))
	for _, d := range r.defs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}
