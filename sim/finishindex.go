package sim

import (
	"math"
	"math/rand/v2"
)

// finishIndex lets lwl choose in O(log N) when no server is idle, with the
// result of its scan. The scan (strategies' lwl) takes the server with the
// least Work(i)/Speed(i), ties broken by one random draw among the servers
// of exactly equal value, in index order. For a busy FIFO server that
// value is, up to rounding, F − now, where F = (end of the job in
// service) + (work waiting)/speed is the time the server would finish all
// it holds. The index keeps each busy server's F (+Inf for an idle one) in
// an 8-ary tree of minimums by server index; a choice reads the smallest
// F, collects the few servers whose F is within rounding of it (in index
// order, by a walk of the tree that skips every subtree above the bound),
// computes their value exactly as the scan does, and applies the scan's
// rule to them. The tree is built the first time no server is idle (in
// O(N)) and kept up to date from then on; a run that always has an idle
// server never pays for it. No server outside the bound can have the scan's smallest
// value (the bound is derived below), so the choice and the random draws
// are the scan's.
//
// Bound. With u = 2^-53, e the end of service, q the work waiting and s the
// speed, the scan computes v = fl(fl(q + fl(fl(e−now)·s))/s), within 4.01u
// of x = q/s + e − now (every term is ≥ 0: the timer of a busy server is
// never before now); the index holds F = fl(e + fl(q/s)), within 2.01u of
// q/s + e. So |v − (F − now)| ≤ 6.03u·F (as now ≥ 0). If server j has
// v_j ≤ v_m, where m has the smallest F, then F_j(1 − 6.03u) ≤
// F_m(1 + 6.03u), F_j ≤ F_m(1 + 12.1u + O(u²)) < F_m + F_m·2^-48. When
// some server is idle its value is 0, the smallest there is; a busy
// server ties with it only if F_j − now ≤ 6.03u·F_j, so F_j < now +
// now·2^-48.
type finishIndex struct {
	levels [][]float64 // levels[0]: F by server; levels[k][i]: min of levels[k-1][8i:8i+8]; the last has one
}

// build makes the tree of n servers' finish times F(i).
func (f *finishIndex) build(n int, F func(i int) float64) {
	f.levels = f.levels[:0]
	for k := n; ; {
		m := (k + 7) &^ 7
		lv := make([]float64, m)
		for i := range lv {
			lv[i] = math.Inf(1)
		}
		f.levels = append(f.levels, lv)
		if k == 1 {
			break
		}
		k = m / 8
	}
	for i := range n {
		f.levels[0][i] = F(i)
	}
	for k := 1; k < len(f.levels); k++ {
		for i := range len(f.levels[k-1]) / 8 {
			m := math.Inf(1)
			for _, x := range f.levels[k-1][8*i : 8*i+8] {
				if x < m {
					m = x
				}
			}
			f.levels[k][i] = m
		}
	}
}

// built reports whether the tree is kept.
func (f *finishIndex) built() bool { return len(f.levels) > 0 }

// set sets server i's finish time (+Inf: idle).
func (f *finishIndex) set(i int, v float64) {
	lv := f.levels
	lv[0][i] = v
	for k := 1; k < len(lv); k++ {
		g := lv[k-1][i&^7:][:8:8]
		m := g[0]
		for _, x := range g[1:] {
			if x < m {
				m = x
			}
		}
		i >>= 3
		if lv[k][i] == m {
			return
		}
		lv[k][i] = m
	}
}

// min returns the smallest finish time (+Inf when every server is idle).
func (f *finishIndex) min() float64 { return f.levels[len(f.levels)-1][0] }

// collect appends to out, in index order, the servers whose finish time
// is at most t.
func (f *finishIndex) collect(t float64, out []int32) []int32 {
	return f.walk(len(f.levels)-1, 0, t, out)
}

func (f *finishIndex) walk(k, i int, t float64, out []int32) []int32 {
	if !(f.levels[k][i] <= t) {
		return out
	}
	if k == 0 {
		return append(out, int32(i))
	}
	for c := 8 * i; c < 8*i+8; c++ {
		out = f.walk(k-1, c, t, out)
	}
	return out
}

// finishTime returns server s's finish time as the index keeps it.
func (c *cluster) finishTime(s int) float64 {
	if c.srv[s].load == 0 {
		return math.Inf(1)
	}
	ws := &c.work[s]
	if c.speed == nil {
		return ws.end + ws.queued
	}
	return ws.end + ws.queued/c.speed[s]
}

// finishChanged updates the finish-time index, when there is one, after
// server s's load or work changed.
func (c *cluster) finishChanged(s int) {
	if c.fin != nil && c.fin.built() {
		c.fin.set(s, c.finishTime(s))
	}
}

// pickLWL is strategies' lwl on a FIFO cluster without faults: the same
// server and the same draws from r (see finishIndex).
func (c *cluster) pickLWL(r *rand.Rand) int {
	x := c.idx
	if c.idleLeastWork() {
		return pickMinLoaded(x, r)
	}
	if !c.fin.built() {
		c.fin.build(c.n, c.finishTime)
	}
	idle := 0
	base := c.fin.min()
	if x.min == 0 {
		idle, base = x.cnt[0], c.now
	}
	c.cands = c.fin.collect(base+base*0x1p-48, c.cands[:0])
	best := math.Inf(1)
	if idle > 0 {
		best = 0
	}
	first, ties := -1, idle
	// The busy candidates at the best value, in index order, replace cands.
	vals := c.vals[:0]
	for _, s := range c.cands {
		v := c.Work(int(s)) / c.Speed(int(s))
		vals = append(vals, v)
		if v < best {
			best, ties = v, 0
		}
	}
	c.vals = vals
	k := 0
	for i, s := range c.cands {
		if vals[i] == best {
			c.cands[k] = s
			k++
		}
	}
	c.cands = c.cands[:k]
	ties += k
	if k > 0 {
		first = int(c.cands[0])
	}
	if idle > 0 && best == 0 && (first < 0 || x.NthMinLoaded(0) < first) {
		first = x.NthMinLoaded(0)
	}
	if ties <= 1 {
		return first
	}
	n := r.IntN(ties)
	if idle == 0 {
		return int(c.cands[n])
	}
	// The n-th in index order of the idle servers and the busy ones at
	// value 0 (cands, in order).
	for j, s := range c.cands {
		before := x.rank(int(s)) + j
		if n < before {
			return x.NthMinLoaded(n - j)
		}
		if n == before {
			return int(s)
		}
	}
	return x.NthMinLoaded(n - len(c.cands))
}
