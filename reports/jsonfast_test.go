package reports

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/metrics"
)

// fixtureLines are the non-blank lines of every JSON Lines fixture.
func fixtureLines(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.jsonl")
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) > 0 {
				out = append(out, l)
			}
		}
	}
	return out
}

// checkDecode holds fastDecode to metrics.DecodeLine on one line: when it
// decodes, DecodeLine must too, to the same record.
func checkDecode(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var got metrics.Result
	if !fastDecode(line, &got) {
		return false
	}
	want, err := metrics.DecodeLine(line)
	if err != nil {
		t.Fatalf("fastDecode accepted a line DecodeLine refuses (%v): %s", err, line)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fastDecode differs from DecodeLine on %s\n got %#v\nwant %#v", line, got, want)
	}
	return true
}

// checkEncode holds appendRecord to metrics.WriteJSON on one record.
func checkEncode(t *testing.T, r metrics.Result) {
	t.Helper()
	var want bytes.Buffer
	c := deepClone(r)
	wantErr := metrics.WriteJSON(&want, &c)
	got, err := appendRecord(nil, &r)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("appendRecord differs from WriteJSON\n got %s (%v)\nwant %s (%v)", got, err, want.Bytes(), wantErr)
	}
}

// deepClone copies r's maps and slices (WriteJSON's Clean changes them).
func deepClone(r metrics.Result) metrics.Result {
	r.Params = maps.Clone(r.Params)
	r.Metrics = maps.Clone(r.Metrics)
	r.CI95 = maps.Clone(r.CI95)
	if r.Samples != nil {
		s := map[string][]float64{}
		for k, v := range r.Samples {
			s[k] = slices.Clone(v)
		}
		r.Samples = s
	}
	if r.PerServer != nil {
		s := map[string][]float64{}
		for k, v := range r.PerServer {
			s[k] = slices.Clone(v)
		}
		r.PerServer = s
	}
	r.CDF = slices.Clone(r.CDF)
	r.Warnings = slices.Clone(r.Warnings)
	return r
}

func TestFastJSONFixtures(t *testing.T) {
	n := 0
	for _, l := range fixtureLines(t) {
		if checkDecode(t, l) {
			n++
		}
		if r, err := metrics.DecodeLine(l); err == nil {
			checkEncode(t, r)
		}
	}
	if n < 50 {
		t.Errorf("the fast decoder took only %d fixture lines", n)
	}
}

// TestFastJSONRandom mutates fixture lines at random (a byte changed,
// dropped or doubled, a key renamed, white space added) and random records
// built from them, and holds both fast paths to encoding/json.
func TestFastJSONRandom(t *testing.T) {
	lines := fixtureLines(t)
	rng := rand.New(rand.NewPCG(1, 2))
	special := []string{"", " ", "\\", "\"", "<", "&", "é", "\u2028", "\x01", "\xff", "ρ=0.9", "a,b", "\n"}
	fast := 0
	for range 3000 {
		l := bytes.Clone(lines[rng.IntN(len(lines))])
		switch rng.IntN(6) {
		case 0:
			l[rng.IntN(len(l))] = "{}[],:\"\\ 0123456789.eE-+tfnul"[rng.IntN(29)]
		case 1:
			i := rng.IntN(len(l))
			l = append(l[:i], l[i+1:]...)
		case 2:
			i := rng.IntN(len(l))
			l = append(l[:i+1], l[i:]...)
		case 3:
			l = bytes.ReplaceAll(l, []byte(`":`), []byte(`" : `))
		case 4:
			keys := []string{`"engine"`, `"name"`, `"metrics"`, `"env"`, `"seed"`, `"cdf"`, `"params"`}
			k := keys[rng.IntN(len(keys))]
			l = bytes.Replace(l, []byte(k), []byte(strings.ToUpper(k)), 1)
		}
		if checkDecode(t, l) {
			fast++
		}
		r, err := metrics.DecodeLine(l)
		if err != nil {
			continue
		}
		// Random values where the encoder must be careful.
		switch rng.IntN(5) {
		case 0:
			r.Name += special[rng.IntN(len(special))]
		case 1:
			for k := range r.Metrics {
				r.Metrics[k] = []float64{0, math.Copysign(0, -1), 1e-7, 1e21, 123456789e-20, 1.5e300, math.Inf(1), math.NaN()}[rng.IntN(8)]
				break
			}
		case 2:
			if r.Params == nil {
				r.Params = map[string]any{}
			}
			r.Params["x"+special[rng.IntN(len(special))]] = []any{1.0, "s", nil, true, map[string]any{"b": 2.0, "a": []any{}}}[rng.IntN(5)]
		case 3:
			r.Warnings = append(r.Warnings, special[rng.IntN(len(special))])
		}
		checkEncode(t, r)
	}
	if fast < 700 {
		t.Errorf("the fast decoder took only %d of 3000 mutated lines", fast)
	}
}

// FuzzFastDecode holds the fast decoder to encoding/json on any line.
func FuzzFastDecode(f *testing.F) {
	for _, l := range fixtureLines(f) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkDecode(t, bytes.TrimSpace(line))
		if r, err := metrics.DecodeLine(bytes.TrimSpace(line)); err == nil {
			checkEncode(t, r)
		}
	})
}

// sweepLines are the lines of the sweep fixture: real simulator records.
func sweepLines(b *testing.B) [][]byte {
	data, err := os.ReadFile(sweepFixture)
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

func BenchmarkDecodeRecord(b *testing.B) {
	lines := sweepLines(b)
	for _, impl := range []struct {
		name string
		dec  func([]byte) (metrics.Result, error)
	}{{"fast", decodeLine}, {"encoding_json", metrics.DecodeLine}} {
		b.Run(impl.name, func(b *testing.B) {
			n := 0
			for i := 0; b.Loop(); i++ {
				l := lines[i%len(lines)]
				n += len(l)
				if _, err := impl.dec(l); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(n / b.N))
		})
	}
}

func BenchmarkEncodeRecord(b *testing.B) {
	var rs []metrics.Result
	for _, l := range sweepLines(b) {
		if r, err := metrics.DecodeLine(l); err == nil {
			rs = append(rs, r)
		}
	}
	b.Run("fast", func(b *testing.B) {
		var buf []byte
		for i := 0; b.Loop(); i++ {
			buf, _ = appendRecord(buf[:0], &rs[i%len(rs)])
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			json.Marshal(&rs[i%len(rs)])
		}
	})
}

// TestFastDecodeReuse decodes lines one after the other into recycled
// results, as the report's workers do: each must still be what
// DecodeLine gives, whatever the line before held.
func TestFastDecodeReuse(t *testing.T) {
	lines := fixtureLines(t)
	rng := rand.New(rand.NewPCG(5, 6))
	dec := newFastDec()
	var r metrics.Result
	n := 0
	for range 3000 {
		l := lines[rng.IntN(len(lines))]
		dec.recycle(&r)
		dec.b, dec.i = l, 0
		if !dec.decode(&r) {
			continue
		}
		n++
		want, err := metrics.DecodeLine(l)
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Fatalf("decoding %s into a recycled result: %v\n got %#v\nwant %#v", l, err, r, want)
		}
	}
	if n < 2000 {
		t.Errorf("only %d lines decoded", n)
	}
}
