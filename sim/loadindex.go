package sim

// loadIndex keeps the servers indexed by load for policies that choose the
// least loaded server (strategies.LoadIndex): the number of servers at each
// load, the smallest load, and a Fenwick tree over the servers marking
// those at the smallest load, so that the k-th of them in index order is
// found in O(log N). A change of one server's load by one costs O(log N),
// except when the smallest load itself changes: the tree is then rebuilt
// in O(N), which happens only when the last server at the smallest load
// leaves it or one falls below it.
type loadIndex struct {
	load []int32 // the cluster's loads (read only)
	min  int
	cnt  []int   // cnt[L]: servers with load L
	fen  []int32 // 1-based Fenwick tree of the indicator load == min
	step int     // the highest power of two <= len(load)
}

func newLoadIndex(load []int32) *loadIndex {
	x := &loadIndex{load: load, fen: make([]int32, len(load)+1), cnt: make([]int, 8), step: 1}
	for x.step*2 <= len(load) {
		x.step *= 2
	}
	for _, l := range load {
		x.grow(int(l))
		x.cnt[l]++
	}
	x.min = 0
	for x.cnt[x.min] == 0 {
		x.min++
	}
	x.rebuild()
	return x
}

func (x *loadIndex) grow(l int) {
	for l >= len(x.cnt) {
		x.cnt = append(x.cnt, make([]int, len(x.cnt))...)
	}
}

// rebuild recomputes the tree for the current minimum, in O(N).
func (x *loadIndex) rebuild() {
	n := len(x.load)
	for i := 1; i <= n; i++ {
		x.fen[i] = 0
		if int(x.load[i-1]) == x.min {
			x.fen[i] = 1
		}
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			x.fen[j] += x.fen[i]
		}
	}
}

func (x *loadIndex) add(s int, d int32) {
	for i := s + 1; i < len(x.fen); i += i & -i {
		x.fen[i] += d
	}
}

// moved records that server s's load changed from one value to another
// (the cluster's load slice already holds the new one).
func (x *loadIndex) moved(s int, from, to int32) {
	x.grow(int(to))
	x.cnt[from]--
	x.cnt[to]++
	switch {
	case int(to) < x.min:
		x.min = int(to)
		x.rebuild()
	case x.cnt[x.min] == 0:
		for x.cnt[x.min] == 0 {
			x.min++
		}
		x.rebuild()
	default:
		if int(from) == x.min {
			x.add(s, -1)
		}
		if int(to) == x.min {
			x.add(s, 1)
		}
	}
}

// MinLoad implements strategies.LoadIndex.
func (x *loadIndex) MinLoad() (load, count int) { return x.min, x.cnt[x.min] }

// NthMinLoaded implements strategies.LoadIndex.
func (x *loadIndex) NthMinLoaded(k int) int {
	pos, rem := 0, int32(k+1)
	for step := x.step; step > 0; step >>= 1 {
		if next := pos + step; next < len(x.fen) && x.fen[next] < rem {
			pos = next
			rem -= x.fen[next]
		}
	}
	return pos // the 1-based position pos+1 is server pos
}

// indexedView is the cluster as a strategies.View with a load index.
type indexedView struct {
	*cluster
	*loadIndex
}

// IdleLeastWork implements strategies.IdleLeastWork: with FIFO service an
// idle server has work 0 (its queue is empty and its queued work reset),
// and a busy one has work > 0 unless its departure is due at this very
// instant (an arrival is handled before a departure at the same time), which
// the earliest timer tells. Processor sharing is left to the scan.
func (v indexedView) IdleLeastWork() bool {
	c := v.cluster
	return v.loadIndex.min == 0 && !c.isPS && (c.heap.len() == 0 || c.heap.top().t() > c.now)
}
