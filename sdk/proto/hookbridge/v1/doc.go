// Package hookbridgev1 is the generated code of the plugin protocol,
// version 1 (hookbridge.proto beside this file). Regenerate it with
// tools/proto/gen.sh; never edit the .pb.go files by hand. Plugin authors
// use sdk/plugin, not this package.
package hookbridgev1
