package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

var updateXML = flag.Bool("update-xml", false, "rewrite the golden files in testdata/xml")

// golden compares got with testdata/xml/name, or rewrites it with
// -update-xml.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "xml", name)
	if *updateXML {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update-xml to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestXMLGenGolden pins the generator's bytes: the same seed and scale must
// give the same document from one version to the next (a deliberate change
// of the generator updates the hash with -update-xml).
func TestXMLGenGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.xml")
	code, _, errs := runCLI(t, "xml", "gen", "--scale", "0.001", "--seed", "7", "-o", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)
	golden(t, "gen-scale=0.001-seed=7.sha256", hex.EncodeToString(sum[:])+"\n")
	// To stdout: the same bytes.
	code, stdout, _ := runCLI(t, "xml", "gen", "--scale", "0.001", "--seed", "7")
	if code != 0 || stdout != string(doc) {
		t.Errorf("xml gen to stdout: exit %d, %d bytes; want the file's %d bytes", code, len(stdout), len(doc))
	}
}

// answersBlock is the text output without its last line (the timing).
func answersBlock(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return strings.Join(lines[:len(lines)-1], "\n") + "\n"
}

// TestXMLRun: every kernel, in every mode, prints the same answers (the
// golden file), as text and in the JSON record.
func TestXMLRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := filepath.Join(dir, "x.xml")
	if code, _, errs := runCLI(t, "xml", "gen", "--scale", "0.001", "--seed", "7", "-o", doc, "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	for _, k := range []string{"unmarshal", "decode", "token", "rawtoken", "fast"} {
		for _, workers := range []string{"1", "2"} {
			code, out, errs := runCLI(t, "xml", "run", "--kernel", k, "--workers", workers, doc)
			if code != 0 {
				t.Fatalf("kernel %s, workers %s: exit %d: %s", k, workers, code, errs)
			}
			got := answersBlock(out)
			got = strings.Replace(got, "kernel "+k+",", "kernel K,", 1)
			got = strings.Replace(got, workers+" worker(s)", "W worker(s)", 1)
			got = strings.Replace(got, "8 chunks", "stream", 1)
			golden(t, "run-scale=0.001-seed=7.txt", got)
		}
	}
	code, out, errs := runCLI(t, "xml", "run", "--kernel", "rawtoken", "--format", "json", doc)
	if code != 0 {
		t.Fatal(errs)
	}
	res, bad := metrics.ReadJSONL("stdout", strings.NewReader(out))
	if len(bad) > 0 || len(res) != 1 {
		t.Fatalf("%d records, errors %v", len(res), bad)
	}
	r := res[0]
	if r.Family != "XML" || r.Name != "kernel=rawtoken/workers=1" || r.Metrics["mb_per_sec"] <= 0 || r.Metrics["wall_sec"] <= 0 {
		t.Errorf("record %+v", r)
	}
	for _, q := range []string{"q1", "q5", "q6", "q17", "q20"} {
		if _, ok := r.Answers[q]; !ok {
			t.Errorf("answers lack %s: %v", q, r.Answers)
		}
	}
}

// TestXMLRunDocs: many documents, one task each, on several executors.
func TestXMLRunDocs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "xml", "gen", "--shape", "docs", "--count", "12", "-o", dir, "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) != 12 {
		t.Fatalf("%d documents written, want 12", len(files))
	}
	var first string
	for _, ex := range []string{"goroutine", "pool", "batch"} {
		args := append([]string{"xml", "run", "--kernel", "fast", "--workers", "2", "--executor", ex}, files...)
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", ex, code, errs)
		}
		if first == "" {
			first = answersBlock(out)
		} else if got := answersBlock(out); got != first {
			t.Errorf("executor %s: %s; want %s", ex, got, first)
		}
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() < 1<<10 || st.Size() > 21<<10 {
			t.Errorf("%s: %d bytes, want 1-20 KB", f, st.Size())
		}
	}
}

// TestXMLRunErrors: malformed input and bad flags exit 2 with one line
// naming the problem.
func TestXMLRunErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte("<site>\n<people>\n<person id='a'></persn>\n</people></site>\n"), 0o644)
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"xml", "run", "--kernel", "fast", bad}, bad + ":3: element <person> closed by </persn>"},
		{[]string{"xml", "run", "--kernel", "token", "--workers", "2", bad}, bad + ":3:"},
		{[]string{"xml", "run", "--kernel", "nope", bad}, `unknown XML kernel "nope"`},
		{[]string{"xml", "run", filepath.Join(dir, "missing.xml")}, "no such file"},
		{[]string{"xml", "run"}, "needs a file"},
		{[]string{"xml", "run", "--format", "yaml", bad}, "--format"},
		{[]string{"xml", "run", "--workers", "2", "--executor", "nope", bad}, "unknown executor"},
		{[]string{"xml", "gen", "--scale", "-1"}, "--scale"},
		{[]string{"xml", "gen", "--shape", "docs"}, "-o DIR"},
		{[]string{"xml", "gen", "--shape", "cube"}, "--shape"},
	}
	for _, tc := range cases {
		code, out, errs := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestListKernels: the catalog lists every twin and the XML ladder.
func TestListKernels(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "list", "kernels")
	if code != 0 {
		t.Fatal(code)
	}
	for _, name := range []string{"sum.range", "sum.acc8", "sum.gonum", "sum.parallel", "dups.hash", "substr.index", "concat.plus", "primes.sieve", "matmul.gonum", "apply.slice", "xml.unmarshal", "xml.fast"} {
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("list kernels lacks %s", name)
		}
	}
}
