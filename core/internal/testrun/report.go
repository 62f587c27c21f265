package testrun

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Diff is a unified diff of two texts, empty when they are equal.
func Diff(fromName, toName, from, to string) string {
	return udiff.Unified(fromName, toName, from, to)
}

// Summary counts results.
type Summary struct {
	Passed, Failed, FileErrors int
}

// Summarise counts passes and failures.
func Summarise(rs []Result, ferrs []*FileError) Summary {
	s := Summary{FileErrors: len(ferrs)}
	for _, r := range rs {
		if r.Passed {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// OK reports whether the run passed as a whole.
func (s Summary) OK() bool { return s.Failed == 0 && s.FileErrors == 0 && s.Passed > 0 }

// WriteText is the report a person reads: one line per case, and for a
// failing case why, the diff, and what the scripts printed.
func WriteText(w io.Writer, rs []Result, ferrs []*FileError, verbose bool) {
	file := ""
	for _, r := range rs {
		if r.File != file {
			file = r.File
			fmt.Fprintf(w, "%s\n", file)
		}
		mark := "PASS"
		if !r.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s (line %d, %s)\n", mark, r.Case, r.Line, r.Duration.Round(10_000))
		for _, u := range r.Updated {
			fmt.Fprintf(w, "        updated %s\n", u)
		}
		if r.Passed && !verbose {
			continue
		}
		for _, f := range r.Failures {
			fmt.Fprintf(w, "        %s\n", f)
		}
		if r.Diff != "" {
			for _, line := range strings.Split(strings.TrimRight(r.Diff, "\n"), "\n") {
				fmt.Fprintf(w, "        %s\n", line)
			}
		}
		if len(r.Console) > 0 {
			fmt.Fprintf(w, "        console:\n")
			for _, c := range r.Console {
				fmt.Fprintf(w, "          %s\n", c)
			}
		}
	}
	s := Summarise(rs, ferrs)
	fmt.Fprintf(w, "\n%d passed, %d failed", s.Passed, s.Failed)
	if s.FileErrors > 0 {
		fmt.Fprintf(w, ", %d file(s) could not run", s.FileErrors)
	}
	fmt.Fprintln(w)
}

// WriteJSON writes the results as one JSON document for CI.
func WriteJSON(w io.Writer, rs []Result, ferrs []*FileError) error {
	type fileErr struct {
		File  string `json:"file,omitempty"`
		Error string `json:"error"`
	}
	doc := struct {
		Results    []Result  `json:"results"`
		FileErrors []fileErr `json:"file_errors,omitempty"`
		Passed     int       `json:"passed"`
		Failed     int       `json:"failed"`
	}{Results: rs}
	if doc.Results == nil {
		doc.Results = []Result{}
	}
	for _, f := range ferrs {
		doc.FileErrors = append(doc.FileErrors, fileErr{File: f.File, Error: f.Error()})
	}
	s := Summarise(rs, ferrs)
	doc.Passed, doc.Failed = s.Passed, s.Failed
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteJUnit writes JUnit XML: one testsuite per test file.
func WriteJUnit(w io.Writer, rs []Result, ferrs []*FileError) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type suite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []*suite `xml:"testsuite"`
	}
	var doc suites
	byFile := map[string]*suite{}
	get := func(name string) *suite {
		if s, ok := byFile[name]; ok {
			return s
		}
		s := &suite{Name: name}
		byFile[name] = s
		doc.Suites = append(doc.Suites, s)
		return s
	}
	for _, r := range rs {
		s := get(r.File)
		tc := testcase{Name: r.Case, Classname: r.File, Time: fmt.Sprintf("%.3f", r.Duration.Seconds()), SystemOut: strings.Join(r.Console, "\n")}
		if !r.Passed {
			tc.Failure = &failure{Message: strings.Join(r.Failures, "; "), Text: strings.Join(r.Failures, "\n") + "\n" + r.Diff}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for _, f := range ferrs {
		s := get(f.File)
		s.Errors++
		s.Tests++
		s.Cases = append(s.Cases, testcase{Name: "load", Classname: f.File, Failure: &failure{Message: "could not load", Text: f.Error()}})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
