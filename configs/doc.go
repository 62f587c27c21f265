// Package configs holds example pipeline configurations (the .hcl files
// beside this one) and the test that validates every one of them. It has
// no code of its own.
package configs
