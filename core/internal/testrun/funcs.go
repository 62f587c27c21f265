package testrun

import (
	"strings"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are what test files and assert conditions may call: the
// config language's string and collection functions, plus the three
// string predicates assertions need most.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"upper":        stdlib.UpperFunc,
		"lower":        stdlib.LowerFunc,
		"trimspace":    stdlib.TrimSpaceFunc,
		"replace":      stdlib.ReplaceFunc,
		"regex":        stdlib.RegexFunc,
		"regexall":     stdlib.RegexAllFunc,
		"split":        stdlib.SplitFunc,
		"join":         stdlib.JoinFunc,
		"format":       stdlib.FormatFunc,
		"substr":       stdlib.SubstrFunc,
		"strlen":       stdlib.StrlenFunc,
		"length":       stdlib.LengthFunc,
		"contains":     stdlib.ContainsFunc,
		"keys":         stdlib.KeysFunc,
		"lookup":       stdlib.LookupFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"can":          tryfunc.CanFunc,
		"try":          tryfunc.TryFunc,
		"startswith":   stringPredicate(strings.HasPrefix),
		"endswith":     stringPredicate(strings.HasSuffix),
		"strcontains":  stringPredicate(strings.Contains),
		"regexreplace": stdlib.RegexReplaceFunc,
	}
}

func stringPredicate(f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}
