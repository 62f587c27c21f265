package schema

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// CheckStruct reports every place where the block and the struct v (or a
// pointer to it) disagree, so that a schema and the struct a component
// decodes its configuration into cannot drift apart:
//
//   - an attribute or nested block with no field of that name: the user's
//     value would be silently dropped;
//   - a field whose name the schema does not declare: it could never be
//     set;
//   - a field whose Go type cannot hold the attribute's type.
//
// Names are matched the way encoding/json matches them (the json tag name,
// or the field name when untagged; "-" and unexported fields are skipped;
// embedded structs are flattened). A field whose type decodes itself
// (json.Unmarshaler, such as sdk.Secret) is accepted for string
// attributes, and any type is accepted for an attribute of type Any.
func (b Block) CheckStruct(v any) error {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return fmt.Errorf("schema: configuration must decode into a struct, not %v", reflect.TypeOf(v))
	}
	key := checkKey{block: b.Doc(), typ: t}
	if err, ok := checked.Load(key); ok {
		return errOrNil(err)
	}
	var problems []string
	b.check(t, "", &problems)
	var err error
	if len(problems) > 0 {
		err = fmt.Errorf("schema and config struct %v disagree: %s", t, strings.Join(problems, "; "))
	}
	checked.Store(key, err)
	return err
}

type checkKey struct {
	block string
	typ   reflect.Type
}

// checked memoises CheckStruct: a component is built once per config
// block, with the same struct every time.
var checked sync.Map

func errOrNil(v any) error {
	if v == nil {
		return nil
	}
	err, _ := v.(error)
	return err
}

func (b Block) check(t reflect.Type, prefix string, problems *[]string) {
	fields := jsonFields(t)
	for _, a := range b.Attributes {
		f, ok := fields[a.Name]
		if !ok {
			*problems = append(*problems, fmt.Sprintf("attribute %q has no field", prefix+a.Name))
			continue
		}
		delete(fields, a.Name)
		if !holds(f.Type, a.Type) {
			*problems = append(*problems, fmt.Sprintf("field %s (%v) cannot hold attribute %q of type %s", f.Name, f.Type, prefix+a.Name, a.Type))
		}
	}
	for _, nb := range b.Blocks {
		f, ok := fields[nb.Name]
		if !ok {
			*problems = append(*problems, fmt.Sprintf("block %q has no field", prefix+nb.Name))
			continue
		}
		delete(fields, nb.Name)
		ft := f.Type
		if nb.Nesting == NestingList {
			if ft.Kind() != reflect.Slice {
				*problems = append(*problems, fmt.Sprintf("field %s (%v) cannot hold the list of %q blocks", f.Name, ft, prefix+nb.Name))
				continue
			}
			ft = ft.Elem()
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct {
			*problems = append(*problems, fmt.Sprintf("field %s (%v) cannot hold block %q", f.Name, f.Type, prefix+nb.Name))
			continue
		}
		nb.Block.check(ft, prefix+nb.Name+".", problems)
	}
	for name, f := range fields {
		*problems = append(*problems, fmt.Sprintf("field %s (json %q) is not in the schema", f.Name, prefix+name))
	}
}

// jsonFields lists the fields encoding/json would decode into, by name.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for n, ef := range jsonFields(ft) {
				if _, shadowed := out[n]; !shadowed {
					out[n] = ef
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessage      = reflect.TypeFor[json.RawMessage]()
)

// holds reports whether a Go value of type gt can receive a value of the
// schema type st through encoding/json.
func holds(gt reflect.Type, st Type) bool {
	for gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	if st.kind == KindAny || gt.Kind() == reflect.Interface || gt == rawMessage {
		return true
	}
	decodesItself := reflect.PointerTo(gt).Implements(jsonUnmarshaler) || reflect.PointerTo(gt).Implements(textUnmarshaler)
	switch st.kind {
	case KindString:
		return gt.Kind() == reflect.String || decodesItself
	case KindNumber:
		switch gt.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			return true
		}
		return decodesItself
	case KindBool:
		return gt.Kind() == reflect.Bool || decodesItself
	case KindList:
		return (gt.Kind() == reflect.Slice || gt.Kind() == reflect.Array) && holds(gt.Elem(), st.Elem()) || decodesItself
	case KindMap:
		return gt.Kind() == reflect.Map && gt.Key().Kind() == reflect.String && holds(gt.Elem(), st.Elem()) || decodesItself
	}
	return false
}
