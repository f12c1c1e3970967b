package sim

import (
	"math"
	"math/bits"
)

// ladder is the departure calendar of a large cluster of FIFO servers: the
// same timers in the same order as the eventHeap ((time, slot), see
// eventHeap), at a constant cost per timer instead of a path from the root
// of a heap that outgrows the caches.
//
// Time is cut into epochs of equal width (about epochSize(busy)
// departures each). The epoch of a time t is ⌊t·inv⌋, computed in floating point:
// a non-decreasing function of t, so all the timers of an earlier epoch
// come before those of a later one, and ordering each epoch on its own
// orders them all. A timer due in one of the next len(buckets)−1 epochs is
// appended to that epoch's bucket (a list of chunks, unsorted); one due
// later waits in an overflow list that is sifted into the buckets every
// half turn of the wheel, before any of its epochs come up. When the
// current epoch runs out, the next bucket that holds timers is opened: its
// timers are sorted into cur (a counting sort on the position in the
// epoch, then an insertion sort that fixes what the counting left) and
// taken from the front. A timer set for the current epoch or an earlier
// one after it was opened (a short service) goes to a small heap, late,
// and the earliest of cur and late comes out first. Nothing moves more
// than a few times, and what moves is read and written in sequence.
type ladder struct {
	cur  []timer // the current epoch's timers from pos on, sorted
	pos  int
	late timerHeap // timers of epochs <= epoch added after it was opened
	n    int       // timers held

	epoch   int64   // the current epoch
	inv     float64 // epochs per time unit
	mask    int64   // len(buckets) − 1
	half    int64   // len(buckets) / 2: the overflow is sifted each half turn
	buckets []bucket
	queued  int     // timers in buckets
	over    []timer // timers beyond the wheel

	// A timer in a chunk keeps its time as the difference of its bits from
	// its bucket's base in the high 64 − slotBits bits of a word whose low
	// bits are its slot.
	slotBits  uint
	freeChunk *chunk

	// counting sort scratch
	tmp   []timer
	count []int32
}

// timer is a departure timer in the ladder and the job it ends (its
// arrival and its id modulo idWrap), so that a job in service needs no
// record of its own.
type timer struct {
	key  uint64 // math.Float64bits of the time
	slot int32
	idlo uint32
	arr  float64
}

// t returns the timer's time.
func (x timer) t() float64 { return math.Float64frombits(x.key) }

// before reports whether x comes before y: earlier, or at the same time
// for a lower slot (as event.before).
func (x timer) before(y timer) bool { return lexLess(x.key, x.slot, y.key, y.slot) }

// chunkWords is the size of a timer in a chunk, in 32-bit words: its time
// and slot packed in two, its job's arrival in two, its id in one.
const chunkWords = 5

// chunkLen timers fill a 512-byte chunk.
const chunkLen = 25

// chunk holds timers packed in 20 bytes each, so that adding one writes a
// single cache line, or two.
type chunk struct {
	w    [chunkWords * chunkLen]uint32
	next *chunk // the next chunk of the bucket, or of the free list
}

// bucket is the unsorted timers of one future epoch: a list of chunks,
// appended to at tail, which holds tn of them, and the few whose time is
// too far from base to be packed (wide).
type bucket struct {
	head, tail *chunk
	n          int32
	tn         int32
	base       uint64 // the bits of the time of the first timer filed
	wide       []timer
}

// epochSize is the number of departures an epoch holds on average, when
// about busy timers are set at a time: a 256th of them (so that an epoch
// is short against the service times and few timers fall in the current
// one and go to late), within [64, 4096] (a sorted epoch stays in the
// second-level cache).
func epochSize(busy float64) float64 { return min(4096, max(64, busy/256)) }

// newLadder returns an empty calendar for the departures of slots servers,
// at about rate per time unit from about busy servers at a time, whose
// delays (service times) are mostly below horizon.
func newLadder(slots int, rate, busy, horizon float64) *ladder {
	inv := rate / epochSize(busy) // epochs per time unit
	nb := nextPow2(uint64(max(64, min(1<<16, horizon*inv))))
	return &ladder{
		inv:      inv,
		mask:     int64(nb) - 1,
		half:     int64(nb) / 2,
		buckets:  make([]bucket, nb),
		slotBits: uint(bits.Len32(uint32(max(slots, 2) - 1))),
	}
}

func (l *ladder) len() int { return l.n }

// epochOf returns the epoch of time t (math.MaxInt64 beyond any wheel).
func (l *ladder) epochOf(t float64) int64 {
	f := t * l.inv
	if !(f < 1<<62) {
		return math.MaxInt64
	}
	return int64(f)
}

// add sets timer x (its slot has none).
func (l *ladder) add(x timer) {
	l.n++
	e := l.epochOf(x.t())
	if e <= l.epoch {
		l.late.push(x)
		return
	}
	l.file(x, e)
}

// file puts timer x of epoch e > epoch in its bucket or the overflow.
func (l *ladder) file(x timer, e int64) {
	if e-l.epoch > l.mask {
		l.over = append(l.over, x)
		return
	}
	b := &l.buckets[e&l.mask]
	if b.n == 0 {
		b.base = x.key
	}
	b.n++
	l.queued++
	d := int64(x.key - b.base)
	if d<<l.slotBits>>l.slotBits != d {
		b.wide = append(b.wide, x)
		return
	}
	if b.tail == nil || b.tn == chunkLen {
		nc := l.newChunk()
		if b.tail == nil {
			b.head = nc
		} else {
			b.tail.next = nc
		}
		b.tail, b.tn = nc, 0
	}
	p := uint64(d)<<l.slotBits | uint64(x.slot)
	w := b.tail.w[chunkWords*b.tn : chunkWords*b.tn+chunkWords : chunkWords*b.tn+chunkWords]
	a := math.Float64bits(x.arr)
	w[0], w[1], w[2], w[3], w[4] = uint32(p), uint32(p>>32), uint32(a), uint32(a>>32), x.idlo
	b.tn++
}

// unpack returns the i-th timer of chunk ch of bucket b.
func (l *ladder) unpack(b *bucket, ch *chunk, i int) timer {
	w := ch.w[chunkWords*i : chunkWords*i+chunkWords : chunkWords*i+chunkWords]
	p := uint64(w[0]) | uint64(w[1])<<32
	return timer{
		key:  b.base + uint64(int64(p)>>l.slotBits),
		slot: int32(p & (1<<l.slotBits - 1)),
		idlo: w[4],
		arr:  math.Float64frombits(uint64(w[2]) | uint64(w[3])<<32),
	}
}

func (l *ladder) newChunk() *chunk {
	if ch := l.freeChunk; ch != nil {
		l.freeChunk, ch.next = ch.next, nil
		return ch
	}
	return new(chunk)
}

// top returns the earliest timer; ok is false when there is none.
func (l *ladder) top() (e *timer, ok bool) {
	for {
		if l.pos < len(l.cur) {
			e = &l.cur[l.pos]
			if len(l.late) > 0 && l.late[0].before(*e) {
				return &l.late[0], true
			}
			return e, true
		}
		if len(l.late) > 0 {
			return &l.late[0], true
		}
		if !l.open() {
			return nil, false
		}
	}
}

// pop removes the earliest timer (top must have returned it).
func (l *ladder) pop() {
	l.n--
	if l.pos < len(l.cur) && (len(l.late) == 0 || l.cur[l.pos].before(l.late[0])) {
		l.pos++
		return
	}
	l.late.pop()
}

// ahead returns the slot of the k-th timer after the earliest one in the
// current epoch's sorted part, for prefetching (−1 if there is none; late
// timers are not looked at, so this is a guess that is almost always
// right).
func (l *ladder) ahead(k int) int32 {
	if i := l.pos + k; i < len(l.cur) {
		return l.cur[i].slot
	}
	return -1
}

// open moves to the next epoch that has timers and sorts them into cur; it
// returns false when the calendar is empty.
func (l *ladder) open() bool {
	l.cur, l.pos = l.cur[:0], 0
	if l.n == 0 || l.epoch == math.MaxInt64 {
		return false
	}
	for {
		if l.queued == 0 {
			// Only the overflow holds timers: go to just before the half
			// turn that sifts the earliest of them into the wheel.
			lo := int64(math.MaxInt64)
			for _, x := range l.over {
				lo = min(lo, l.epochOf(x.t()))
			}
			if lo == math.MaxInt64 {
				// Only times beyond any epoch are left: from now on every
				// timer is in the last epoch, kept in late.
				l.epoch = math.MaxInt64
				for _, x := range l.over {
					l.late.push(x)
				}
				l.over = l.over[:0]
				return true
			}
			m := lo / l.half * l.half
			if m <= l.epoch {
				m = (l.epoch/l.half + 1) * l.half
			}
			l.epoch = m - 1 // the empty epochs before m hold nothing
		}
		l.epoch++
		if l.epoch%l.half == 0 {
			l.sift()
		}
		b := &l.buckets[l.epoch&l.mask]
		if b.n == 0 {
			continue
		}
		for ch := b.head; ch != nil; {
			k := chunkLen
			if ch == b.tail {
				k = int(b.tn)
			}
			for i := range k {
				l.cur = append(l.cur, l.unpack(b, ch, i))
			}
			next := ch.next
			ch.next, l.freeChunk = l.freeChunk, ch
			ch = next
		}
		l.cur = append(l.cur, b.wide...)
		l.queued -= int(b.n)
		*b = bucket{}
		l.sortCur()
		return true
	}
}

// sift moves the overflow's timers that now fall inside the wheel into
// their buckets. It runs when the epoch reaches a multiple of half: a
// timer due in epoch e left the overflow at the last multiple of half at
// or before e − half, before its epoch came up.
func (l *ladder) sift() {
	k := 0
	for _, x := range l.over {
		if e := l.epochOf(x.t()); e-l.epoch <= l.mask {
			l.file(x, max(e, l.epoch))
			continue
		}
		l.over[k] = x
		k++
	}
	l.over = l.over[:k]
}

// sortCur sorts cur by (time, slot): a counting sort on each timer's
// position within the epoch (a non-decreasing function of its time), then
// an insertion sort, which only has to fix timers that fell in the same
// count.
func (l *ladder) sortCur() {
	n := len(l.cur)
	if n > 16 {
		if cap(l.count) < n+1 {
			l.count = make([]int32, n+1)
			l.tmp = make([]timer, n)
		}
		count, tmp := l.count[:n+1], l.tmp[:n]
		clear(count)
		scale, base := float64(n), float64(l.epoch)
		pos := func(x timer) int {
			f := (x.t()*l.inv - base) * scale
			switch {
			case !(f >= 0):
				return 0
			case f >= scale:
				return n - 1
			}
			return int(f)
		}
		for _, x := range l.cur {
			count[pos(x)+1]++
		}
		for i := 1; i <= n; i++ {
			count[i] += count[i-1]
		}
		for _, x := range l.cur {
			p := pos(x)
			tmp[count[p]] = x
			count[p]++
		}
		copy(l.cur, tmp)
	}
	cur := l.cur
	for i := 1; i < n; i++ {
		x := cur[i]
		j := i
		for j > 0 && x.before(cur[j-1]) {
			cur[j] = cur[j-1]
			j--
		}
		cur[j] = x
	}
}

// each calls f with the slot and id of every timer held.
func (l *ladder) each(f func(slot int32, idlo uint32)) {
	for _, x := range l.cur[l.pos:] {
		f(x.slot, x.idlo)
	}
	for _, x := range l.late {
		f(x.slot, x.idlo)
	}
	for _, x := range l.over {
		f(x.slot, x.idlo)
	}
	for i := range l.buckets {
		b := &l.buckets[i]
		for ch := b.head; ch != nil; ch = ch.next {
			k := chunkLen
			if ch == b.tail {
				k = int(b.tn)
			}
			for j := range k {
				x := l.unpack(b, ch, j)
				f(x.slot, x.idlo)
			}
		}
		for _, x := range b.wide {
			f(x.slot, x.idlo)
		}
	}
}

// timerHeap is a binary min-heap of timers by (time, slot): the few timers
// set for an epoch already opened.
type timerHeap []timer

func (h *timerHeap) push(x timer) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !x.before(s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = x
}

// pop removes the earliest timer.
func (h *timerHeap) pop() {
	s := *h
	last := len(s) - 1
	x := s[last]
	s = s[:last]
	*h = s
	if last == 0 {
		if cap(s) > 1<<10 {
			*h = nil // a burst is over: give its memory back
		}
		return
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= last {
			break
		}
		if c+1 < last && s[c+1].before(s[c]) {
			c++
		}
		if !s[c].before(x) {
			break
		}
		s[i] = s[c]
		i = c
	}
	s[i] = x
}
