// A decoder and an encoder of result records specialized to their one
// shape, several times faster than encoding/json's reflection: a report of
// a million records spends most of its time reading and writing them.
// Both give exactly what encoding/json gives (tests and a fuzz target hold
// them to it) and hand anything unusual back to it.

package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/stratbench/stratbench/metrics"
)

// decodeLine decodes one line of a results file exactly as
// metrics.DecodeLine does: the fast decoder when the line is in the plain
// form it handles, else encoding/json (which also gives the error of a bad
// line).
func decodeLine(b []byte) (metrics.Result, error) {
	var r metrics.Result
	if fastDecode(b, &r) {
		return r, nil
	}
	return metrics.DecodeLine(b)
}

// fastDecode decodes b into r as metrics.DecodeLine would, and reports
// whether it could: it declines (false) anything it does not handle
// exactly as encoding/json does — a key that is not a field's exact name,
// a repeated field, null, a CDF point that is not a pair, a string with
// invalid UTF-8, a number out of range, a record that fails Validate, any
// syntax error — and DecodeLine must decide those.
func fastDecode(b []byte, r *metrics.Result) bool {
	d := fastDec{b: b}
	return d.decode(r)
}

// decode decodes the line d.b into r (see fastDecode). Afterwards
// d.canon says whether the line is exactly what appendRecord writes of r
// (without its newline), so that the line itself can be written. With
// d.lean, the response-time distribution and the per-server arrays are
// checked but not kept (r.CDF and r.PerServer stay nil) unless the line is
// not canonical and d.full asks for the whole record then.
func (d *fastDec) decode(r *metrics.Result) bool {
	d.canon = true
	d.spans = d.spans[:0]
	if !d.record(r) {
		return false
	}
	d.ws()
	if d.i != len(d.b) || r.Validate() != nil {
		return false
	}
	if len(d.spans) > 0 && !d.canon && d.full {
		// The line will be encoded again: decode what was skipped.
		end := d.i
		for _, sp := range d.spans {
			d.i = sp.at
			if !d.lists(r, sp.bit) {
				return false
			}
		}
		d.i = end
	}
	return true
}

type fastDec struct {
	b []byte
	i int
	// strs interns short strings (keys, parameter values, the
	// environment) across the lines one decoder reads: records of a sweep
	// repeat them, and a shared string is one allocation less and no
	// memory held per record.
	strs map[string]string
	// spare holds the containers of results decoded before (recycle), for
	// the next ones: a sweep's records have the same shape, and reusing
	// their maps and slices saves most of decoding's allocations.
	spare spareContainers
	// canon is cleared by anything in the line that appendRecord would
	// write otherwise: white space, keys out of order, a field it omits,
	// an escaped string, a number not in its shortest form.
	canon bool
	// lean skips (checks without keeping) the per-server arrays and the
	// distribution, which only the held results need; full decodes them
	// after all when the line is not canonical (it is encoded again).
	lean, full bool
	spans      []skipped
	scratch    []byte
}

// skipped is a field that a lean decoder skipped: its bit and where its
// value starts.
type skipped struct {
	bit uint32
	at  int
}

type spareContainers struct {
	params, answers    map[string]any
	metrics            map[string]float64
	ci                 map[string][2]float64
	samples, perServer map[string][]float64
	cdf                [][2]float64
	warnings           []string
	floats             [][]float64
}

// recycle keeps r's maps and slices (cleared) for the next results that d
// decodes, and zeroes r: nothing may hold them any more.
func (d *fastDec) recycle(r *metrics.Result) {
	sp := &d.spare
	if r.Params != nil {
		clear(r.Params)
		sp.params = r.Params
	}
	if r.Answers != nil {
		clear(r.Answers)
		sp.answers = r.Answers
	}
	if r.Metrics != nil {
		clear(r.Metrics)
		sp.metrics = r.Metrics
	}
	if r.CI95 != nil {
		clear(r.CI95)
		sp.ci = r.CI95
	}
	for _, m := range []map[string][]float64{r.Samples, r.PerServer} {
		for _, xs := range m {
			if xs != nil && len(sp.floats) < 256 {
				sp.floats = append(sp.floats, xs[:0])
			}
		}
		clear(m)
	}
	if r.Samples != nil {
		sp.samples = r.Samples
	}
	if r.PerServer != nil {
		sp.perServer = r.PerServer
	}
	if r.CDF != nil {
		sp.cdf = r.CDF[:0]
	}
	if r.Warnings != nil {
		clear(r.Warnings)
		sp.warnings = r.Warnings[:0]
	}
	*r = metrics.Result{}
}

// take returns *spare (cleared) and leaves nil in its place, or a new
// empty one.
func take[M ~map[string]V, V any](spare *M) M {
	if m := *spare; m != nil {
		*spare = nil
		return m
	}
	return M{}
}

// maxInterned bounds the strings a decoder interns, and their length.
const (
	maxInterned    = 4096
	maxInternedLen = 48
)

// newFastDec returns a decoder that interns strings; set its b to a line
// and call decode.
func newFastDec() *fastDec { return &fastDec{strs: map[string]string{}} }

func (d *fastDec) intern(b []byte) string {
	if d.strs == nil || len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			d.canon = false
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (d *fastDec) next(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// peek skips white space and returns the next byte (0 at the end).
func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// object calls field for each key of an object, the decoder positioned on
// the key's value.
func (d *fastDec) object(field func(key string) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		k, ok := d.str()
		if !ok || !d.next(':') || !field(k) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// mapObject is object for a map: appendRecord writes its keys in
// increasing order, each once.
func (d *fastDec) mapObject(field func(key string) bool) bool {
	prev, first := "", true
	return d.object(func(k string) bool {
		if !first && k <= prev {
			d.canon = false
		}
		prev, first = k, false
		return field(k)
	})
}

// array calls elem for each element of an array.
func (d *fastDec) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next(']')
	}
}

// str reads a string. Strings with escapes are unquoted by encoding/json.
func (d *fastDec) str() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start, ascii := d.i, true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii {
				// appendRecord writes these through encoding/json, which
				// escapes some (U+2028): take none as canonical.
				d.canon = false
				if !utf8.Valid(s) {
					return "", false // encoding/json replaces invalid bytes
				}
			}
			return d.intern(s), true
		case c == '\\':
			d.canon = false
			return d.escaped(start - 1)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '<' || c == '>' || c == '&':
			d.canon = false // encoding/json escapes them
		}
		d.i++
	}
	return "", false
}

// escaped reads the rest of a string with escapes that starts (at its
// quote) at start, and unquotes it with encoding/json.
func (d *fastDec) escaped(start int) (string, bool) {
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '\\':
			d.i += 2
			continue
		case c == '"':
			d.i++
			tok := d.b[start:d.i]
			if !utf8.Valid(tok) {
				return "", false
			}
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				return "", false
			}
			return s, true
		case c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

// numText is a number as read: its text and what parsing it and telling
// whether it is canonical need.
type numText struct {
	tok []byte
	// mant holds the first 19 significant digits, sig counts them all;
	// the value is mant × 10^exp10 when sig <= 19.
	mant  uint64
	sig   int
	exp10 int
	neg   bool
	// layout: no exponent, no fraction ending in 0, and not below 1e-6,
	// as appendJSONFloat lays numbers out; plain: with at most 15
	// significant digits besides, which appendJSONFloat writes so exactly
	// (see canonicalNum).
	layout, plain bool
}

// number reads a number in JSON's grammar.
func (d *fastDec) number() (numText, bool) {
	d.ws()
	b, i := d.b, d.i
	start := i
	var n numText
	if i < len(b) && b[i] == '-' {
		n.neg = true
		i++
	}
	n.layout = true
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if n.sig < 19 {
				n.mant = n.mant*10 + uint64(b[i]-'0')
			} else {
				n.exp10++
			}
			n.sig++
		}
	default:
		return n, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		lead := 0 // zeros after "0."
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			c := b[i] - '0'
			switch {
			case n.sig == 0 && c == 0:
				lead++
				n.exp10--
			case n.sig < 19:
				n.mant = n.mant*10 + uint64(c)
				n.sig++
				n.exp10--
			default:
				n.sig++
			}
		}
		if i == j {
			return n, false
		}
		if b[i-1] == '0' || lead > 5 {
			n.layout = false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		n.layout = false
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		j := i
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == j {
			return n, false
		}
		if eneg {
			e = -e
		}
		n.exp10 += e
	}
	n.plain = n.layout && n.sig <= 15
	d.i = i
	n.tok = b[start:i]
	return n, true
}

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// canonicalNum reports whether appendJSONFloat writes f (parsed from n)
// as n's text. A plain number is: a decimal of at most 15 significant
// digits is the only one of so few digits that parses to its float64
// (10^15 < 2^53), so it is the shortest that does, which strconv writes,
// and in the layout of 'f' (1e-6 <= |f| < 1e21). One of 16 or 17 digits in
// that layout mostly is, as numText.shortest tells; any other is written
// out and compared.
func (d *fastDec) canonicalNum(n *numText, f float64) bool {
	if n.plain {
		return true
	}
	if n.layout && n.shortest(f) {
		return true
	}
	d.scratch = appendJSONFloat(d.scratch[:0], f)
	return bytes.Equal(d.scratch, n.tok)
}

func (d *fastDec) float() (float64, bool) {
	n, ok := d.number()
	if !ok {
		return 0, false
	}
	f, ok := n.value()
	if ok && d.canon && !d.canonicalNum(&n, f) {
		d.canon = false
	}
	return f, ok
}

// skipFloat reads a number without keeping it: it must still parse (as a
// float64, in range), and its text is checked while the line may be
// canonical.
func (d *fastDec) skipFloat() bool {
	n, ok := d.number()
	if !ok {
		return false
	}
	if n.plain {
		return true // in range
	}
	f, ok := n.value()
	if ok && d.canon && !d.canonicalNum(&n, f) {
		d.canon = false
	}
	return ok
}

func (d *fastDec) floats() ([]float64, bool) {
	var out []float64
	if n := len(d.spare.floats); n > 0 {
		out, d.spare.floats = d.spare.floats[n-1], d.spare.floats[:n-1]
	} else {
		out = make([]float64, 0, 16)
	}
	ok := d.array(func() bool {
		f, ok := d.float()
		out = append(out, f)
		return ok
	})
	return out, ok
}

func (d *fastDec) pair() ([2]float64, bool) {
	var p [2]float64
	n := 0
	ok := d.array(func() bool {
		if n == 2 {
			return false // encoding/json drops extra elements: let it
		}
		f, ok := d.float()
		p[n] = f
		n++
		return ok
	})
	return p, ok && n == 2
}

// skipPair is pair without keeping it.
func (d *fastDec) skipPair() bool {
	n := 0
	ok := d.array(func() bool {
		if n == 2 {
			return false
		}
		n++
		return d.skipFloat()
	})
	return ok && n == 2
}

// lists decodes the value of per_server (bit 128) or cdf (bit 256) into r.
func (d *fastDec) lists(r *metrics.Result, bit uint32) bool {
	if bit == 128 {
		r.PerServer = take(&d.spare.perServer)
		ok := d.mapObject(func(k string) bool {
			xs, ok := d.floats()
			r.PerServer[k] = xs
			return ok
		})
		if len(r.PerServer) == 0 {
			d.canon = false // omitted when empty
		}
		return ok
	}
	if r.CDF, d.spare.cdf = d.spare.cdf, nil; r.CDF == nil {
		r.CDF = make([][2]float64, 0, 64)
	}
	ok := d.array(func() bool {
		p, ok := d.pair()
		r.CDF = append(r.CDF, p)
		return ok
	})
	if len(r.CDF) == 0 {
		d.canon = false
	}
	return ok
}

// skipLists checks the value of per_server (bit 128) or cdf (bit 256)
// without keeping it, and remembers where it is.
func (d *fastDec) skipLists(bit uint32) bool {
	d.ws()
	d.spans = append(d.spans, skipped{bit, d.i})
	n := 0
	var ok bool
	if bit == 128 {
		ok = d.mapObject(func(string) bool {
			n++
			return d.array(d.skipFloat)
		})
	} else {
		ok = d.array(func() bool {
			n++
			return d.skipPair()
		})
	}
	if n == 0 {
		d.canon = false
	}
	return ok
}

// value reads any JSON value as encoding/json decodes it into an any.
func (d *fastDec) value() (any, bool) {
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == '{':
		m := map[string]any{}
		ok := d.mapObject(func(k string) bool {
			v, ok := d.value()
			m[k] = v
			return ok
		})
		return m, ok
	case c == '[':
		var s []any
		ok := d.array(func() bool {
			v, ok := d.value()
			if s == nil {
				s = make([]any, 0, 8)
			}
			s = append(s, v)
			return ok
		})
		if s == nil {
			s = []any{} // as encoding/json decodes []
		}
		return s, ok
	case c == 't':
		return true, d.word("true")
	case c == 'f':
		return false, d.word("false")
	case c == 'n':
		return nil, d.word("null")
	}
	f, ok := d.float()
	if f >= 0 && f < float64(len(smallFloats)) && f == math.Trunc(f) && !math.Signbit(f) {
		return smallFloats[int(f)], ok // no allocation for 2 and 1 of speeds=[2,1,1]
	}
	return f, ok
}

// smallFloats are the whole numbers 0 to 255 as interface values, made
// once: the lists of a sweep's parameters are mostly small whole numbers.
var smallFloats = func() (t [256]any) {
	for i := range t {
		t[i] = float64(i)
	}
	return t
}()

func (d *fastDec) word(w string) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte(w)) {
		d.i += len(w)
		return true
	}
	return false
}

// Fields of a record, in the order appendRecord writes them; a record
// always has these.
const recordRequired = 1 | 4 | 8 | 16 | 8192

func (d *fastDec) record(r *metrics.Result) bool {
	var seen uint32
	ok := d.object(func(k string) bool {
		bit := uint32(0)
		ok := false
		switch k {
		case "engine":
			bit = 1
			r.Engine, ok = d.str()
		case "family":
			bit = 2
			r.Family, ok = d.str()
			d.canon = d.canon && r.Family != ""
		case "name":
			bit = 4
			r.Name, ok = d.str()
		case "params":
			bit = 8
			r.Params = take(&d.spare.params)
			ok = d.mapObject(func(k string) bool {
				v, ok := d.value()
				r.Params[k] = v
				return ok
			})
		case "metrics":
			bit = 16
			r.Metrics = take(&d.spare.metrics)
			ok = d.mapObject(func(k string) bool {
				f, ok := d.float()
				r.Metrics[k] = f
				return ok
			})
		case "ci95":
			bit = 32
			r.CI95 = take(&d.spare.ci)
			ok = d.mapObject(func(k string) bool {
				p, ok := d.pair()
				r.CI95[k] = p
				return ok
			})
			d.canon = d.canon && len(r.CI95) > 0
		case "samples":
			bit = 64
			r.Samples = take(&d.spare.samples)
			ok = d.mapObject(func(k string) bool {
				xs, ok := d.floats()
				r.Samples[k] = xs
				return ok
			})
			d.canon = d.canon && len(r.Samples) > 0
		case "per_server", "cdf":
			bit = 128
			if k == "cdf" {
				bit = 256
			}
			if seen&bit != 0 {
				return false
			}
			if d.lean {
				ok = d.skipLists(bit)
			} else {
				ok = d.lists(r, bit)
			}
		case "answers":
			bit = 512
			r.Answers = take(&d.spare.answers)
			ok = d.mapObject(func(k string) bool {
				v, ok := d.value()
				r.Answers[k] = v
				return ok
			})
			d.canon = d.canon && len(r.Answers) > 0
		case "profile":
			bit = 1024
			r.Profile, ok = d.str()
			d.canon = d.canon && r.Profile != ""
		case "timeline":
			bit = 2048
			ok = d.timeline(r)
			d.canon = false // appendRecord leaves these to WriteJSON
		case "warnings":
			bit = 4096
			if r.Warnings, d.spare.warnings = d.spare.warnings, nil; r.Warnings == nil {
				r.Warnings = []string{}
			}
			ok = d.array(func() bool {
				s, ok := d.str()
				r.Warnings = append(r.Warnings, s)
				return ok
			})
			d.canon = d.canon && len(r.Warnings) > 0
		case "env":
			bit = 8192
			ok = d.env(&r.Env)
		}
		if bit == 0 || seen&bit != 0 {
			return false
		}
		if bit < seen {
			d.canon = false // out of order
		}
		seen |= bit
		return ok
	})
	if seen&recordRequired != recordRequired {
		d.canon = false
	}
	return ok
}

// timeline decodes the value of "timeline" with encoding/json, as
// DecodeLine would (unknown fields refused).
func (d *fastDec) timeline(r *metrics.Result) bool {
	if d.peek() != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(d.b[d.i:]))
	dec.DisallowUnknownFields()
	var t metrics.Timeline
	if err := dec.Decode(&t); err != nil {
		return false
	}
	d.i += int(dec.InputOffset())
	r.Timeline = &t
	return true
}

// Fields of an environment that appendRecord always writes.
const envRequired = 1 | 2 | 4 | 16 | 32 | 64

func (d *fastDec) env(e *metrics.Env) bool {
	var seen uint32
	ok := d.object(func(k string) bool {
		bit := uint32(0)
		ok := false
		switch k {
		case "go_version":
			bit = 1
			e.GoVersion, ok = d.str()
		case "goos":
			bit = 2
			e.GOOS, ok = d.str()
		case "goarch":
			bit = 4
			e.GOARCH, ok = d.str()
		case "cpu":
			bit = 8
			e.CPU, ok = d.str()
			d.canon = d.canon && e.CPU != ""
		case "num_cpu":
			bit = 16
			e.NumCPU, ok = d.int()
		case "gomaxprocs":
			bit = 32
			e.GOMAXPROCS, ok = d.int()
		case "seed":
			bit = 64
			var n numText
			if n, ok = d.number(); ok {
				var err error
				e.Seed, err = strconv.ParseUint(string(n.tok), 10, 64)
				ok = err == nil
			}
		case "commit":
			bit = 128
			e.Commit, ok = d.str()
			d.canon = d.canon && e.Commit != ""
		case "time":
			bit = 256
			e.Time, ok = d.str()
			d.canon = d.canon && e.Time != ""
		}
		if bit == 0 || seen&bit != 0 {
			return false
		}
		if bit < seen {
			d.canon = false
		}
		seen |= bit
		return ok
	})
	if seen&envRequired != envRequired {
		d.canon = false
	}
	return ok
}

func (d *fastDec) int() (int, bool) {
	n, ok := d.number()
	if !ok {
		return 0, false
	}
	if n.neg && n.mant == 0 {
		d.canon = false // -0 is written 0
	}
	v, err := strconv.ParseInt(string(n.tok), 10, 64)
	return int(v), err == nil
}

// --- encoding --------------------------------------------------------

// appendRecord appends r as metrics.WriteJSON writes it (one line of JSON
// and a newline). Records that WriteJSON would change first (non-finite
// numbers, which Clean removes) or that hold values the fast encoder does
// not know go through WriteJSON itself, on a copy as the report always
// wrote them.
func appendRecord(b []byte, r *metrics.Result) ([]byte, error) {
	start := len(b)
	if out, ok := fastEncode(b, r); ok {
		return append(out, '\n'), nil
	}
	var buf bytes.Buffer
	c := *r
	if err := metrics.WriteJSON(&buf, &c); err != nil {
		return b[:start], err
	}
	return append(b[:start], buf.Bytes()...), nil
}

// fastEncode appends r as json.Marshal encodes it, or reports false.
func fastEncode(b []byte, r *metrics.Result) ([]byte, bool) {
	if r.Timeline != nil {
		return b, false // Clean may change it: leave it to WriteJSON
	}
	ok := true
	num := func(b []byte, x float64) []byte {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			ok = false
			return b
		}
		return appendJSONFloat(b, x)
	}
	b = append(b, `{"engine":`...)
	b = appendJSONString(b, r.Engine)
	if r.Family != "" {
		b = append(b, `,"family":`...)
		b = appendJSONString(b, r.Family)
	}
	b = append(b, `,"name":`...)
	b = appendJSONString(b, r.Name)
	b = append(b, `,"params":`...)
	if r.Params == nil {
		b = append(b, "null"...)
	} else {
		b = appendSortedMap(b, r.Params, func(b []byte, v any) []byte {
			b, ok = appendJSONAny(b, v, ok)
			return b
		})
	}
	b = append(b, `,"metrics":`...)
	if r.Metrics == nil {
		b = append(b, "null"...)
	} else {
		b = appendSortedMap(b, r.Metrics, num)
	}
	pair := func(b []byte, p [2]float64) []byte {
		b = append(b, '[')
		b = num(b, p[0])
		b = append(b, ',')
		return append(num(b, p[1]), ']')
	}
	list := func(b []byte, xs []float64) []byte {
		if xs == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, x := range xs {
			if i > 0 {
				b = append(b, ',')
			}
			b = num(b, x)
		}
		return append(b, ']')
	}
	if len(r.CI95) > 0 {
		b = append(b, `,"ci95":`...)
		b = appendSortedMap(b, r.CI95, pair)
	}
	if len(r.Samples) > 0 {
		b = append(b, `,"samples":`...)
		b = appendSortedMap(b, r.Samples, list)
	}
	if len(r.PerServer) > 0 {
		b = append(b, `,"per_server":`...)
		b = appendSortedMap(b, r.PerServer, list)
	}
	if len(r.CDF) > 0 {
		b = append(b, `,"cdf":[`...)
		for i, p := range r.CDF {
			if i > 0 {
				b = append(b, ',')
			}
			b = pair(b, p)
		}
		b = append(b, ']')
	}
	if len(r.Answers) > 0 {
		b = append(b, `,"answers":`...)
		b = appendSortedMap(b, r.Answers, func(b []byte, v any) []byte {
			b, ok = appendJSONAny(b, v, ok)
			return b
		})
	}
	if r.Profile != "" {
		b = append(b, `,"profile":`...)
		b = appendJSONString(b, r.Profile)
	}
	if len(r.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range r.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, w)
		}
		b = append(b, ']')
	}
	e := &r.Env
	b = append(b, `,"env":{"go_version":`...)
	b = appendJSONString(b, e.GoVersion)
	b = append(b, `,"goos":`...)
	b = appendJSONString(b, e.GOOS)
	b = append(b, `,"goarch":`...)
	b = appendJSONString(b, e.GOARCH)
	if e.CPU != "" {
		b = append(b, `,"cpu":`...)
		b = appendJSONString(b, e.CPU)
	}
	b = append(b, `,"num_cpu":`...)
	b = strconv.AppendInt(b, int64(e.NumCPU), 10)
	b = append(b, `,"gomaxprocs":`...)
	b = strconv.AppendInt(b, int64(e.GOMAXPROCS), 10)
	b = append(b, `,"seed":`...)
	b = strconv.AppendUint(b, e.Seed, 10)
	if e.Commit != "" {
		b = append(b, `,"commit":`...)
		b = appendJSONString(b, e.Commit)
	}
	if e.Time != "" {
		b = append(b, `,"time":`...)
		b = appendJSONString(b, e.Time)
	}
	b = append(b, "}}"...)
	return b, ok
}

// appendSortedMap appends a JSON object of m's entries in the order of
// their keys, as encoding/json writes maps.
func appendSortedMap[V any](b []byte, m map[string]V, val func([]byte, V) []byte) []byte {
	var arr [32]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = val(b, m[k])
	}
	return append(b, '}')
}

// appendJSONAny appends a decoded JSON value (string, float64, bool, nil,
// []any, map[string]any); anything else clears ok.
func appendJSONAny(b []byte, v any, ok bool) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return appendJSONString(b, x), ok
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, false
		}
		return appendJSONFloat(b, x), ok
	case bool:
		return strconv.AppendBool(b, x), ok
	case nil:
		return append(b, "null"...), ok
	case []any:
		if x == nil {
			return append(b, "null"...), ok
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b, ok = appendJSONAny(b, e, ok)
		}
		return append(b, ']'), ok
	case map[string]any:
		if x == nil {
			return append(b, "null"...), ok
		}
		return appendSortedMap(b, x, func(b []byte, e any) []byte {
			b, ok = appendJSONAny(b, e, ok)
			return b
		}), ok
	}
	return b, false
}

// appendJSONFloat formats a finite float64 as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s quoted as encoding/json quotes it (HTML
// characters escaped); strings that need any escape go through
// encoding/json. Valid UTF-8 is written as it is, but for U+2028 and
// U+2029, which encoding/json escapes.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && r != '\u2028' && r != '\u2029' {
				i += size - 1
				continue
			}
		}
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
