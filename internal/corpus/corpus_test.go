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
// from one upstream repository and must carry that repository's licence,
// one that Upstreams recognises (MIT or Apache-2.0). internal/licensecheck
// checks that NOTICE names each of them.
func TestEveryUpstreamHasItsLicence(t *testing.T) {
	ups := Upstreams(t)
	if len(ups) < 5 {
		t.Fatalf("found %d licensed upstream folders, want the 5 the corpus README lists: %v", len(ups), ups)
	}
}

func TestIdentifyLicenceTellsMITFromApacheFromOthers(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"octokit-webhooks/LICENSE", "MIT"},
		{"stripe-openapi/LICENSE", "MIT"},
		{"go-gitlab-webhooks/LICENSE", "Apache-2.0"},
	}
	for _, tt := range tests {
		if got := IdentifyLicence(string(Read(t, tt.file))); got != tt.want {
			t.Errorf("%s: IdentifyLicence = %q, want %q", tt.file, got, tt.want)
		}
	}
	for _, text := range []string{
		"",
		"All rights reserved.",
		"GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007",
		"Apache License Version 2.0, January 2004", // a title without the grant
	} {
		if got := IdentifyLicence(text); got != "" {
			t.Errorf("IdentifyLicence(%q) = %q, want none", text, got)
		}
	}
}
