// The Wilcoxon signed-rank test and the Hodges–Lehmann estimate with its
// interval, for paired rounds (compare --old-cmd/--new-cmd).

package reports

import (
	"math"
	"slices"
	"sort"
)

// maxExactSignedRank is the largest number of nonzero differences whose
// null distribution signedRankTest computes exactly (O(n³) time); above
// it, the normal approximation with a tie correction is used.
const maxExactSignedRank = 200

// signedRanks drops the zero differences of d and returns the midranks of
// the others' absolute values, doubled so that they are integers, and
// which of them are positive.
func signedRanks(d []float64) (ranks2 []int, pos []bool) {
	type item struct {
		abs float64
		pos bool
	}
	var xs []item
	for _, x := range d {
		if x != 0 && !math.IsNaN(x) {
			xs = append(xs, item{math.Abs(x), x > 0})
		}
	}
	sort.SliceStable(xs, func(i, j int) bool { return xs[i].abs < xs[j].abs })
	ranks2 = make([]int, len(xs))
	pos = make([]bool, len(xs))
	for i := 0; i < len(xs); {
		j := i
		for j < len(xs) && xs[j].abs == xs[i].abs {
			j++
		}
		// Ranks i+1..j share their mean (i+1+j)/2; doubled: i+1+j.
		for k := i; k < j; k++ {
			ranks2[k] = i + 1 + j
			pos[k] = xs[k].pos
		}
		i = j
	}
	return ranks2, pos
}

// signedRankDist returns the null distribution of twice the sum of the
// positive ranks: p[s] = P(2W⁺ = s) when each rank's sign is a fair coin.
func signedRankDist(ranks2 []int) []float64 {
	total := 0
	for _, r := range ranks2 {
		total += r
	}
	p := make([]float64, total+1)
	p[0] = 1
	hi := 0
	for _, r := range ranks2 {
		for s := hi; s >= 0; s-- {
			if p[s] != 0 {
				p[s+r] += p[s] / 2
				p[s] /= 2
			}
		}
		hi += r
	}
	return p
}

// signedRankGreater is the one-sided p-value of the Wilcoxon signed-rank
// test that the differences d are centred above zero: the probability,
// under a distribution symmetric about zero, of a sum of positive ranks at
// least the one observed. Zeros are dropped (Wilcoxon's convention) and
// ties get midranks. It is 1 when no difference is nonzero.
func signedRankGreater(d []float64) float64 {
	ranks2, pos := signedRanks(d)
	n := len(ranks2)
	if n == 0 {
		return 1
	}
	w2 := 0
	for i, r := range ranks2 {
		if pos[i] {
			w2 += r
		}
	}
	if n <= maxExactSignedRank {
		p := signedRankDist(ranks2)
		tail := 0.0
		for s := w2; s < len(p); s++ {
			tail += p[s]
		}
		return math.Min(1, tail)
	}
	// Normal approximation with the tie correction and a continuity
	// correction of half a rank.
	fn := float64(n)
	mean := fn * (fn + 1) / 4
	v := fn * (fn + 1) * (2*fn + 1) / 24
	counts := map[int]int{}
	for _, r := range ranks2 {
		counts[r]++
	}
	for _, t := range counts {
		ft := float64(t)
		v -= (ft*ft*ft - ft) / 48
	}
	z := (float64(w2)/2 - 0.5 - mean) / math.Sqrt(v)
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// signedRankTwoSided is the two-sided p-value of the signed-rank test that
// the differences d are centred on zero.
func signedRankTwoSided(d []float64) float64 {
	neg := make([]float64, len(d))
	for i, x := range d {
		neg[i] = -x
	}
	return math.Min(1, 2*math.Min(signedRankGreater(d), signedRankGreater(neg)))
}

// hodgesLehmann returns the Hodges–Lehmann estimate of the centre of d
// (the median of its Walsh averages, (d_i+d_j)/2 for i <= j) and the
// interval of level conf that inverts the signed-rank test. The interval
// is infinite on a side when n is too small for that level (n < 6 at
// 95%).
func hodgesLehmann(d []float64, conf float64) (est, lo, hi float64) {
	n := len(d)
	if n == 0 {
		return math.NaN(), math.Inf(-1), math.Inf(1)
	}
	walsh := make([]float64, 0, n*(n+1)/2)
	for i := range d {
		for j := i; j < n; j++ {
			walsh = append(walsh, (d[i]+d[j])/2)
		}
	}
	slices.Sort(walsh)
	m := len(walsh)
	if m%2 == 1 {
		est = walsh[m/2]
	} else {
		est = (walsh[m/2-1] + walsh[m/2]) / 2
	}
	// The k-th smallest and k-th largest Walsh averages bound the interval,
	// for the largest k with P(W⁺ < k) <= (1-conf)/2 under the null of n
	// untied ranks.
	ranks2 := make([]int, n)
	for i := range ranks2 {
		ranks2[i] = 2 * (i + 1)
	}
	k := 0
	if n <= maxExactSignedRank {
		p := signedRankDist(ranks2)
		cum := 0.0
		for w := 0; w < m; w++ {
			cum += p[2*w] // P(W⁺ <= w)
			if cum > (1-conf)/2 {
				break
			}
			k = w + 1
		}
	} else {
		fn := float64(n)
		z := math.Sqrt2 * math.Erfinv(conf)
		k = int(math.Floor(fn*(fn+1)/4 - z*math.Sqrt(fn*(fn+1)*(2*fn+1)/24)))
	}
	if k < 1 {
		return est, math.Inf(-1), math.Inf(1)
	}
	return est, walsh[k-1], walsh[m-k]
}
