package xmark

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets check one kernel each against encoding/xml's verdict
// (and the document rules) on the same bytes, and against the reference's
// answers when the document is well-formed:
//
//	go test -run '^$' -fuzz FuzzFast -fuzztime 60s ./workloads/xmark
//
// Seeds: the malformed and well-formed tables, testdata/*.xml, and the
// corpus that fuzzing found worth keeping in testdata/fuzz/<target>/.

func fuzzSeeds(f *testing.F) {
	for _, tc := range malformed {
		f.Add([]byte(tc.doc))
	}
	for _, tc := range wellformed {
		f.Add([]byte(tc.doc))
	}
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		if doc, err := os.ReadFile(name); err == nil && len(doc) < 16<<10 {
			f.Add(doc)
		}
	}
}

func fuzzKernel(f *testing.F, name string) {
	k, err := Lookup(name)
	if err != nil {
		f.Fatal(err)
	}
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		want, wantErr := reference(doc)
		checkKernel(t, k, "fuzz", doc, want, wantErr)
	})
}

func FuzzUnmarshal(f *testing.F) { fuzzKernel(f, "unmarshal") }
func FuzzDecode(f *testing.F)    { fuzzKernel(f, "decode") }
func FuzzToken(f *testing.F)     { fuzzKernel(f, "token") }
func FuzzRawToken(f *testing.F)  { fuzzKernel(f, "rawtoken") }
func FuzzFast(f *testing.F)      { fuzzKernel(f, "fast") }

// FuzzSplit cuts documents into 1 to 16 chunks at fuzzed places: every
// kernel must still agree with the reference.
func FuzzSplit(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		want, wantErr := reference(doc)
		chunks := 1 + len(doc)%16
		for _, k := range Kernels() {
			got, err := k.RunChunks(Sequential{}, "fuzz", doc, chunks)
			switch {
			case (err == nil) != (wantErr == nil):
				t.Errorf("kernel %s, %d chunks: error %v; encoding/xml says %v (doc %q)", k.Name, chunks, err, wantErr, oneLine(doc))
			case err == nil && got != want:
				t.Errorf("kernel %s, %d chunks: %v; want %v (doc %q)", k.Name, chunks, got, want, oneLine(doc))
			}
		}
	})
}
