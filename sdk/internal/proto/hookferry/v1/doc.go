// Package hookferryv1 is the generated code of the plugin protocol,
// version 1 (hookferry.proto beside this file). Regenerate it with
// tools/proto/gen.sh; never edit the .pb.go files by hand. It sits under sdk/internal so
// plugin authors cannot import it: they use sdk/plugin.
package hookferryv1
