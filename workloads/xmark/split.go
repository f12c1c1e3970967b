package xmark

import (
	"bytes"
	"fmt"
	"slices"
)

// Parallel processing of one large document.
//
// The document is cut into n chunks of equal size. The worker of chunk i
// (i > 0) resyncs on the first record start tag at or after the chunk's
// start (<item, <person, <open_auction, <closed_auction, <category or <edge
// followed by white space, '>' or '/'), and parses from there to the next
// chunk's sync point, assuming the elements that enclose such a record
// (site/people for a person; site/regions/? for an item, where the
// continent is a wildcard learnt when its end tag is met). So every worker
// starts without waiting for the others.
//
// The join then walks the spans in order and checks each assumption against
// what the previous span really ended with: the same open elements, the
// wildcard closed by the real continent's name, no record left open, and
// the previous span ending exactly between two tokens. A sync point that was
// not a real record start (tag-like text inside a comment, a CDATA section
// or an unusual document) fails one of these checks; the join then parses
// that span again from the verified state, merged with the next one until
// the end is a clean cut. So no record is lost or counted twice, and the
// answers and errors are those of a sequential run; only the speed depends
// on how often the guesses are right (always, on generated documents).

// syncRecord is a record start tag the splitter resyncs on and the open
// elements it assumes around it.
type syncRecord struct {
	tag   string // "<person"
	stack []string
	wild  int
}

var syncRecords = []syncRecord{
	{"<item", []string{"site", "regions", wildName}, 2},
	{"<person", []string{"site", "people"}, -1},
	{"<open_auction", []string{"site", "open_auctions"}, -1},
	{"<closed_auction", []string{"site", "closed_auctions"}, -1},
	{"<category", []string{"site", "categories"}, -1},
	{"<edge", []string{"site", "catgraph"}, -1},
}

// nextRecord returns the offset of the first record start tag at or after
// from and its index in syncRecords, or len(doc) and -1.
func nextRecord(doc []byte, from int) (int, int) {
	for i := from; i < len(doc); {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		i += j
		for r, rec := range syncRecords {
			e := i + len(rec.tag)
			if e < len(doc) && string(doc[i:e]) == rec.tag {
				switch doc[e] {
				case ' ', '\t', '\r', '\n', '>', '/':
					return i, r
				}
			}
		}
		i++
	}
	return len(doc), -1
}

// Split is a document cut into spans for parallel processing by a kernel.
// Run may be called concurrently for distinct spans; Answers joins them.
type Split struct {
	kernel *Kernel
	input  string
	doc    []byte
	n      int
	lo     []int // span i starts at lo[i] (set by Run(i))
	rec    []int // and assumes syncRecords[rec[i]] (-1: the document start)
	out    []spanOut
	ran    []bool

	// Reruns counts spans the join had to parse again (a sync point that
	// was not a real record start, or a span that ended inside a record).
	Reruns int
}

// NewSplit cuts doc into n chunks (n >= 1) for kernel k.
func (k *Kernel) NewSplit(input string, doc []byte, n int) *Split {
	n = max(1, min(n, max(1, len(doc))))
	return &Split{
		kernel: k, input: input, doc: doc, n: n,
		lo: make([]int, n), rec: make([]int, n), out: make([]spanOut, n), ran: make([]bool, n),
	}
}

// Len is the number of spans.
func (s *Split) Len() int { return s.n }

// Bytes is the document's size.
func (s *Split) Bytes() int { return len(s.doc) }

// syncPoint is where span i starts, by the chunk's resync rule.
func (s *Split) syncPoint(i int) (int, int) {
	switch {
	case i == 0:
		return 0, -1
	case i >= s.n:
		return len(s.doc), -1
	}
	return nextRecord(s.doc, int(int64(i)*int64(len(s.doc))/int64(s.n)))
}

// Run processes span i on its own.
func (s *Split) Run(i int) {
	lo, rec := s.syncPoint(i)
	hi, _ := s.syncPoint(i + 1)
	s.lo[i], s.rec[i], s.ran[i] = lo, rec, true
	if lo >= hi && len(s.doc) > 0 {
		s.out[i] = spanOut{}
		return
	}
	in := &spanIn{input: s.input, doc: s.doc, lo: lo, hi: hi, wild: -1}
	if rec >= 0 {
		in.stack, in.wild, in.rootSeen = syncRecords[rec].stack, syncRecords[rec].wild, true
	}
	s.out[i] = s.kernel.span(in)
}

// Reset forgets the results of the last round.
func (s *Split) Reset() {
	clear(s.ran)
	s.Reruns = 0
}

// fits reports whether span i's assumption holds given the real open
// elements at its start.
func (s *Split) fits(i int, stack []string, rootSeen bool) bool {
	if s.rec[i] < 0 {
		return i == 0 && len(stack) == 0 && !rootSeen
	}
	r := syncRecords[s.rec[i]]
	if len(r.stack) != len(stack) || !rootSeen {
		return false
	}
	out := &s.out[i]
	for k, name := range r.stack {
		if k == r.wild {
			if out.wildClosed && out.wildBy != stack[k] {
				return false
			}
			continue
		}
		if name != stack[k] {
			return false
		}
	}
	return true
}

// Answers joins the spans (after Run was called for every one of them) and
// returns the document's answers, or its first syntax error.
func (s *Split) Answers() (Answers, error) {
	for i, ok := range s.ran {
		if !ok {
			return Answers{}, fmt.Errorf("xmark: span %d of %d was not run", i, s.n)
		}
	}
	var ans Answers
	var stack []string
	rootSeen := false
	bound := func(j int) int {
		if j >= s.n {
			return len(s.doc)
		}
		return s.lo[j]
	}
	for i := 0; i < s.n; {
		lo, j := s.lo[i], i+1
		hi := bound(j)
		if lo >= hi && len(s.doc) > 0 {
			i = j
			continue
		}
		out, wild := s.out[i], -1
		if s.rec[i] >= 0 {
			wild = syncRecords[s.rec[i]].wild
		}
		if !s.fits(i, stack, rootSeen) {
			out, wild = s.rerun(lo, hi, stack, rootSeen), -1
		}
		for out.err == nil && hi < len(s.doc) && (out.short || !out.neutral) {
			j++
			hi = bound(j)
			out, wild = s.rerun(lo, hi, stack, rootSeen), -1
		}
		if out.err != nil {
			return Answers{}, out.err
		}
		ans.Merge(out.ans)
		next := slices.Clone(out.end)
		if wild >= 0 && !out.wildClosed && wild < len(next) {
			next[wild] = stack[wild]
		}
		stack, rootSeen = next, out.rootSeen
		i = j
	}
	return ans, nil
}

func (s *Split) rerun(lo, hi int, stack []string, rootSeen bool) spanOut {
	s.Reruns++
	return s.kernel.span(&spanIn{input: s.input, doc: s.doc, lo: lo, hi: hi, stack: stack, wild: -1, rootSeen: rootSeen})
}

// Executor runs n tasks on workers; strategies.Executor satisfies it.
type Executor interface {
	Run(n int, task func(worker, i int))
}

// Sequential is an Executor that runs the tasks one after the other.
type Sequential struct{}

// Run runs task(0, i) for i in [0, n) in order.
func (Sequential) Run(n int, task func(worker, i int)) {
	for i := 0; i < n; i++ {
		task(0, i)
	}
}

// RunChunks answers the queries on doc cut into chunks spans run by ex.
func (k *Kernel) RunChunks(ex Executor, input string, doc []byte, chunks int) (Answers, error) {
	s := k.NewSplit(input, doc, chunks)
	ex.Run(s.Len(), func(_, i int) { s.Run(i) })
	return s.Answers()
}
