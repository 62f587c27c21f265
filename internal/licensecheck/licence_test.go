package licensecheck

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/internal/corpus"
)

// apache2SHA256 is the SHA-256 of the Apache License 2.0 text as published at
// https://www.apache.org/licenses/LICENSE-2.0.txt (also Debian's
// /usr/share/common-licenses/Apache-2.0).
const apache2SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

// root is the repository root: the parent of testdata/corpus's parent.
func root(t *testing.T) string {
	t.Helper()
	return filepath.Dir(filepath.Dir(corpus.Dir(t)))
}

func TestRepositoryLicenceIsTheApache2Text(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if got := corpus.IdentifyLicence(string(b)); got != "Apache-2.0" {
		t.Fatalf("LICENSE is %q, want Apache-2.0", got)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != apache2SHA256 {
		t.Errorf("LICENSE differs from the published Apache-2.0 text (sha256 %x); copy it unchanged", sum)
	}
}

// noticeEntry is one third-party folder that NOTICE declares.
type noticeEntry struct {
	path    string // folder, relative to the root, with a trailing slash
	licence string // SPDX id after "licence:"
}

// readNotice parses NOTICE: an entry is a line that is a folder path
// (ending in "/", no leading space) followed by indented lines, one of
// which is "licence: <SPDX id> (...)".
func readNotice(t *testing.T) []noticeEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), "NOTICE"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []noticeEntry
	licenceLine := regexp.MustCompile(`^\s+licence: (\S+)`)
	sc := bufio.NewScanner(f)
	in := false // inside an entry's indented lines
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasSuffix(line, "/") && !strings.HasPrefix(line, " ") && !strings.Contains(line, " "):
			out = append(out, noticeEntry{path: line})
			in = true
		case !strings.HasPrefix(line, " "):
			in = false
		case in && licenceLine.MatchString(line):
			out[len(out)-1].licence = licenceLine.FindStringSubmatch(line)[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoticeNamesEveryCorpusFolderWithItsLicence(t *testing.T) {
	entries := map[string]string{}
	for _, e := range readNotice(t) {
		entries[e.path] = e.licence
	}
	for _, up := range corpus.Upstreams(t) {
		p := "testdata/corpus/" + up.Folder + "/"
		got, ok := entries[p]
		switch {
		case !ok:
			t.Errorf("NOTICE does not name %s (licence %s)", p, up.Licence)
		case got != up.Licence:
			t.Errorf("NOTICE says %s is %q; its LICENSE is %s", p, got, up.Licence)
		}
	}
	for p, lic := range entries {
		if lic == "" {
			t.Errorf("NOTICE names %s without a licence: line", p)
		}
		if _, err := os.Stat(filepath.Join(root(t), filepath.FromSlash(p))); err != nil {
			t.Errorf("NOTICE names %s, which does not exist", p)
		}
	}
}

// TestNoCorpusDataOutsideDeclaredFolders looks for third-party bytes that
// left testdata/corpus: every file of the repository (fuzz entries decoded)
// is searched for the long lines of the corpus's JSON files, and each file
// that holds one must lie in a folder that NOTICE declares.
func TestNoCorpusDataOutsideDeclaredFolders(t *testing.T) {
	rootDir := root(t)
	fingerprints := corpusLines(t)
	if len(fingerprints) < 1000 {
		t.Fatalf("only %d fingerprint lines from the corpus; the scan would prove nothing", len(fingerprints))
	}
	var declared []string
	for _, e := range readNotice(t) {
		declared = append(declared, e.path)
	}
	var undeclared []string
	found := 0
	err := filepath.WalkDir(rootDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootDir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == "testdata/corpus", rel == ".git", d.Name() == "node_modules",
				rel == "data", rel == "plugins.d":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !scanned(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) > 4<<20 {
			return nil
		}
		if !holdsCorpusLine(decodeFuzz(b), fingerprints) {
			return nil
		}
		found++
		for _, d := range declared {
			if strings.HasPrefix(rel, d) {
				return nil
			}
		}
		undeclared = append(undeclared, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(undeclared)
	for _, f := range undeclared {
		t.Errorf("%s holds corpus data but lies in no folder that NOTICE declares; keep corpus data in testdata/corpus, or declare the folder and its licence in NOTICE", f)
	}
	t.Logf("%d files outside testdata/corpus hold corpus data", found)
}

func TestTheScanFindsCorpusDataInAFuzzEntry(t *testing.T) {
	fingerprints := corpusLines(t)
	body := corpus.Read(t, corpus.GitHubPush)
	entry := "go test fuzz v1\n[]byte(" + strconv.Quote(string(body)) + ")\n"
	if !holdsCorpusLine(decodeFuzz([]byte(entry)), fingerprints) {
		t.Fatal("a fuzz entry holding a corpus payload was not recognised")
	}
	if holdsCorpusLine(decodeFuzz([]byte("go test fuzz v1\n[]byte(\"{\\\"a\\\":1}\")\n")), fingerprints) {
		t.Fatal("a small hand-written fuzz entry was taken for corpus data")
	}
}

// scanned reports whether a file may hold copied data: text sources and
// docs, and anything under a testdata folder (fuzz entries have no
// extension).
func scanned(rel string) bool {
	if strings.Contains("/"+rel, "/testdata/") {
		return true
	}
	switch filepath.Ext(rel) {
	case ".go", ".json", ".js", ".ts", ".hcl", ".md", ".golden", ".txt", ".yaml", ".yml", ".html":
		return true
	}
	return false
}

// minLine is the shortest corpus line used as a fingerprint: long enough
// that only a copy holds it (URLs, ids, text), not `"type": "User",`.
const minLine = 60

// corpusLines is the set of long trimmed lines of the corpus's JSON files.
func corpusLines(t *testing.T) map[string]bool {
	t.Helper()
	dir := corpus.Dir(t)
	set := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for line := range bytes.Lines(b) {
			if l := strings.TrimSpace(string(line)); len(l) >= minLine {
				set[l] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func holdsCorpusLine(b []byte, set map[string]bool) bool {
	for line := range bytes.Lines(b) {
		if l := strings.TrimSpace(string(line)); len(l) >= minLine && set[l] {
			return true
		}
	}
	return false
}

// decodeFuzz turns a Go fuzz corpus entry ("go test fuzz v1" then one
// quoted value per line) into its raw values, so JSON inside a quoted
// []byte is seen line by line. Anything else is returned as it is.
func decodeFuzz(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
		return b
	}
	var out []byte
	for line := range bytes.Lines(b[len("go test fuzz v1\n"):]) {
		s := strings.TrimSpace(string(line))
		open := strings.IndexByte(s, '(')
		if open < 0 || !strings.HasSuffix(s, ")") {
			continue
		}
		v, err := strconv.Unquote(s[open+1 : len(s)-1])
		if err != nil {
			continue
		}
		out = append(out, v...)
		out = append(out, '\n')
	}
	return out
}
