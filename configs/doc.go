// Package configs holds example pipeline configurations (the .hcl files
// beside this one), an offline test file for each (*.test.hcl, with golden
// files and request bodies under testdata/), and the tests that validate
// every configuration and run every test file. It has no code of its own.
package configs
