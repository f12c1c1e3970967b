package sim

import "math"

// eventHeap is an indexed 4-ary min-heap of timers, one timer per slot
// (each server's next departure). Entries are small values in one flat
// slice; setting, moving and removing a slot's timer never allocates once
// the slice has its capacity (one entry a slot).
//
// Times are never negative or NaN, so their IEEE 754 bit patterns order
// like the times themselves: the heap compares them as integers, which
// lets the compiler pick the earliest of four children with conditional
// moves instead of branches that mispredict about half the time.
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
	old := h.items[i].key
	h.items[i].key = k
	if k < old {
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
		if h.items[p].key <= it.key {
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
		var mk uint64
		if c+3 < n {
			// Four children: a tournament of integer comparisons, which
			// compile to conditional moves.
			kids := items[c : c+4 : c+4]
			k0, k1, k2, k3 := kids[0].key, kids[1].key, kids[2].key, kids[3].key
			lo01, lo23 := min(k0, k1), min(k2, k3)
			i01, i23 := b2i(k1 < k0), 2+b2i(k3 < k2)
			m = c + i01 + b2i(lo23 < lo01)*(i23-i01)
			mk = min(lo01, lo23)
		} else {
			if c >= n {
				break
			}
			m, mk = c, items[c].key
			for k := c + 1; k < n; k++ {
				if items[k].key < mk {
					m, mk = k, items[k].key
				}
			}
		}
		if mk >= it.key {
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
		if items[p].key <= it.key {
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
		var mk uint64
		if c+3 < n {
			kids := items[c : c+4 : c+4]
			k0, k1, k2, k3 := kids[0].key, kids[1].key, kids[2].key, kids[3].key
			lo01, lo23 := min(k0, k1), min(k2, k3)
			i01, i23 := b2i(k1 < k0), 2+b2i(k3 < k2)
			m = c + i01 + b2i(lo23 < lo01)*(i23-i01)
			mk = min(lo01, lo23)
		} else {
			if c >= n {
				break
			}
			m, mk = c, items[c].key
			for k := c + 1; k < n; k++ {
				if items[k].key < mk {
					m, mk = k, items[k].key
				}
			}
		}
		if mk >= it.key {
			break
		}
		items[i] = items[m]
		i = m
	}
	items[i] = it
}
