package schema

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Type is the type of an attribute value.
type Type struct {
	kind Kind
	elem *Type
}

// Kind is the shape of a Type.
type Kind int

// The kinds of attribute types.
const (
	KindInvalid Kind = iota
	KindString
	KindNumber
	KindBool
	KindList
	KindMap
	KindAny
)

// Primitive and dynamic types.
var (
	String = Type{kind: KindString}
	Number = Type{kind: KindNumber}
	Bool   = Type{kind: KindBool}
	// Any accepts any value; the component checks it itself.
	Any = Type{kind: KindAny}
)

// List is a list whose elements all have type elem.
func List(elem Type) Type { return Type{kind: KindList, elem: &elem} }

// Map is a map from string keys to values of type elem.
func Map(elem Type) Type { return Type{kind: KindMap, elem: &elem} }

// Kind reports the shape of t.
func (t Type) Kind() Kind { return t.kind }

// Elem is the element type of a list or map; the zero Type otherwise.
func (t Type) Elem() Type {
	if t.elem == nil {
		return Type{}
	}
	return *t.elem
}

// String renders t the way users write types in docs: "list(string)".
func (t Type) String() string {
	switch t.kind {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindAny:
		return "any"
	case KindList:
		return "list(" + t.Elem().String() + ")"
	case KindMap:
		return "map(" + t.Elem().String() + ")"
	}
	return "invalid"
}

// Attribute is one named value in a block.
type Attribute struct {
	Name        string
	Type        Type
	Required    bool
	Description string
	// Sensitive values (tokens, secrets, URLs with credentials) are never
	// printed by the host: not in logs, diagnostics or delivery history.
	Sensitive bool
	// Default is used when the attribute is absent. It must be a plain
	// JSON-compatible Go value of the attribute's type (string, float64 or
	// int, bool, []any, map[string]any). Ignored when Required.
	Default any
}

// Nesting says how many times a nested block may appear.
type Nesting int

// Block nesting modes.
const (
	// NestingSingle: at most one block; decoded as an object (absent: null).
	NestingSingle Nesting = iota
	// NestingList: any number of blocks; decoded as a list of objects.
	NestingList
)

// NestedBlock is a block type allowed inside another block.
type NestedBlock struct {
	Name    string
	Nesting Nesting
	Block   Block
	// Required single blocks must appear exactly once.
	Required bool
}

// Block is the schema of a component's configuration block.
type Block struct {
	Description string
	Attributes  []Attribute
	Blocks      []NestedBlock
}

// Validate reports mistakes in the schema itself (a programming error in a
// component, not a user error).
func (b Block) Validate() error {
	seen := map[string]bool{}
	for _, a := range b.Attributes {
		if a.Name == "" {
			return fmt.Errorf("schema: attribute with empty name")
		}
		if seen[a.Name] {
			return fmt.Errorf("schema: duplicate name %q", a.Name)
		}
		seen[a.Name] = true
		if a.Type.kind == KindInvalid {
			return fmt.Errorf("schema: attribute %q has no type", a.Name)
		}
	}
	for _, nb := range b.Blocks {
		if nb.Name == "" {
			return fmt.Errorf("schema: nested block with empty name")
		}
		if seen[nb.Name] {
			return fmt.Errorf("schema: duplicate name %q", nb.Name)
		}
		seen[nb.Name] = true
		if err := nb.Block.Validate(); err != nil {
			return fmt.Errorf("%s: %w", nb.Name, err)
		}
	}
	return nil
}

// SensitivePaths lists the dotted paths of every sensitive attribute,
// nested blocks included ("signing.secret").
func (b Block) SensitivePaths() []string {
	var out []string
	for _, a := range b.Attributes {
		if a.Sensitive {
			out = append(out, a.Name)
		}
	}
	for _, nb := range b.Blocks {
		for _, p := range nb.Block.SensitivePaths() {
			out = append(out, nb.Name+"."+p)
		}
	}
	return out
}

// Attribute returns the attribute called name.
func (b Block) Attribute(name string) (Attribute, bool) {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Doc renders the block as a Markdown table, for generated docs and
// `hookferry plugins describe`.
func (b Block) Doc() string {
	var sb strings.Builder
	sb.WriteString("| name | type | required | default | description |\n|---|---|---|---|---|\n")
	b.doc(&sb, "")
	return sb.String()
}

func (b Block) doc(sb *strings.Builder, prefix string) {
	for _, a := range b.Attributes {
		def := ""
		if a.Default != nil {
			if j, err := json.Marshal(a.Default); err == nil {
				def = "`" + string(j) + "`"
			}
		}
		desc := a.Description
		if a.Sensitive {
			desc += " (sensitive)"
		}
		fmt.Fprintf(sb, "| `%s%s` | %s | %s | %s | %s |\n", prefix, a.Name, a.Type, yes(a.Required), def, desc)
	}
	for _, nb := range b.Blocks {
		kind := "block"
		if nb.Nesting == NestingList {
			kind = "blocks"
		}
		fmt.Fprintf(sb, "| `%s%s { }` | %s | %s | | %s |\n", prefix, nb.Name, kind, yes(nb.Required), nb.Block.Description)
		nb.Block.doc(sb, prefix+nb.Name+".")
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
