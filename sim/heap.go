package sim

import (
	"math"
	"math/bits"
)

// eventHeap is an indexed 4-ary min-heap of timers, one timer per slot
// (each server's next departure). Entries are small values in one flat
// slice; setting, moving and removing a slot's timer never allocates once
// the slice has its capacity (one entry a slot).
//
// Timers come out in the order of (time, slot): of two timers due at the
// same instant, the lower slot (server) first. The engine's departures at
// one instant therefore leave in server order whatever the heap's history,
// and every structure that holds timers (this heap, the ladder) gives the
// same order.
//
// Times are never negative or NaN, so their IEEE 754 bit patterns order
// like the times themselves: the heap compares (time, slot) as one 96-bit
// integer, which lets the compiler pick the earliest of four children with
// conditional moves instead of branches that mispredict about half the
// time.
type eventHeap struct {
	items []event
	pos   []int32 // by slot: index in items, or -1 when the slot has no timer
}

type event struct {
	key  uint64 // math.Float64bits of the time
	slot int32
}

// t returns the event's time.
func (e event) t() float64 { return math.Float64frombits(e.key) }

// before reports whether event a comes before b: earlier, or at the same
// time for a lower slot.
func (a event) before(b event) bool { return lexLess(a.key, a.slot, b.key, b.slot) }

// lexLess reports whether (ka, sa) < (kb, sb), without branches: the borrow
// of a 128-bit subtraction. Slots are never negative.
func lexLess(ka uint64, sa int32, kb uint64, sb int32) bool {
	_, borrow := bits.Sub64(uint64(sa), uint64(sb), 0)
	_, borrow = bits.Sub64(ka, kb, borrow)
	return borrow != 0
}

// min4 returns the index in [0, 4) of the earliest of four events by
// (time, slot) and that event.
func min4(kids []event) (int, event) {
	kids = kids[:4:4]
	i01 := b2i(kids[1].before(kids[0]))
	i23 := 2 + b2i(kids[3].before(kids[2]))
	e01, e23 := kids[i01], kids[i23]
	if e23.before(e01) {
		return i23, e23
	}
	return i01, e01
}

func newEventHeap(slots int) *eventHeap {
	h := &eventHeap{items: make([]event, 0, slots), pos: make([]int32, slots)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	return h
}

// newEventHeapFor is the heap of a cluster of slots servers: indexed for
// processor sharing, whose timers move anywhere in the heap; without
// positions for FIFO (see pushNoPos).
func newEventHeapFor(slots int, indexed bool) *eventHeap {
	if indexed {
		return newEventHeap(slots)
	}
	return &eventHeap{items: make([]event, 0, slots)}
}

func (h *eventHeap) len() int { return len(h.items) }

// top returns the earliest timer. The heap must not be empty.
func (h *eventHeap) top() event { return h.items[0] }

// set schedules slot at time t, replacing its earlier timer if any.
func (h *eventHeap) set(slot int32, t float64) {
	k := math.Float64bits(t)
	i := h.pos[slot]
	if i < 0 {
		i = int32(len(h.items))
		h.items = append(h.items, event{k, slot})
		h.pos[slot] = i
		h.up(int(i))
		return
	}
	old := h.items[i]
	h.items[i].key = k
	if h.items[i].before(old) {
		h.up(int(i))
	} else {
		h.down(int(i))
	}
}

// remove cancels slot's timer, if any.
func (h *eventHeap) remove(slot int32) {
	i := h.pos[slot]
	if i < 0 {
		return
	}
	h.pos[slot] = -1
	last := len(h.items) - 1
	if int(i) != last {
		moved := h.items[last]
		h.items[i] = moved
		h.pos[moved.slot] = i
		h.items = h.items[:last]
		h.down(int(i))
		h.up(int(i))
		return
	}
	h.items = h.items[:last]
}

func (h *eventHeap) up(i int) {
	it := h.items[i]
	for i > 0 {
		p := (i - 1) / 4
		if !it.before(h.items[p]) {
			break
		}
		h.items[i] = h.items[p]
		h.pos[h.items[i].slot] = int32(i)
		i = p
	}
	h.items[i] = it
	h.pos[it.slot] = int32(i)
}

func (h *eventHeap) down(i int) {
	items := h.items
	pos := h.pos
	n := len(items)
	it := items[i]
	for {
		c := 4*i + 1
		var m int
		var me event
		if c+3 < n {
			// Four children: a tournament of integer comparisons of their
			// times, which compile to conditional moves, when the earliest
			// time is one child's (always but for exact ties).
			kids := items[c : c+4 : c+4]
			k0, k1, k2, k3 := kids[0].key, kids[1].key, kids[2].key, kids[3].key
			lo01, lo23 := min(k0, k1), min(k2, k3)
			if k0 != k1 && k2 != k3 && lo01 != lo23 {
				i01, i23 := b2i(k1 < k0), 2+b2i(k3 < k2)
				m = c + i01 + b2i(lo23 < lo01)*(i23-i01)
				me = items[m]
			} else {
				k, e := min4(kids)
				m, me = c+k, e
			}
		} else {
			if c >= n {
				break
			}
			m, me = c, items[c]
			for k := c + 1; k < n; k++ {
				if items[k].before(me) {
					m, me = k, items[k]
				}
			}
		}
		if !me.before(it) {
			break
		}
		items[i] = items[m]
		pos[items[i].slot] = int32(i)
		i = m
	}
	items[i] = it
	pos[it.slot] = int32(i)
}

// b2i is 1 for true and 0 for false (a SETcc instruction, no branch).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FIFO servers only ever touch the heap at its top or add a timer for an
// idle server (whose slot has none): a departure reschedules or cancels
// the top, an arrival at an idle server adds a timer. For them the heap
// can skip the position index, whose random writes cost a cache miss per
// level at a million servers. The methods below make exactly the same
// moves as set and remove do in those cases (so the same events come out
// in the same order, ties included), without pos. On an indexed heap
// (processor sharing, or faults, which move any server's timer) they are
// set and remove.

// pushNoPos adds a timer for slot, which has none.
func (h *eventHeap) pushNoPos(slot int32, t float64) {
	if h.pos != nil {
		h.set(slot, t)
		return
	}
	it := event{math.Float64bits(t), slot}
	h.items = append(h.items, it)
	items := h.items
	i := len(items) - 1
	for i > 0 {
		p := (i - 1) / 4
		// Stop unless it comes before its parent (as downNoPos).
		if pk := items[p].key; it.key >= pk && (it.key != pk || it.slot > items[p].slot) {
			break
		}
		items[i] = items[p]
		i = p
	}
	items[i] = it
}

// replaceTopNoPos moves the earliest timer to t, which must not be
// earlier (set on the top slot).
func (h *eventHeap) replaceTopNoPos(t float64) {
	if h.pos != nil {
		h.set(h.items[0].slot, t)
		return
	}
	h.items[0].key = math.Float64bits(t)
	h.downNoPos(0)
}

// popTopNoPos cancels the earliest timer (remove of the top slot).
func (h *eventHeap) popTopNoPos() {
	if h.pos != nil {
		h.remove(h.items[0].slot)
		return
	}
	last := len(h.items) - 1
	if last > 0 {
		h.items[0] = h.items[last]
		h.items = h.items[:last]
		h.downNoPos(0)
		return
	}
	h.items = h.items[:0]
}

func (h *eventHeap) downNoPos(i int) {
	items := h.items
	n := len(items)
	it := items[i]
	for {
		c := 4*i + 1
		var m int
		var mk uint64 // the time of the earliest child, m
		if c+3 < n {
			// Four children: a tournament of integer comparisons of their
			// times, which compile to conditional moves, when the earliest
			// time is one child's (always but for exact ties).
			kids := items[c : c+4 : c+4]
			k0, k1, k2, k3 := kids[0].key, kids[1].key, kids[2].key, kids[3].key
			lo01, lo23 := min(k0, k1), min(k2, k3)
			if k0 != k1 && k2 != k3 && lo01 != lo23 {
				i01, i23 := b2i(k1 < k0), 2+b2i(k3 < k2)
				m = c + i01 + b2i(lo23 < lo01)*(i23-i01)
				mk = min(lo01, lo23)
			} else {
				k, e := min4(kids)
				m, mk = c+k, e.key
			}
		} else {
			if c >= n {
				break
			}
			m = c
			for k := c + 1; k < n; k++ {
				if items[k].before(items[m]) {
					m = k
				}
			}
			mk = items[m].key
		}
		// Stop unless child m comes before it: a comparison of times, and
		// of slots only when the times are equal.
		if mk >= it.key && (mk != it.key || items[m].slot > it.slot) {
			break
		}
		items[i] = items[m]
		i = m
	}
	items[i] = it
}
