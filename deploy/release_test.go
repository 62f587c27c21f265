package deploy

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildInfoVars are the link-time variables of a release build.
var buildInfoVars = []string{
	"github.com/hookferry/hookferry/internal/buildinfo.version",
	"github.com/hookferry/hookferry/internal/buildinfo.revision",
	"github.com/hookferry/hookferry/internal/buildinfo.buildTime",
}

// dockerInstructions reads a Dockerfile into instructions, continuation
// lines joined and comments dropped.
func dockerInstructions(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dockerBuildLine is the shell command of the Dockerfile's RUN that runs
// go build, without RUN's own --mount options.
func dockerBuildLine(t *testing.T) string {
	t.Helper()
	var found []string
	for _, in := range dockerInstructions(t, "Dockerfile") {
		cmd, ok := strings.CutPrefix(in, "RUN ")
		if !ok || !strings.Contains(cmd, "go build") {
			continue
		}
		cmd = regexp.MustCompile(`--mount=\S+\s+`).ReplaceAllString(cmd, "")
		found = append(found, strings.TrimSpace(cmd))
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile has %d RUN go build lines, want exactly 1: %q", len(found), found)
	}
	return found[0]
}

func TestDockerfileBuildsStaticTrimmedWithBuildInfo(t *testing.T) {
	line := dockerBuildLine(t)
	for _, want := range append([]string{"CGO_ENABLED=0 ", " -trimpath ", "-o /out/hookferry ", "./cmd/hookferry"}, buildInfoVars...) {
		if !strings.Contains(line, want) {
			t.Errorf("the Dockerfile's go build line lacks %q:\n%s", want, line)
		}
	}
}

func TestDockerfileGoVersionIsGoMods(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := "ARG GO_VERSION=" + string(m[1])
	found := false
	for _, in := range dockerInstructions(t, "Dockerfile") {
		found = found || in == want
	}
	if !found {
		t.Errorf("Dockerfile does not say %q (the go line of go.mod)", want)
	}
}

func TestGoreleaserLinksTheSameBuildInfo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for _, want := range append([]string{"version: 2", "CGO_ENABLED=0", "- -trimpath", "goos: [linux, darwin]", "goarch: [amd64, arm64]", "checksum:"}, buildInfoVars...) {
		if !strings.Contains(cfg, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
}

// TestReleaseBuildWithTheDockerfilesFlags runs the Dockerfile's go build
// line as it is (output redirected to a temp dir) and checks the binary:
// static, built with -trimpath and CGO_ENABLED=0, and `version` reports
// the version, revision and build time given as build arguments.
func TestReleaseBuildWithTheDockerfilesFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary from scratch (-trimpath misses the usual build cache)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the Dockerfile's RUN line is a POSIX shell command")
	}
	out := t.TempDir()
	line := strings.ReplaceAll(dockerBuildLine(t), "/out/", out+"/")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := map[string]string{
		"VERSION":    "v9.8.7-test",
		"REVISION":   "0123456789abcdef0123456789abcdef01234567",
		"BUILD_TIME": "2026-11-27T12:00:00Z",
	}
	build := exec.CommandContext(ctx, "sh", "-c", line)
	build.Dir = ".."
	build.Env = os.Environ()
	for k, v := range args {
		build.Env = append(build.Env, k+"="+v)
	}
	start := time.Now()
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s\n%v\n%s", line, err, msg)
	}
	t.Logf("release build took %s", time.Since(start).Round(time.Second))
	bin := filepath.Join(out, "hookferry")

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader; distroless static has none")
		}
	}
	f.Close()

	meta, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !strings.Contains(string(meta), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, meta)
		}
	}

	got, err := exec.CommandContext(ctx, bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("%s version --json: %v", bin, err)
	}
	var info struct {
		Version   string `json:"version"`
		Revision  string `json:"revision"`
		BuildTime string `json:"build_time"`
	}
	if err := json.Unmarshal(got, &info); err != nil {
		t.Fatalf("version --json: %v\n%s", err, got)
	}
	if info.Version != args["VERSION"] || info.Revision != args["REVISION"] || info.BuildTime != args["BUILD_TIME"] {
		t.Errorf("version --json = %+v, want the build arguments %v", info, args)
	}
}

// TestGoModHasNoReplaceSoGoInstallWorks: `go install
// github.com/hookferry/hookferry/cmd/hookferry@latest`, the documented
// install for Go users, refuses a main module whose go.mod has replace
// directives. Local module wiring (the sdk module) belongs in go.work.
func TestGoModHasNoReplaceSoGoInstallWorks(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if loc := regexp.MustCompile(`(?m)^\s*replace\b`).FindIndex(mod); loc != nil {
		t.Errorf("go.mod has a replace directive (%q...); go install ...@latest would refuse it; use go.work for local development",
			strings.SplitN(string(mod[loc[0]:]), "\n", 2)[0])
	}
}
