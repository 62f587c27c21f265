// Package schema describes the configuration a component accepts:
// attributes (type, required, default, sensitive, description) and nested
// blocks.
//
// It deliberately knows nothing about HCL: the host decodes a component's
// HCL block against a Block and hands the component plain JSON-compatible
// values. Components therefore never see HCL, and the same schema can travel
// over the plugin wire.
package schema
