package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// SensitiveMark marks values that came from the environment or a file:
// they are usually secrets and are never printed.
const SensitiveMark = "sensitive"

// maxFileFunc bounds what file() reads: a config is not a place for blobs.
const maxFileFunc = 1 << 20

// evalContext is the context for expressions in one config file: file()
// resolves paths against that file's folder.
func evalContext(dir string, lookupEnv func(string) (string, bool)) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{
			"env":          envFunc(lookupEnv),
			"file":         fileFunc(dir),
			"upper":        stdlib.UpperFunc,
			"lower":        stdlib.LowerFunc,
			"title":        stdlib.TitleFunc,
			"trimspace":    stdlib.TrimSpaceFunc,
			"trim":         stdlib.TrimFunc,
			"trimprefix":   stdlib.TrimPrefixFunc,
			"trimsuffix":   stdlib.TrimSuffixFunc,
			"chomp":        stdlib.ChompFunc,
			"replace":      stdlib.ReplaceFunc,
			"regex":        stdlib.RegexFunc,
			"split":        stdlib.SplitFunc,
			"join":         stdlib.JoinFunc,
			"format":       stdlib.FormatFunc,
			"substr":       stdlib.SubstrFunc,
			"strlen":       stdlib.StrlenFunc,
			"concat":       stdlib.ConcatFunc,
			"coalesce":     stdlib.CoalesceFunc,
			"length":       stdlib.LengthFunc,
			"contains":     stdlib.ContainsFunc,
			"keys":         stdlib.KeysFunc,
			"values":       stdlib.ValuesFunc,
			"lookup":       stdlib.LookupFunc,
			"merge":        stdlib.MergeFunc,
			"min":          stdlib.MinFunc,
			"max":          stdlib.MaxFunc,
			"jsonencode":   stdlib.JSONEncodeFunc,
			"jsondecode":   stdlib.JSONDecodeFunc,
			"formatdate":   stdlib.FormatDateFunc,
			"parseint":     stdlib.ParseIntFunc,
			"range":        stdlib.RangeFunc,
			"distinct":     stdlib.DistinctFunc,
			"flatten":      stdlib.FlattenFunc,
			"regexreplace": stdlib.RegexReplaceFunc,
		},
	}
}

// envFunc is env(NAME) or env(NAME, DEFAULT). An unset variable without a
// default is an error, so a missing secret is caught by validate rather
// than becoming an empty string that opens a door.
func envFunc(lookup func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, fmt.Errorf("env takes a name and at most one default")
			}
			name := args[0].AsString()
			if lookup != nil {
				if v, ok := lookup(name); ok {
					return cty.StringVal(v).Mark(SensitiveMark), nil
				}
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %s is not set; set it in the environment hookferry runs in (a default, env(%q, \"...\"), suits only a value that is not a secret)", name, name)
		},
	})
}

// fileFunc is file(PATH), relative to the config file's folder.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Reads a file, relative to the config file that calls it.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			st, err := os.Stat(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("cannot read %s: %w", p, err)
			}
			if st.Size() > maxFileFunc {
				return cty.NilVal, fmt.Errorf("%s is %d bytes; file() reads at most %d", p, st.Size(), maxFileFunc)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("cannot read %s: %w", p, err)
			}
			return cty.StringVal(string(b)).Mark(SensitiveMark), nil
		},
	})
}
