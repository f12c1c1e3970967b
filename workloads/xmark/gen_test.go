package xmark

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestGenerateCounts: the document has XMark's record counts times the
// scale, and its continents split the items as XMark's do.
func TestGenerateCounts(t *testing.T) {
	for _, scale := range []float64{0.0001, 0.002} {
		doc := genDoc(t, scale, 3, false)
		c := CountsFor(scale)
		cases := []struct {
			tag  string
			want int
		}{
			{"<item ", c.Items},
			{"<person ", c.People},
			{"<open_auction ", c.Open},
			{"<closed_auction>", c.Closed},
			{"<category ", c.Categories},
			{"<edge ", c.Categories},
		}
		for _, tc := range cases {
			if got := bytes.Count(doc, []byte(tc.tag)); got != tc.want {
				t.Errorf("scale %g: %d %s records, want %d", scale, got, tc.tag, tc.want)
			}
		}
	}
	c := CountsFor(1)
	if c.Items != ItemsAt1 || c.People != PeopleAt1 || c.Open != OpenAt1 || c.Closed != ClosedAt1 || c.Categories != CategoriesAt1 {
		t.Errorf("CountsFor(1) = %+v, want XMark's counts", c)
	}
	if c := CountsFor(0); c.Items != 0 || c.People != 0 {
		t.Errorf("CountsFor(0) = %+v, want nothing", c)
	}
}

// TestGenerateDeterministic: the same seed and scale give the same bytes,
// whatever the writer's chunking; another seed gives other bytes.
func TestGenerateDeterministic(t *testing.T) {
	a := genDoc(t, 0.001, 5, false)
	var b bytes.Buffer
	if _, err := Generate(&oneByteWriter{&b}, GenConfig{Scale: 0.001, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(a) != sha256.Sum256(b.Bytes()) {
		t.Error("two generations with the same seed differ")
	}
	if bytes.Equal(a, genDoc(t, 0.001, 6, false)) {
		t.Error("seeds 5 and 6 give the same document")
	}
	if _, err := Generate(&b, GenConfig{Scale: -1}); err == nil {
		t.Error("a negative scale was accepted")
	}
}

type oneByteWriter struct{ w *bytes.Buffer }

func (o *oneByteWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		o.w.WriteByte(c)
	}
	return len(p), nil
}

// TestGenerateDocs: small documents are 1 to 20 KB, independent of each
// other (document i depends only on the seed and i), and only the first
// holds person0.
func TestGenerateDocs(t *testing.T) {
	docs, err := GenerateDocs(GenConfig{Seed: 9}, 30)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		if len(d) < DocMin || len(d) > DocMax+DocMin {
			t.Errorf("doc %d: %d bytes, want %d to %d", i, len(d), DocMin, DocMax)
		}
		again, _ := GenerateDoc(GenConfig{Seed: 9}, i)
		if !bytes.Equal(d, again) {
			t.Errorf("doc %d differs when made alone", i)
		}
		a, err := reference(d)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if a.Q1Found != (i == 0) {
			t.Errorf("doc %d: person0 found %v", i, a.Q1Found)
		}
	}
}

// TestGenerationCancels: both shapes stop within a second of Ctrl-C, at
// sizes that would otherwise run for hours, and leave no temporary file.
func TestGenerationCancels(t *testing.T) {
	for _, tt := range []struct {
		name string
		run  func(ctx context.Context, dir string) error
	}{
		{"doc scale 1000", func(ctx context.Context, dir string) error {
			_, err := GenerateContext(ctx, io.Discard, GenConfig{Scale: 1000})
			return err
		}},
		{"docs count 1e8", func(ctx context.Context, dir string) error {
			_, err := WriteDocs(ctx, dir, GenConfig{Scale: 1}, 100_000_000)
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := tt.run(ctx, dir)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the context's error", err)
			}
			if d := time.Since(start); d > 1100*time.Millisecond {
				t.Errorf("stopped %v after the start, 100ms after cancellation was asked", d)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left", e.Name())
				}
			}
		})
	}
}
