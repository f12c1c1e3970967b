package sim

// The jobs waiting at FIFO servers live in one pool of 24-byte records,
// each server's a circular list through the records in arrival order (the
// server keeps the last, whose next is the first). The job in service has
// no record: its arrival and id go with its departure timer (cluster.go).
// A record freed by a job that starts service is reused by the next
// arrival that has to wait (a LIFO free list), so the pool holds about as
// many records as the most jobs ever waiting at once, and the record an
// arrival writes is usually still in cache. Records are allocated in
// pages, so that the pool never copies itself to grow.
//
// A record, and a job in service, keeps the job's id modulo idWrap (2^32):
// the full id is the one in (nextID − idWrap, nextID) with those low bits,
// exact as long as fewer than idWrap jobs arrived while the job stayed. A
// job that stays longer is found by a sweep of every queue and every job
// in service each idWrap/2 arrivals and its full id kept aside (pool.old,
// cluster.oldSvc), so ids are exact whatever the run.

// pjob is a job waiting at a FIFO server.
type pjob struct {
	arrival float64
	size    float64
	next    uint32 // the next job at the same server, or the next free record
	idlo    uint32 // the id modulo idWrap
}

const (
	pageBits = 12
	pageLen  = 1 << pageBits
	// nilJob marks the end of a list.
	nilJob = ^uint32(0)
)

// idWrap is the modulus of the ids a record keeps (a power of two; tests
// lower it to exercise the sweep).
var idWrap uint64 = 1 << 32

// pool is the store of job records.
type pool struct {
	// page0 is pages[0]: a cluster of a few hundred servers never needs
	// another, and finds its records without the page table.
	page0 *[pageLen]pjob
	pages []*[pageLen]pjob
	free  uint32 // head of the free list
	n     uint32 // records ever handed out
	// old holds the full ids of jobs that have stayed idWrap/2 arrivals or
	// more, by record.
	old map[uint32]uint64
}

func newPool() pool { return pool{free: nilJob} }

// at returns record i.
func (p *pool) at(i uint32) *pjob {
	if i < pageLen {
		return &p.page0[i]
	}
	return &p.pages[i>>pageBits][i&(pageLen-1)]
}

// alloc returns a free record.
func (p *pool) alloc() uint32 {
	if i := p.free; i != nilJob {
		p.free = p.at(i).next
		return i
	}
	i := p.n
	if int(i>>pageBits) == len(p.pages) {
		p.pages = append(p.pages, new([pageLen]pjob))
		p.page0 = p.pages[0]
	}
	p.n++
	return i
}

// release puts record i (r = p.at(i)) back in the free list.
func (p *pool) release(i uint32, r *pjob) {
	if len(p.old) > 0 {
		delete(p.old, i)
	}
	r.next = p.free
	p.free = i
}

// put writes job j into record i and returns the record, with next =
// nilJob; nextID is the id of the next arrival.
func (p *pool) put(i uint32, j job, nextID uint64) *pjob {
	r := p.at(i)
	*r = pjob{arrival: j.arrival, size: j.size, next: nilJob, idlo: uint32(j.id & (idWrap - 1))}
	if nextID-j.id >= idWrap/2 {
		p.keepOld(i, j.id)
	}
	return r
}

func (p *pool) keepOld(i uint32, id uint64) {
	if p.old == nil {
		p.old = map[uint32]uint64{}
	}
	p.old[i] = id
}

// id returns the full id of the job in record i (r = p.at(i)); nextID is
// the id of the next arrival.
func (p *pool) id(i uint32, r *pjob, nextID uint64) uint64 {
	if len(p.old) > 0 {
		if id, ok := p.old[i]; ok {
			return id
		}
	}
	return nextID - (nextID-uint64(r.idlo))&(idWrap-1)
}

// job returns the job in record i (r = p.at(i)), without its start time.
func (p *pool) job(i uint32, r *pjob, nextID uint64) job {
	return job{id: p.id(i, r, nextID), arrival: r.arrival, size: r.size}
}
