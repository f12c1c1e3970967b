package sim

import "math/bits"

// loadIndex keeps the servers indexed by load for policies that choose the
// least loaded server (strategies.LoadIndex): the number of servers at each
// load, the smallest load, and the set of servers at the smallest load as
// a bitmap with a Fenwick tree over the counts of its blocks of 512 bits
// (eight words, one cache line), so that the k-th of them in index order
// is found in O(log N): at a million servers the tree is 8 kB (it stays in
// the first-level cache) and the bitmap 125 kB. A change of one server's
// load by one costs O(log(N/512)), except when the smallest load itself
// changes: the set is then rebuilt in O(N), which happens only when the
// last server at the smallest load leaves it or one falls below it.
type loadIndex struct {
	srv  []srv // the cluster's servers (their loads are read)
	min  int
	cnt  []int    // cnt[L]: servers with load L
	bits []uint64 // bit i: server i has the smallest load; whole blocks
	fen  []int32  // 1-based Fenwick tree of the blocks' counts of set bits
	step int      // the highest power of two <= the number of blocks
}

// blockWords is the number of bitmap words a block of the tree counts.
const blockWords = 8

func newLoadIndex(servers []srv) *loadIndex {
	nb := (len(servers) + 64*blockWords - 1) / (64 * blockWords)
	x := &loadIndex{srv: servers, bits: make([]uint64, nb*blockWords), fen: make([]int32, nb+1), cnt: make([]int, 8), step: 1}
	for x.step*2 <= nb {
		x.step *= 2
	}
	for i := range servers {
		l := int(servers[i].load)
		x.grow(l)
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

// rebuild recomputes the set for the current minimum, in O(N).
func (x *loadIndex) rebuild() {
	clear(x.bits)
	for i := range x.srv {
		if int(x.srv[i].load) == x.min {
			x.bits[i>>6] |= 1 << (i & 63)
		}
	}
	n := len(x.fen) - 1
	for i := 1; i <= n; i++ {
		c := 0
		for _, w := range x.bits[(i-1)*blockWords : i*blockWords] {
			c += bits.OnesCount64(w)
		}
		x.fen[i] = int32(c)
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			x.fen[j] += x.fen[i]
		}
	}
}

func (x *loadIndex) add(b int, d int32) {
	for i := b + 1; i < len(x.fen); i += i & -i {
		x.fen[i] += d
	}
}

// moved records that server s's load changed from one value to another
// (the server already holds the new one).
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
			x.bits[s>>6] &^= 1 << (s & 63)
			x.add(s>>9, -1)
		}
		if int(to) == x.min {
			x.bits[s>>6] |= 1 << (s & 63)
			x.add(s>>9, 1)
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
	// Block pos (0-based) holds the rem-th set bit.
	r := int(rem - 1)
	words := x.bits[pos*blockWords : (pos+1)*blockWords : (pos+1)*blockWords]
	for i, w := range words {
		if c := bits.OnesCount64(w); r >= c {
			r -= c
			continue
		}
		return (pos*blockWords+i)<<6 + selectBit(w, r)
	}
	panic("sim: load index out of step with its bitmap")
}

// rank returns the number of servers at the smallest load whose index is
// below s.
func (x *loadIndex) rank(s int) int {
	w := s >> 6
	n := bits.OnesCount64(x.bits[w] & (1<<(s&63) - 1))
	for _, v := range x.bits[w&^(blockWords-1) : w] {
		n += bits.OnesCount64(v)
	}
	for i := w / blockWords; i > 0; i -= i & -i {
		n += int(x.fen[i])
	}
	return n
}

// selectBit returns the position of the r-th (from 0) set bit of x, which
// has more than r.
func selectBit(x uint64, r int) int {
	pos := 0
	if c := bits.OnesCount32(uint32(x)); r >= c {
		r -= c
		x >>= 32
		pos += 32
	}
	if c := bits.OnesCount16(uint16(x)); r >= c {
		r -= c
		x >>= 16
		pos += 16
	}
	if c := bits.OnesCount8(uint8(x)); r >= c {
		r -= c
		x >>= 8
		pos += 8
	}
	for ; r > 0; r-- {
		x &= x - 1
	}
	return pos + bits.TrailingZeros64(x)
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
func (v indexedView) IdleLeastWork() bool { return v.cluster.idleLeastWork() }
