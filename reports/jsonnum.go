// Numbers of the fast decoder: reading a decimal into a float64 and telling
// whether it is the text appendJSONFloat writes of that float64, with exact
// integer arithmetic instead of strconv's general parsing and formatting.
// A sweep's records are mostly numbers of 16 and 17 digits (batch means,
// probabilities of the distribution), and the report reads and checks
// about two hundred of them per record.

package reports

import (
	"math"
	"math/bits"
	"strconv"
)

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (x u128) bitLen() int {
	if x.hi != 0 {
		return 64 + bits.Len64(x.hi)
	}
	return bits.Len64(x.lo)
}

func (x u128) shl(s int) u128 {
	switch {
	case s == 0:
		return x
	case s >= 64:
		return u128{x.lo << (s - 64), 0}
	}
	return u128{x.hi<<s | x.lo>>(64-s), x.lo << s}
}

func (x u128) cmp(y u128) int {
	switch {
	case x.hi < y.hi:
		return -1
	case x.hi > y.hi:
		return 1
	case x.lo < y.lo:
		return -1
	case x.lo > y.lo:
		return 1
	}
	return 0
}

// cmpShifted compares x×2^s with y.
func cmpShifted(x u128, s int, y u128) int {
	if s < 0 {
		return -cmpShifted(y, -s, x)
	}
	if x == (u128{}) {
		return -y.cmp(u128{})
	}
	if x.bitLen()+s > 128 {
		return 1 // y < 2^128
	}
	return x.shl(s).cmp(y)
}

// pow5 are the powers of five that fit in 63 bits.
var pow5 = func() (p [28]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 5
	}
	return p
}()

// cmpDecBin compares d×10^p with b×2^e exactly, for d < 2^64, b < 2^63
// and |p| < 28; ok is false for a p out of that range.
func cmpDecBin(d uint64, p int, b uint64, e int) (c int, ok bool) {
	if p <= -len(pow5) || p >= len(pow5) {
		return 0, false
	}
	if p >= 0 {
		// d×5^p×2^p against b×2^e.
		return cmpShifted(mul64(d, pow5[p]), p-e, u128{0, b}), true
	}
	// d×2^p against b×5^-p×2^e (both sides times 5^-p).
	return cmpShifted(u128{0, d}, p-e, mul64(b, pow5[-p])), true
}

// floatBounds are a positive normal float64 as mant×2^exp and the
// rounding interval of the decimals that parse to it: from lo×2^loExp to
// hi×2^hiExp, the ends included when mant is even (round half to even).
type floatBounds struct {
	mant         uint64
	exp          int
	lo, hi       uint64
	loExp, hiExp int
	incl         bool
}

func boundsOf(f float64) floatBounds {
	b := math.Float64bits(f)
	frac, be := b&(1<<52-1), int(b>>52&0x7ff)
	fb := floatBounds{mant: frac | 1<<52, exp: be - 1075}
	fb.hi, fb.hiExp = 2*fb.mant+1, fb.exp-1
	if frac == 0 && be > 1 {
		// Below a power of two the float64s are twice as dense.
		fb.lo, fb.loExp = 4*fb.mant-1, fb.exp-2
	} else {
		fb.lo, fb.loExp = 2*fb.mant-1, fb.exp-1
	}
	fb.incl = fb.mant%2 == 0
	return fb
}

// where tells where d×10^p lies against the interval: -1 below, 0 in it
// (it parses to the float64), 1 above.
func (fb *floatBounds) where(d uint64, p int) (int, bool) {
	c, ok := cmpDecBin(d, p, fb.lo, fb.loExp)
	if !ok {
		return 0, false
	}
	if c < 0 || (c == 0 && !fb.incl) {
		return -1, true
	}
	c, _ = cmpDecBin(d, p, fb.hi, fb.hiExp)
	if c > 0 || (c == 0 && !fb.incl) {
		return 1, true
	}
	return 0, true
}

// exactValue is |n| as the float64 strconv.ParseFloat gives, for numbers
// of 16 to 19 digits with a power of ten within ±22: the product of
// float64s (within an ulp or two), moved to the float64 whose interval
// holds the decimal. It returns the float64's bounds with it.
func (n *numText) exactValue() (float64, floatBounds, bool) {
	if n.sig > 19 || n.mant == 0 || n.exp10 < -22 || n.exp10 > 22 {
		return 0, floatBounds{}, false
	}
	f := float64(n.mant)
	if n.exp10 >= 0 {
		f *= float64pow10[n.exp10]
	} else {
		f /= float64pow10[-n.exp10]
	}
	for range 4 {
		fb := boundsOf(f)
		w, ok := fb.where(n.mant, n.exp10)
		switch {
		case !ok:
			return 0, floatBounds{}, false
		case w == 0:
			return f, fb, true
		case w < 0:
			f = math.Nextafter(f, 0)
		default:
			f = math.Nextafter(f, math.Inf(1))
		}
	}
	return 0, floatBounds{}, false
}

// value parses n as strconv.ParseFloat does: directly when its digits
// and its power of ten are exact in a float64 (one rounding, Clinger's
// fast path), else exactly by exactValue, else with strconv.
func (n *numText) value() (float64, bool) {
	if n.sig <= 19 && n.mant <= 1<<53 && n.exp10 >= -22 && n.exp10 <= 22 {
		f := float64(n.mant)
		if n.exp10 >= 0 {
			f *= float64pow10[n.exp10]
		} else {
			f /= float64pow10[-n.exp10]
		}
		if n.neg {
			f = -f
		}
		return f, true
	}
	if f, _, ok := n.exactValue(); ok {
		if n.neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(n.tok), 64)
	return f, err == nil
}

// shortest reports whether n, of 16 or 17 digits in the layout of 'f'
// and read as f (with its bounds fb), is surely what strconv writes of f
// as the shortest decimal that parses back to it: no decimal of fewer
// digits parses to f (neither neighbor of n with one digit less is in
// f's interval, and the interval is one piece), and n is the decimal of
// its length closest to f (f lies strictly within half a unit of n's last
// digit). False means perhaps not.
func (n *numText) shortest(fb *floatBounds) bool {
	m, q := n.mant, n.exp10
	if n.sig < 16 || n.sig > 17 || m%10 == 0 {
		return false
	}
	for _, d := range [2]uint64{m / 10, m/10 + 1} {
		if w, ok := fb.where(d, q+1); !ok || w == 0 {
			return false
		}
	}
	c, ok := cmpDecBin(10*m-5, q-1, fb.mant, fb.exp)
	if !ok || c >= 0 {
		return false
	}
	c, _ = cmpDecBin(10*m+5, q-1, fb.mant, fb.exp)
	return c > 0
}
