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

func (x u128) shr(s int) u128 {
	switch {
	case s == 0:
		return x
	case s >= 64:
		return u128{0, x.hi >> (s - 64)}
	}
	return u128{x.hi >> s, x.lo>>s | x.hi<<(64-s)}
}

// low returns the low s bits of x (s < 128).
func (x u128) low(s int) u128 {
	if s >= 64 {
		return u128{x.hi & (1<<(s-64) - 1), x.lo}
	}
	return u128{0, x.lo & (1<<s - 1)}
}

// pow5 are the powers of five that fit in 63 bits.
var pow5 = func() (p [28]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 5
	}
	return p
}()

// roundFloat is the float64 nearest to x×2^e (ties to even), where sticky
// says that the value is a little more than x×2^e (a remainder dropped
// below x's last bit); x must have more than 53 bits and the result be a
// normal float64.
func roundFloat(x u128, e int, sticky bool) float64 {
	shift := x.bitLen() - 53
	mant := x.shr(shift).lo
	rem, half := x.low(shift), u128{}.orBit(shift-1)
	if c := rem.cmp(half); c > 0 || (c == 0 && (sticky || mant&1 == 1)) {
		mant++
		if mant == 1<<53 {
			mant >>= 1
			shift++
		}
	}
	e += shift + 52 // mant×2^(e+shift) = 1.f×2^(e+shift+52)
	return math.Float64frombits(uint64(e+1023)<<52 | mant&(1<<52-1))
}

func (x u128) orBit(i int) u128 {
	if i >= 64 {
		x.hi |= 1 << (i - 64)
	} else {
		x.lo |= 1 << i
	}
	return x
}

// exactValue is |n| as the float64 strconv.ParseFloat gives, for numbers
// of more than 53 bits and at most 19 digits with a power of ten within
// ±27: m×5^q×2^q rounded, or m×2^k/5^-q (a quotient of 63 or 64 bits, the
// remainder its sticky bit) rounded.
func (n *numText) exactValue() (float64, bool) {
	m, q := n.mant, n.exp10
	if n.sig > 19 || m == 0 || q <= -len(pow5) || q >= len(pow5) {
		return 0, false
	}
	if q >= 0 {
		x := mul64(m, pow5[q])
		if x.bitLen() <= 53 {
			return 0, false // Clinger's
		}
		return roundFloat(x, q, false), true
	}
	d := pow5[-q]
	k := 64 + bits.Len64(d) - 1 - bits.Len64(m)
	num := u128{0, m}.shl(k)
	quo, rem := bits.Div64(num.hi, num.lo, d)
	return roundFloat(u128{0, quo}, -k+q, rem != 0), true
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
	if f, ok := n.exactValue(); ok {
		if n.neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(n.tok), 64)
	return f, err == nil
}

// shortest reports whether n, of 16 or 17 digits in the layout of 'f'
// and read as f, is surely what strconv writes of f as the shortest
// decimal that parses back to it: no decimal of fewer digits parses to f
// (neither neighbor of n with one digit less is in f's rounding interval,
// and the interval is one piece), and n is the decimal of its length
// closest to f (f lies strictly within half a unit of n's last digit).
// False means perhaps not. The comparisons are of integers, in units of a
// tenth of n's last digit: the ends of the interval and f itself are
// (2M±1)×2^(E-1) and M×2^E times 10^(1-q) = 5^(1-q)×2^(1-q).
func (n *numText) shortest(f float64) bool {
	m, q := n.mant, n.exp10
	a := 1 - q
	if n.sig < 16 || n.sig > 17 || m%10 == 0 || a < 0 || a >= len(pow5) {
		return false
	}
	b := math.Float64bits(math.Abs(f))
	frac, be := b&(1<<52-1), int(b>>52&0x7ff)
	if be == 0 || be == 0x7ff {
		return false
	}
	mant, e := frac|1<<52, be-1075+a
	p5 := pow5[a]
	fx := mul64(mant, p5)
	hi, hiE := mul64(2*mant+1, p5), e-1
	lo, loE := mul64(2*mant-1, p5), e-1
	if frac == 0 && be > 1 {
		lo, loE = mul64(4*mant-1, p5), e-2 // below a power of two
	}
	incl := mant%2 == 0
	// cmp compares c with x×2^s.
	cmp := func(c uint64, x u128, s int) int { return -cmpShifted(x, s, u128{0, c}) }
	for _, d := range [2]uint64{m / 10, m/10 + 1} {
		c := 100 * d
		l, h := cmp(c, lo, loE), cmp(c, hi, hiE)
		if (l > 0 || (l == 0 && incl)) && (h < 0 || (h == 0 && incl)) {
			return false
		}
	}
	return cmp(10*m-5, fx, e) < 0 && cmp(10*m+5, fx, e) > 0
}
