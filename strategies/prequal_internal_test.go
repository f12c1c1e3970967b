package strategies

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testPrequal(t *testing.T, n int, o Options) *prequalPolicy {
	t.Helper()
	p, err := newPrequal(PolicyConfig{Servers: n, Options: o, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*prequalPolicy)
}

// TestPrequalHotCold checks the hot-cold lexicographic rule on hand-made
// pools: the coldest-latency cold probe wins; a low-latency probe that is
// hot loses; when every probe is hot (QRIF so low that the threshold is the
// smallest RIF and all but ties exceed it) the fewest requests in flight
// win, then latency.
func TestPrequalHotCold(t *testing.T) {
	p := testPrequal(t, 10, nil)
	p.pool = []probe{
		{server: 0, rif: 9, latency: 1},  // hot: above the 0.84 quantile
		{server: 1, rif: 2, latency: 50}, // cold, slow
		{server: 2, rif: 3, latency: 20}, // cold, fastest cold
		{server: 3, rif: 1, latency: 30},
		{server: 4, rif: 2, latency: 25},
		{server: 5, rif: 1, latency: 40},
	}
	hot := p.threshold()
	if math.Abs(hot-4.2) > 1e-12 {
		t.Fatalf("0.84 quantile of RIFs 1,1,2,2,3,9 = %g, want 4.2 (3 + 0.2·(9-3))", hot)
	}
	if i := p.selectProbe(hot); p.pool[i].server != 2 {
		t.Errorf("picked server %d, want 2 (lowest latency among cold probes; 0 is hot)", p.pool[i].server)
	}
	// Every probe hot: fewest requests in flight, ties by latency.
	if i := p.selectProbe(-1); p.pool[i].server != 3 {
		t.Errorf("all hot: picked server %d, want 3 (RIF 1, latency 30 beats RIF 1, latency 40)", p.pool[i].server)
	}
	// removeWorst takes the hot probe with most requests in flight.
	p.removeWorst(hot)
	for _, e := range p.pool {
		if e.server == 0 {
			t.Error("removeWorst left the hottest probe in the pool")
		}
	}
	// With none hot it takes the slowest.
	p.removeWorst(math.Inf(1))
	for _, e := range p.pool {
		if e.server == 1 {
			t.Error("removeWorst with no hot probe left the slowest in the pool")
		}
	}
}

// TestPrequalReuseBudget checks the paper's reuse budget
// 1 + δ/((1-m/n)·r_probe - r_remove): 100 servers, m=16, r_probe=3,
// r_remove=1, δ=1 give 1 + 1/1.52; a pool as large as the cluster leaves it
// undefined and we allow PoolSize uses; budgets are drawn around the mean.
func TestPrequalReuseBudget(t *testing.T) {
	p := testPrequal(t, 100, nil)
	if want := 1 + 1/1.52; math.Abs(p.budget-want) > 1e-12 {
		t.Errorf("budget at n=100: %g, want %g", p.budget, want)
	}
	sum := 0
	for range 10000 {
		sum += p.reuses()
	}
	if mean := float64(sum) / 10000; math.Abs(mean-p.budget) > 0.02 {
		t.Errorf("mean drawn budget %g, want %g", mean, p.budget)
	}
	if p := testPrequal(t, 10, nil); p.budget != 16 || p.capacity != 10 {
		t.Errorf("n=10: budget %g, capacity %d; want 16 (undefined formula: the pool size) and 10 (one probe per server)", p.budget, p.capacity)
	}
}

// TestPrequalPoolAgeing checks the pool's bookkeeping: one probe per
// server (the newer replaces the older), the oldest leaves a full pool,
// probes older than MaxAge expire, a probe used up its budget leaves, and
// each use adds one to its requests in flight.
func TestPrequalPoolAgeing(t *testing.T) {
	p := testPrequal(t, 20, Options{"pool": 3, "max_age": 10})
	for i, s := range []int{0, 1, 0, 2, 3} {
		p.insert(probe{server: s, at: float64(i), uses: 2})
	}
	var got []int
	for _, e := range p.pool {
		got = append(got, e.server)
	}
	if want := []int{0, 2, 3}; !equalInts(got, want) {
		t.Fatalf("pool servers %v, want %v (0's newer probe kept, 1 dropped as oldest)", got, want)
	}
	p.expire(12.5) // probes at 2, 3, 4: the one at 2 is 10.5 old
	if len(p.pool) != 2 || p.pool[0].server != 2 {
		t.Fatalf("after expiry: %+v, want the probes of 2 and 3", p.pool)
	}
	if s := p.consume(0); s != 2 || p.pool[0].rif != 1 || p.pool[0].uses != 1 {
		t.Fatalf("consume: server %d, probe %+v; want 2 with rif 1 and 1 use left", s, p.pool[0])
	}
	p.consume(0)
	if len(p.pool) != 1 || p.pool[0].server != 3 {
		t.Fatalf("a used-up probe stays: %+v", p.pool)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// twinView is a view whose loads the test drives.
type twinView struct {
	load []int
	now  float64
}

func (v *twinView) Servers() int       { return len(v.load) }
func (v *twinView) Load(i int) int     { return v.load[i] }
func (v *twinView) Speed(int) float64  { return 1 }
func (v *twinView) Work(i int) float64 { return float64(v.load[i]) }
func (v *twinView) Now() float64       { return v.now }

// TestPrequalMedianCacheIsNaive checks the cached median of the in-process
// latency estimate against its naive twin (recomputed at every probe) on
// random runs: random sizes, completions out of order, time steps that
// age samples out (max_age 5 against steps up to 3), and several pool
// sizes. Both see the same view and draw from the same seed; every pick
// must be the same.
func TestPrequalMedianCacheIsNaive(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 99))
		n := 2 + r.IntN(12)
		o := Options{"max_age": 5, "pool": float64(1 + r.IntN(16)), "probe_rate": 0.5 + 3*r.Float64()}
		cfg := func() PolicyConfig { return PolicyConfig{Servers: n, Options: o, Rand: rand.New(rand.NewPCG(seed, 7))} }
		a, _ := newPrequal(cfg())
		b, _ := newPrequal(cfg())
		fast, naive := a.(*prequalPolicy), b.(*prequalPolicy)
		naive.naive = true
		v := &twinView{load: make([]int, n)}
		type job struct {
			id     uint64
			server int
			start  float64
		}
		var open []job
		for i := range 3000 {
			v.now += 3 * r.Float64() * r.Float64()
			j := Job{ID: uint64(i)}
			s1, s2 := fast.Pick(v, j), naive.Pick(v, j)
			if s1 != s2 {
				t.Fatalf("seed %d, query %d: cached median picks %d, naive %d", seed, i, s1, s2)
			}
			v.load[s1]++
			fast.Dispatched(v, s1, j)
			naive.Dispatched(v, s1, j)
			open = append(open, job{j.ID, s1, v.now})
			for len(open) > 0 && r.Float64() < 0.6 {
				k := r.IntN(len(open))
				d := open[k]
				open = append(open[:k], open[k+1:]...)
				v.load[d.server]--
				lat := v.now - d.start + r.ExpFloat64()
				fast.Completed(v, d.server, Job{ID: d.id}, lat)
				naive.Completed(v, d.server, Job{ID: d.id}, lat)
			}
		}
	}
}
