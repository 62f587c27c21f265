// Package licensecheck holds only tests: that the repository is under the
// Apache License 2.0 (LICENSE), that NOTICE names every third-party folder
// with the licence its LICENSE file holds, and that no file outside those
// folders carries third-party corpus data that NOTICE does not declare.
// It imports internal/corpus and nothing else of ours.
package licensecheck
