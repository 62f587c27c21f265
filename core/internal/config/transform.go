package config

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/sdk"
)

// rawComponent is a transform block: its type label and the body its
// definition's schema decodes. Transforms take no host-level settings.
type rawComponent struct {
	Type      string    `hcl:"type,label"`
	Remain    hcl.Body  `hcl:",remain"`
	DefRange  hcl.Range `hcl:",def_range"`
	TypeRange hcl.Range `hcl:",type_range"`
}

// transform decodes one transform block, of a pipeline or of a sink; name
// tells them apart in logs ("javascript#1", "chat/javascript#2").
func (l *loader) transform(rt *rawComponent, name, pipeline, base string, ectx *hcl.EvalContext) (*Component, hcl.Diagnostics) {
	return l.component(sdk.KindTransform, rt.Type, name, pipeline, base, rt.Remain, rt.DefRange, rt.TypeRange, ectx)
}
