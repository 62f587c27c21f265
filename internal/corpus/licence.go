package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Upstream is one top-level folder of the corpus: the files copied from
// one upstream repository, with that repository's licence beside them.
type Upstream struct {
	Folder  string // folder name under testdata/corpus
	Licence string // SPDX id of its LICENSE file: "MIT" or "Apache-2.0"
}

// Upstreams lists the corpus folders and identifies each one's licence
// from its LICENSE file. A folder without a LICENSE, or with a licence
// other than MIT or Apache-2.0, fails tb: nothing enters the corpus
// without a licence that lets us carry it.
func Upstreams(tb testing.TB) []Upstream {
	tb.Helper()
	dir := Dir(tb)
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []Upstream
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "LICENSE"))
		if err != nil {
			tb.Errorf("%s has no LICENSE: %v", e.Name(), err)
			continue
		}
		id := IdentifyLicence(string(b))
		if id == "" {
			tb.Errorf("%s/LICENSE is neither MIT nor Apache-2.0 text", e.Name())
			continue
		}
		out = append(out, Upstream{Folder: e.Name(), Licence: id})
	}
	if len(out) == 0 && !tb.Failed() {
		tb.Fatal("no upstream folders in the corpus")
	}
	return out
}

// IdentifyLicence names the licence of a LICENSE text by SPDX id, "MIT" or
// "Apache-2.0", or returns "" for anything else. It recognises each
// licence by its grant, not by its title, which upstreams spell freely.
func IdentifyLicence(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	switch {
	case strings.Contains(t, "Apache License") && strings.Contains(t, "Version 2.0, January 2004") &&
		strings.Contains(t, "Grant of Copyright License"):
		return "Apache-2.0"
	case strings.Contains(t, "Permission is hereby granted, free of charge, to any person obtaining a copy") &&
		strings.Contains(t, "The above copyright notice and this permission notice shall be included"):
		return "MIT"
	}
	return ""
}
