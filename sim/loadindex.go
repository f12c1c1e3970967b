package sim

import "math/bits"

// loadIndex keeps the servers indexed by load for policies that choose the
// least loaded server (strategies.LoadIndex): the number of servers at each
// load, the smallest load, and the set of servers at the smallest load (a
// serverSet), so that the k-th of them in index order is found in
// O(log N). A change of one server's load by one costs O(log(N/512)).
//
// The set of servers one above the smallest load is kept too, once known:
// when the last server at the smallest load leaves it, that set becomes
// the new one at once, and when a server falls below the smallest load the
// old set becomes the one above. So a smallest load that goes back and
// forth (a cluster near saturation, where the last idle server comes and
// goes) costs a clearing of the bitmap, O(N/64) words, per fall; the
// servers are scanned, in O(N), only when the smallest load rises twice
// in a row.
type loadIndex struct {
	srv    []srv // the cluster's servers (their loads are read)
	big    *map[int32]int32
	min    int
	cnt    []int     // cnt[L]: servers with load L
	cur    serverSet // the servers at load min
	next   serverSet // the servers at load min+1, when nextOK
	nextOK bool
}

// serverSet is a set of servers as a bitmap with a Fenwick tree over the
// counts of its blocks of 512 bits (eight words, one cache line): at a
// million servers the tree is 8 kB (it stays in the first-level cache) and
// the bitmap 125 kB.
type serverSet struct {
	bits []uint64 // whole blocks
	fen  []int32  // 1-based Fenwick tree of the blocks' counts of set bits
	step int      // the highest power of two <= the number of blocks
}

// blockWords is the number of bitmap words a block of the tree counts.
const blockWords = 8

func newServerSet(n int) serverSet {
	nb := (n + 64*blockWords - 1) / (64 * blockWords)
	x := serverSet{bits: make([]uint64, nb*blockWords), fen: make([]int32, nb+1), step: 1}
	for x.step*2 <= nb {
		x.step *= 2
	}
	return x
}

// newLoadIndex returns the index of servers, whose loads from loadCap on
// are in *big (nil: none are).
func newLoadIndex(servers []srv, big *map[int32]int32) *loadIndex {
	if big == nil {
		big = new(map[int32]int32)
	}
	x := &loadIndex{srv: servers, big: big, cnt: make([]int, 8), cur: newServerSet(len(servers)), next: newServerSet(len(servers))}
	for i := range servers {
		l := int(loadAt(servers, *big, i))
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

// rebuild recomputes the set for the current minimum from the servers'
// loads, in O(N); the set above is not known.
func (x *loadIndex) rebuild() {
	b := x.cur.bits
	clear(b)
	for i := range x.srv {
		if int(loadAt(x.srv, *x.big, i)) == x.min {
			b[i>>6] |= 1 << (i & 63)
		}
	}
	x.cur.recount()
	x.nextOK = false
}

// recount rebuilds the tree from the bitmap.
func (x *serverSet) recount() {
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

func (x *serverSet) clear() {
	clear(x.bits)
	clear(x.fen)
}

func (x *serverSet) insert(s int) {
	x.bits[s>>6] |= 1 << (s & 63)
	for i := s>>9 + 1; i < len(x.fen); i += i & -i {
		x.fen[i]++
	}
}

func (x *serverSet) remove(s int) {
	x.bits[s>>6] &^= 1 << (s & 63)
	for i := s>>9 + 1; i < len(x.fen); i += i & -i {
		x.fen[i]--
	}
}

// moved records that server s's load changed from one value to another
// (the server already holds the new one).
func (x *loadIndex) moved(s int, from, to int32) {
	x.grow(int(to))
	x.cnt[from]--
	x.cnt[to]++
	m := int32(x.min)
	switch {
	case to < m && from == m && to == m-1:
		// s falls below the smallest load: the set at m becomes the one
		// above, without s; the new set holds s alone.
		x.cur, x.next = x.next, x.cur
		x.next.remove(s)
		x.nextOK = true
		x.cur.clear()
		x.cur.insert(s)
		x.min--
	case x.cnt[m] == 0 && from == m && to == m+1 && x.nextOK:
		// The last server at the smallest load leaves it: the set above,
		// with s, is the new set. The old one (s still in it) is not known
		// to be the set above, and is cleared before it is used again.
		x.cur, x.next = x.next, x.cur
		x.cur.insert(s)
		x.nextOK = false
		x.min++
	case to < m || x.cnt[m] == 0:
		x.min = int(min(to, m))
		for x.cnt[x.min] == 0 {
			x.min++
		}
		x.rebuild()
	default:
		if from == m {
			x.cur.remove(s)
		}
		if to == m {
			x.cur.insert(s)
		}
		if x.nextOK {
			if from == m+1 {
				x.next.remove(s)
			}
			if to == m+1 {
				x.next.insert(s)
			}
		}
	}
}

// MinLoad implements strategies.LoadIndex.
func (x *loadIndex) MinLoad() (load, count int) { return x.min, x.cnt[x.min] }

// NthMinLoaded implements strategies.LoadIndex.
func (x *loadIndex) NthMinLoaded(k int) int { return x.cur.nth(k) }

// rank returns the number of servers at the smallest load whose index is
// below s.
func (x *loadIndex) rank(s int) int { return x.cur.rank(s) }

// nth returns the k-th server of the set (from 0) in index order.
func (x *serverSet) nth(k int) int {
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
	panic("sim: server set out of step with its bitmap")
}

// rank returns the number of servers of the set whose index is below s.
func (x *serverSet) rank(s int) int {
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
