package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
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
// decodes, DecodeLine must too, to the same record; when it finds the line
// canonical, appendRecord must write the line itself. The lean decoder
// (the report's workers) must decode the same line to the same record
// without its distribution and per-server arrays, or with them when it
// decodes them after all (full), and find it canonical alike.
func checkDecode(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var got metrics.Result
	d := fastDec{b: line}
	if !d.decode(&got) {
		for _, full := range []bool{false, true} {
			l := fastDec{b: line, lean: true, full: full}
			var r metrics.Result
			if l.decode(&r) {
				t.Fatalf("the lean decoder (full %v) accepted a line the full one refuses: %s", full, line)
			}
		}
		return false
	}
	want, err := metrics.DecodeLine(line)
	if err != nil {
		t.Fatalf("fastDecode accepted a line DecodeLine refuses (%v): %s", err, line)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fastDecode differs from DecodeLine on %s\n got %#v\nwant %#v", line, got, want)
	}
	if d.canon {
		enc, err := appendRecord(nil, &got)
		if err != nil || !bytes.Equal(enc, append(slices.Clip(line), '\n')) {
			t.Fatalf("a line taken as canonical is not what appendRecord writes (%v):\nline %s\n enc %s", err, line, enc)
		}
	}
	for _, full := range []bool{false, true} {
		l := fastDec{b: line, lean: true, full: full}
		var r metrics.Result
		if !l.decode(&r) {
			t.Fatalf("the lean decoder (full %v) refused a line the full one takes: %s", full, line)
		}
		if l.canon != d.canon {
			t.Fatalf("the lean decoder (full %v) finds the line canonical: %v, the full one: %v: %s", full, l.canon, d.canon, line)
		}
		w := want
		if !full || l.canon {
			w.CDF, w.PerServer = nil, nil
		}
		if !reflect.DeepEqual(r, w) {
			t.Fatalf("the lean decoder (full %v) differs on %s\n got %#v\nwant %#v", full, line, r, w)
		}
	}
	return true
}

// canonicalLine reports whether the fast decoder takes line as canonical.
func canonicalLine(line []byte) bool {
	d := fastDec{b: line}
	var r metrics.Result
	return d.decode(&r) && d.canon
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
			// What appendRecord writes is canonical (but for timelines,
			// which WriteJSON writes).
			enc, err := appendRecord(nil, &r)
			if err != nil {
				t.Fatal(err)
			}
			enc = bytes.TrimSuffix(enc, []byte("\n"))
			checkDecode(t, enc)
			if !canonicalLine(enc) && r.Timeline == nil {
				t.Errorf("appendRecord's own line is not taken as canonical: %s", enc)
			}
		}
	}
	if n < 50 {
		t.Errorf("the fast decoder took only %d fixture lines", n)
	}
}

// TestNumbers holds the number reader to strconv.ParseFloat, and its
// canonical check to appendJSONFloat, on numbers written every way:
// shortest, with 15 to 17 digits, as 'e', with trailing zeros, tiny and
// huge, and random digit strings.
func TestNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var toks []string
	for range 20000 {
		var f float64
		switch rng.IntN(5) {
		case 0:
			f = rng.Float64()
		case 1:
			f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(50)-25))
		case 2:
			f = float64(rng.IntN(1000000))
		case 3:
			f = math.Float64frombits(rng.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
		case 4:
			f = math.Round(rng.Float64()*1e6) / 1e6
		}
		toks = append(toks, string(appendJSONFloat(nil, f)),
			strconv.FormatFloat(f, 'e', -1, 64), strconv.FormatFloat(f, 'g', 17, 64),
			strconv.FormatFloat(f, 'f', 15, 64), strconv.FormatFloat(f, 'e', 16, 64), strconv.FormatFloat(f, 'g', 15, 64))
		// Random digits.
		var b []byte
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		b = append(b, byte('1'+rng.IntN(9)))
		for range rng.IntN(22) {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		if rng.IntN(2) == 0 {
			b = append(b, '.')
			for range 1 + rng.IntN(22) {
				b = append(b, byte('0'+rng.IntN(10)))
			}
		}
		if rng.IntN(3) == 0 {
			b = fmt.Appendf(b, "e%d", rng.IntN(700)-350)
		}
		toks = append(toks, string(b), "0."+strings.Repeat("0", rng.IntN(8))+string(b[len(b)-1]))
	}
	toks = append(toks, "0", "-0", "0.0", "1", "10", "100000000000000000000", "1000000000000000000000", "1e21", "0.000001",
		"0.0000001", "1e-7", "9007199254740993", "9007199254740992", "123456789012345678901234567890", "1e400", "-1e400", "1e-400",
		"4.9e-324", "2.2250738585072014e-308", "0.30000000000000004", "0.3", "1.0", "1.50", "179769313486231570000000000000000000000")
	for _, tok := range toks {
		d := fastDec{b: []byte(tok), canon: true}
		n, ok := d.number()
		if !ok || d.i != len(tok) {
			t.Fatalf("%s: not read as a number", tok)
		}
		got, gotOK := n.value()
		want, err := strconv.ParseFloat(tok, 64)
		if gotOK != (err == nil) || (gotOK && math.Float64bits(got) != math.Float64bits(want)) {
			t.Fatalf("%s: read as %v (%v), ParseFloat gives %v (%v)", tok, got, gotOK, want, err)
		}
		if !gotOK {
			continue
		}
		enc := string(appendJSONFloat(nil, want))
		if c := d.canonicalNum(&n, got); c != (enc == tok) {
			t.Fatalf("%s: canonical %v, appendJSONFloat writes %s", tok, c, enc)
		}
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
	b.Run("lean", func(b *testing.B) {
		// As the report's workers decode: the distribution and the
		// per-server arrays checked, not kept; the line's canonical
		// form checked (the sweep's lines are).
		d := newFastDec()
		d.lean, d.full = true, true
		var r metrics.Result
		n := 0
		for i := 0; b.Loop(); i++ {
			l := lines[i%len(lines)]
			n += len(l)
			d.recycle(&r)
			d.b, d.i = l, 0
			if !d.decode(&r) || !d.canon {
				b.Fatal("not decoded as canonical")
			}
		}
		b.SetBytes(int64(n / b.N))
	})
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

// TestNumbersExact holds the exact reading (numText.exactValue) and the
// exact shortest check (numText.shortest) to strconv on the numbers they
// are for: the shortest text of random float64s (16 and 17 digits mostly),
// its neighbors in the last digit, 17 to 19 digits of values halfway
// between two float64s (the hardest to round); and the shortest check
// must take nearly all shortest texts, or it saves nothing.
func TestNumbersExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	check := func(tok string) (fast bool) {
		t.Helper()
		d := fastDec{b: []byte(tok), canon: true}
		n, ok := d.number()
		if !ok || d.i != len(tok) {
			t.Fatalf("%s: not read as a number", tok)
		}
		want, err := strconv.ParseFloat(tok, 64)
		got, gotOK := n.value()
		if gotOK != (err == nil) || (gotOK && math.Float64bits(got) != math.Float64bits(want)) {
			t.Fatalf("%s: read as %v (%v), ParseFloat gives %v (%v)", tok, got, gotOK, want, err)
		}
		if err != nil {
			return false
		}
		enc := string(appendJSONFloat(nil, want))
		if c := d.canonicalNum(&n, got); c != (enc == tok) {
			t.Fatalf("%s: canonical %v, appendJSONFloat writes %s", tok, c, enc)
		}
		if n.layout && n.shortest(want) {
			if enc != tok {
				t.Fatalf("%s: taken as the shortest, strconv writes %s", tok, enc)
			}
			return true
		}
		return false
	}
	long, fast := 0, 0
	for range 40000 {
		f := (0.1 + rng.Float64()) * math.Pow(10, float64(rng.IntN(27)-6))
		if rng.IntN(2) == 0 {
			f = -f
		}
		tok := string(appendJSONFloat(nil, f))
		// The rate counts texts of 16 or 17 digits in the layout of 'f'
		// below 1e14: from there float64s are so sparse that a decimal
		// can lie halfway between two of them, a tie left to strconv.
		digits := len(strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(tok), "0"))
		if ok := check(tok); digits >= 16 && !strings.Contains(tok, "e") && math.Abs(f) < 1e14 {
			long++
			if ok {
				fast++
			}
		}
		// Neighbors in the last digit (not the shortest, mostly).
		b := []byte(tok)
		for _, delta := range []byte{1, 255} {
			c := slices.Clone(b)
			i := len(c) - 1
			if c[i] >= '1' && c[i] <= '8' {
				c[i] += delta
				check(string(c))
			}
		}
		// Halfway between f and the next float64, to 17, 18 and 19
		// digits, and a unit of the last digit either side.
		g := math.Nextafter(f, math.Inf(1))
		mid := new(big.Float).SetPrec(64).Add(new(big.Float).SetFloat64(f), new(big.Float).SetFloat64(g)) // exact
		mid.Quo(mid, big.NewFloat(2))
		for _, digits := range []int{17, 18, 19} {
			s := mid.Text('e', digits-1)
			check(s)
			if v, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(v) >= 1e-6 && math.Abs(v) < 1e21 {
				// The same in the layout of 'f'.
				fs := new(big.Float).SetPrec(200)
				fs.Parse(s, 10)
				check(fs.Text('f', digits+6))
			}
		}
	}
	if fast < long*95/100 {
		t.Errorf("the exact shortest check took %d of %d shortest texts of 16 or 17 digits, want 95%%", fast, long)
	}
	t.Logf("the exact shortest check took %d of %d shortest texts of 16 or 17 digits", fast, long)
}
