package corpus

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifestMatchesFiles pins the corpus bytes: every file the manifest
// names exists with the recorded SHA-256, and every JSON file in the corpus
// is named by the manifest, so nothing enters the corpus unrecorded.
func TestManifestMatchesFiles(t *testing.T) {
	dir := Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("malformed manifest line %q", sc.Text())
		}
		name = filepath.Clean(name)
		listed[name] = true
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, manifest says %s", name, got, sum)
		}
	}
	if len(listed) < 400 {
		t.Fatalf("manifest lists %d files, want the whole corpus (402)", len(listed))
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !listed[rel] {
			t.Errorf("%s is in the corpus but not in MANIFEST.sha256", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryUpstreamHasItsLicence: each top-level folder of the corpus comes
// from one upstream repository and must carry that repository's licence.
func TestEveryUpstreamHasItsLicence(t *testing.T) {
	dir := Dir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "LICENSE"))
		if err != nil {
			t.Errorf("%s has no LICENSE: %v", e.Name(), err)
			continue
		}
		if !strings.Contains(string(b), "Permission is hereby granted") && !strings.Contains(string(b), "Apache License") {
			t.Errorf("%s/LICENSE is neither MIT nor Apache-2.0 text", e.Name())
		}
	}
	if n == 0 {
		t.Fatal("no upstream folders in the corpus")
	}
}
