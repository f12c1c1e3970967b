package sim

// eventHeap is an indexed 4-ary min-heap of timers, one timer per slot
// (each server's next departure). Entries are small values in one flat
// slice; setting, moving and removing a slot's timer never allocates once
// the slice has its capacity (one entry a slot).
type eventHeap struct {
	items []event
	pos   []int32 // by slot: index in items, or -1 when the slot has no timer
}

type event struct {
	t    float64
	slot int32
}

func newEventHeap(slots int) *eventHeap {
	h := &eventHeap{items: make([]event, 0, slots), pos: make([]int32, slots)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	return h
}

func (h *eventHeap) len() int { return len(h.items) }

// top returns the earliest timer. The heap must not be empty.
func (h *eventHeap) top() event { return h.items[0] }

// set schedules slot at time t, replacing its earlier timer if any.
func (h *eventHeap) set(slot int32, t float64) {
	i := h.pos[slot]
	if i < 0 {
		i = int32(len(h.items))
		h.items = append(h.items, event{t, slot})
		h.pos[slot] = i
		h.up(int(i))
		return
	}
	old := h.items[i].t
	h.items[i].t = t
	if t < old {
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
		if h.items[p].t <= it.t {
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
		var mt float64
		if c+3 < n {
			// Four children: pick the earliest with conditional moves
			// rather than unpredictable branches.
			kids := items[c : c+4 : c+4]
			m, mt = 0, kids[0].t
			if t := kids[1].t; t < mt {
				m, mt = 1, t
			}
			if t := kids[2].t; t < mt {
				m, mt = 2, t
			}
			if t := kids[3].t; t < mt {
				m, mt = 3, t
			}
			m += c
		} else {
			if c >= n {
				break
			}
			m, mt = c, items[c].t
			for k := c + 1; k < n; k++ {
				if items[k].t < mt {
					m, mt = k, items[k].t
				}
			}
		}
		if mt >= it.t {
			break
		}
		items[i] = items[m]
		pos[items[i].slot] = int32(i)
		i = m
	}
	items[i] = it
	pos[it.slot] = int32(i)
}
