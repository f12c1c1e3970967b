// The streaming report: inputs are read once, in parallel, and the files
// that list every result (results.jsonl, results.txt, results.csv) are
// written as they are read; the report keeps only what its summary, page
// and charts need (collector) and reads back the few results the page and
// charts show.

package reports

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"

	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/internal/lines"
	"github.com/stratbench/stratbench/metrics"
)

// source is one input a streaming report read results from: a file it can
// read lines back from, or results held in memory (Go benchmark text).
type source struct {
	path string
	f    *os.File
	temp bool // a copy of standard input or a pipe, removed at the end
}

// loc is where a result came from: its source and the bytes of its line,
// or (mem) its index in the results held in memory.
type loc struct {
	src        int32
	start, end int64
}

// streamReader reads a report's inputs into a Set (without its results),
// a collector and the streamed formats.
type streamReader struct {
	ctx     context.Context
	set     *Set
	col     *collector
	out     *streamOut
	sources []source
	locs    []loc
	mem     map[int]*metrics.Result
	dups    dupFilter
}

// dupFilter keeps the first of records a suite wrote twice, as
// dropDuplicates does, remembering 128-bit hashes of their keys.
type dupFilter struct {
	seen  map[[2]uint64]struct{}
	dups  map[string]int
	order []string
}

// keep reports whether r is not a duplicate of an earlier record.
func (f *dupFilter) keep(c *collector, r *metrics.Result) bool {
	id, ok := r.Params["suite_run"].(string)
	if !ok {
		return true
	}
	if f.seen == nil {
		f.seen, f.dups = map[[2]uint64]struct{}{}, map[string]int{}
	}
	k := hash128(c.seed, id+"\x00"+r.Engine+"\x00"+r.Family+"\x00"+r.Name)
	if _, ok := f.seen[k]; ok {
		if f.dups[id] == 0 {
			f.order = append(f.order, id)
		}
		f.dups[id]++
		return false
	}
	f.seen[k] = struct{}{}
	return true
}

// problem is dropDuplicates' message, or nil.
func (f *dupFilter) problem() error {
	if len(f.order) == 0 {
		return nil
	}
	n := 0
	for _, c := range f.dups {
		n += c
	}
	ex := f.order[:min(3, len(f.order))]
	return fmt.Errorf("%d duplicate records of %d suite runs left out (the first of each is kept): %s%s",
		n, len(f.order), strings.Join(ex, ", "), map[bool]string{true: ", ...", false: ""}[len(f.order) > 3])
}

// readAll reads every input, in order.
func (sr *streamReader) readAll(paths []string, stdin io.Reader, tmpDir string) error {
	// Open every file first: a missing one fails before anything is
	// written.
	files := make([]*os.File, len(paths))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, p := range paths {
		if p == "-" {
			if stdin == nil {
				return fmt.Errorf("reading -: no standard input")
			}
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		files[i] = f
	}
	for i, p := range paths {
		var r io.Reader = stdin
		if files[i] != nil {
			r = files[i]
		}
		src := source{path: p, f: files[i]}
		if files[i] == nil || !isRegular(files[i]) {
			// Lines are read back by their offset: keep a copy.
			f, err := spoolCopy(sr.ctx, tmpDir, r)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			src.f, src.temp = f, true
		} else {
			files[i] = nil // closed with the sources
		}
		sr.sources = append(sr.sources, src)
		if err := sr.read(int32(len(sr.sources)-1), src); err != nil {
			return err
		}
	}
	if err := sr.dups.problem(); err != nil {
		sr.set.Problems = append(sr.set.Problems, err)
	}
	return nil
}

func isRegular(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// spoolCopy copies r into a temporary file in dir, positioned at its start.
func spoolCopy(ctx context.Context, dir string, r io.Reader) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".report-input-*")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, lines.ContextReader(ctx, r)); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// close closes the sources and removes the temporary copies.
func (sr *streamReader) close() {
	for _, s := range sr.sources {
		if s.f != nil {
			s.f.Close()
			if s.temp {
				os.Remove(s.f.Name())
			}
		}
	}
}

// read reads one input, telling its kind from its first bytes, as
// Set.read does.
func (sr *streamReader) read(si int32, src source) error {
	s, path, ctx := sr.set, src.path, sr.ctx
	br, kind, err := openInput(ctx, path, src.f)
	if err != nil {
		return err
	}
	in := Input{Path: path}
	switch kind {
	case KindProfile:
		in.Kind = KindProfile
		if err := s.readProfile(path, br); err != nil {
			return err
		}
	case KindResults:
		in.Kind = KindResults
		n, err := sr.readJSONL(si, path, br)
		if err != nil {
			return err
		}
		in.Results = n
	default:
		in.Kind = KindBench
		rs, errs := readBench(path, br, s.Units)
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Problems = append(s.Problems, errs...)
		in.Results = len(rs)
		for i := range rs {
			if err := sr.take(&rs[i], deriveOf(&rs[i]), nil, piece{}, nil, loc{src: -1}); err != nil {
				return err
			}
		}
		if err := sr.out.flush(nil); err != nil {
			return err
		}
	}
	s.Inputs = append(s.Inputs, in)
	return nil
}

// take adds one result read from an input: it is dropped if a duplicate,
// else written to the streamed formats (see streamOut.add) and collected.
func (sr *streamReader) take(r *metrics.Result, d derived, js []byte, jsSrc piece, bench []byte, l loc) error {
	if !sr.dups.keep(sr.col, r) {
		return nil
	}
	idx := sr.col.n
	if l.src < 0 {
		if sr.mem == nil {
			sr.mem = map[int]*metrics.Result{}
		}
		sr.mem[idx] = r
	}
	sr.locs = append(sr.locs, l)
	if err := sr.out.add(r, d, js, jsSrc, bench); err != nil {
		return err
	}
	sr.col.add(r, d)
	return nil
}

// A batch of lines that one worker decodes and encodes while the others
// take the next batches; the batches are taken in order, and written by
// the files' writers, after which they are reused (release).
type lineBatch struct {
	buf   []byte
	lines []batchLine
	items []batchItem
	out   []byte // the JSON encodings of the batch's results
	bout  []byte // their benchmark lines
	done  chan struct{}
	// The pieces of the streamed files and the bytes worked out when the
	// batch was taken (streamOut.begin).
	jsonP, benchP, csvP []piece
	extra, rows         []byte
	refs                atomic.Int32
	free                chan *lineBatch
}

// release drops a reference to the batch; the last one gives it back.
func (b *lineBatch) release() {
	if b.refs.Add(-1) == 0 {
		select {
		case b.free <- b:
		default:
		}
	}
}

type batchLine struct {
	from, to   int // in buf
	num        int
	start, end int64
	long       bool
	// whole: the line's bytes in the input are just from start to end,
	// its newline included (nothing trimmed, a newline at its end).
	whole bool
}

type batchItem struct {
	res    metrics.Result
	err    error
	d      derived
	js0    int // the result's JSON line in out, or in buf when raw
	js1    int
	b0, b1 int // its benchmark lines in out
	encErr error
	start  int64
	end    int64
	num    int
	long   bool
	// raw: the line is what appendRecord would write (canonical), so it
	// is written as it came; whole: from its input's bytes.
	raw, whole bool
}

const (
	batchLines = 256
	batchBytes = 1 << 20
)

// readJSONL reads JSON Lines of results as metrics.ReadJSONL does (the
// same problems, in the same order), decoding and encoding on every core.
func (sr *streamReader) readJSONL(si int32, path string, r io.Reader) (int, error) {
	ctx := sr.ctx
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *lineBatch, workers)
	ordered := make(chan *lineBatch, 2*workers+2)
	free := make(chan *lineBatch, 3*workers+4)
	wantJSON, wantBench := sr.out.json != nil, sr.out.bench != nil
	quit := make(chan struct{})
	defer close(quit)
	for range workers {
		go func() {
			dec := newFastDec()
			dec.lean, dec.full = true, wantJSON
			for b := range work {
				b.encode(dec, wantJSON, wantBench)
				close(b.done)
			}
		}()
	}
	var scanErr error
	var lastLine int
	go func() {
		defer close(ordered)
		defer close(work)
		sc := lines.NewScanner(r, lines.Max)
		// Batches come back once taken (free), with their buffers and
		// the containers of their results to reuse.
		next := func() *lineBatch {
			select {
			case b := <-free:
				b.buf, b.lines, b.done = b.buf[:0], b.lines[:0], make(chan struct{})
				return b
			default:
				return &lineBatch{done: make(chan struct{}), free: free}
			}
		}
		b := next()
		send := func() bool {
			select {
			case ordered <- b:
			case <-quit:
				return false
			}
			select {
			case work <- b:
			case <-quit:
				return false
			}
			b = next()
			return true
		}
		for sc.Scan() {
			lastLine = sc.Line()
			if sc.TooLong() {
				b.lines = append(b.lines, batchLine{num: sc.Line(), long: true})
			} else {
				t := bytes.TrimSpace(sc.Bytes())
				if len(t) == 0 {
					continue
				}
				from := len(b.buf)
				b.buf = append(b.buf, t...)
				whole := sc.Terminated() && int64(len(t)) == sc.End()-sc.Start()-1
				b.lines = append(b.lines, batchLine{from: from, to: len(b.buf), num: sc.Line(), start: sc.Start(), end: sc.End(), whole: whole})
				b.buf = append(b.buf, '\n') // a canonical line is written with it
			}
			if len(b.lines) >= batchLines || len(b.buf) >= batchBytes {
				if !send() {
					return
				}
			}
		}
		scanErr = sc.Err()
		lastLine = sc.Line()
		if len(b.lines) > 0 {
			send()
		}
	}()
	n := 0
	var firstErr error
	src := sr.sources[si].f
	for b := range ordered {
		<-b.done
		if firstErr != nil {
			continue
		}
		sr.out.begin(b)
		for i := range b.items {
			it := &b.items[i]
			switch {
			case it.long:
				sr.set.Problems = append(sr.set.Problems, &metrics.ReadError{File: path, Line: it.num,
					Err: errors.New("longer than " + strconv.Itoa(lines.Max>>20) + " MB, the limit of a result line")})
				continue
			case it.err != nil:
				sr.set.Problems = append(sr.set.Problems, &metrics.ReadError{File: path, Line: it.num, Err: it.err})
				continue
			}
			n++
			if p := it.res.Profile; p != "" {
				sr.set.addProfile(resolveProfile(path, p))
			}
			if it.encErr != nil {
				firstErr = fmt.Errorf("writing json: %w", it.encErr)
				break
			}
			var js, bench []byte
			var jsSrc piece
			switch {
			case wantJSON && it.raw && it.whole:
				jsSrc = piece{src: src, off: it.start, n: it.end - it.start}
			case wantJSON && it.raw:
				js = b.buf[it.js0:it.js1]
			case wantJSON:
				js = b.out[it.js0:it.js1]
			}
			if wantBench {
				bench = b.bout[it.b0:it.b1]
			}
			if err := sr.take(&it.res, it.d, js, jsSrc, bench, loc{src: si, start: it.start, end: it.end}); err != nil {
				firstErr = err
				break
			}
		}
		if err := sr.out.flush(b); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if scanErr != nil {
		sr.set.Problems = append(sr.set.Problems, &metrics.ReadError{File: path, Line: lastLine + 1, Err: scanErr})
	}
	return n, nil
}

// encode decodes the batch's lines and encodes their results for the
// streamed formats.
func (b *lineBatch) encode(dec *fastDec, wantJSON, wantBench bool) {
	for len(b.items) < len(b.lines) {
		b.items = append(b.items, batchItem{})
	}
	b.items = b.items[:len(b.lines)]
	b.out, b.bout = b.out[:0], b.bout[:0]
	for i, l := range b.lines {
		it := &b.items[i]
		dec.recycle(&it.res)
		*it = batchItem{res: it.res}
		it.num, it.long, it.start, it.end, it.whole = l.num, l.long, l.start, l.end, l.whole
		if l.long {
			continue
		}
		line := b.buf[l.from:l.to]
		dec.b, dec.i = line, 0
		if !dec.decode(&it.res) {
			dec.canon = false
			it.res, it.err = metrics.DecodeLine(line)
			if it.err != nil {
				continue
			}
		}
		it.d = deriveOf(&it.res)
		switch {
		case wantJSON && dec.canon:
			it.raw, it.js0, it.js1 = true, l.from, l.to+1
		case wantJSON:
			it.js0 = len(b.out)
			b.out, it.encErr = appendRecord(b.out, &it.res)
			it.js1 = len(b.out)
		}
		if wantBench {
			it.b0 = len(b.bout)
			b.bout = appendBenchLines(b.bout, &it.res, it.d.names)
			it.b1 = len(b.bout)
		}
	}
}

// readBack decodes the results at the given indexes again from their
// sources (or takes those held in memory).
func (sr *streamReader) readBack(idx []int) (map[int]*metrics.Result, error) {
	out := make(map[int]*metrics.Result, len(idx))
	order := slices.Clone(idx)
	slices.SortFunc(order, func(a, b int) int {
		la, lb := sr.locs[a], sr.locs[b]
		if la.src != lb.src {
			return int(la.src - lb.src)
		}
		return int(la.start - lb.start)
	})
	var buf []byte
	dec := newFastDec()
	for _, i := range order {
		l := sr.locs[i]
		if l.src < 0 {
			out[i] = sr.mem[i]
			continue
		}
		n := int(l.end - l.start)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := sr.sources[l.src].f.ReadAt(buf, l.start); err != nil {
			return nil, fmt.Errorf("reading %s again: %w", sr.sources[l.src].path, err)
		}
		r := new(metrics.Result)
		dec.b, dec.i = bytes.TrimSpace(buf), 0
		if !dec.decode(r) {
			var err error
			if *r, err = metrics.DecodeLine(dec.b); err != nil {
				return nil, fmt.Errorf("reading %s again: %w (was the file changed?)", sr.sources[l.src].path, err)
			}
		}
		out[i] = r
	}
	return out, nil
}

// --- the streamed formats -------------------------------------------

// streamOut writes the formats that list every result while they are
// read, each file by a goroutine of its own (fileWriter) from the pieces
// of each batch of results: results.jsonl (canonical lines copied from the
// input in the kernel), results.txt and results.csv behind first lines
// that depend on every result (the units, the columns): when the last
// result leaves them as they were, as in a sweep, nothing is copied.
type streamOut struct {
	dir   string
	units Units // as they are now: benchmark files add to them
	json  *fileWriter
	bench *fileWriter
	csv   *fileWriter
	// The pieces of the files of the results taken since the last flush,
	// and the bytes of results.txt and results.csv worked out here: they
	// belong to the batch being taken (begin) until its files are written.
	jsonP, benchP, csvP []piece
	extra, rows         []byte
	// results.txt is written behind the Unit lines of the first result's
	// metrics (bhead); a result whose configuration differs from the last
	// one's has the configuration lines (bfw) before its lines.
	bfw   *benchfmt.Writer
	bhead []byte
	bcfg  [5]string
	bhave bool
	// results.csv is written in the columns of the results so far (clay);
	// csvRuns are the layouts and how many rows each wrote.
	clay    *csvLayout
	csvRuns []csvRun
	// Every metric name (for the units of results.txt); lastNames are the
	// last result's, which the next ones of a sweep repeat.
	metricSeen map[string]bool
	lastNames  []string
}

// csvRun is rows of results.csv written in one layout.
type csvRun struct {
	lay  *csvLayout
	rows int
}

// piece is part of a streamed file: bytes, or n bytes of an input from
// off.
type piece struct {
	b      []byte
	src    *os.File
	off, n int64
}

// appendPiece appends p to ps, or extends the last piece when p follows
// it (bytes next in the same array, or the next bytes of the same input).
func appendPiece(ps []piece, p piece) []piece {
	if p.src == nil && len(p.b) == 0 {
		return ps
	}
	if k := len(ps); k > 0 {
		last := &ps[k-1]
		switch {
		case p.src != nil:
			if last.src == p.src && last.off+last.n == p.off {
				last.n += p.n
				return ps
			}
		case last.src == nil && len(last.b)+len(p.b) <= cap(last.b) && &last.b[:len(last.b)+1][len(last.b)] == &p.b[0]:
			last.b = last.b[:len(last.b)+len(p.b)]
			return ps
		}
	}
	return append(ps, p)
}

// fileWriter writes one streamed file from the pieces sent to it.
type fileWriter struct {
	f      *fsutil.File
	jobs   chan writeJob
	done   chan struct{}
	err    error // once done is closed
	failed atomic.Bool
	bw     *bufio.Writer
	buf    []byte
}

// writeJob is pieces to write; b, when not nil, is the batch they belong
// to, released once they are written.
type writeJob struct {
	ps []piece
	b  *lineBatch
}

func startWriter(f *fsutil.File) *fileWriter {
	w := &fileWriter{f: f, jobs: make(chan writeJob, 4), done: make(chan struct{}), bw: bufio.NewWriterSize(f, 1<<20)}
	go w.run(w.jobs)
	return w
}

func (w *fileWriter) run(jobs <-chan writeJob) {
	defer close(w.done)
	for j := range jobs {
		for _, p := range j.ps {
			if w.err != nil {
				break
			}
			if p.src == nil {
				_, w.err = w.bw.Write(p.b)
			} else if w.err = w.bw.Flush(); w.err == nil {
				if w.buf == nil {
					w.buf = make([]byte, 1<<20)
				}
				w.err = copyRange(w.f.File, p.src, p.off, p.n, w.buf)
			}
			if w.err != nil {
				w.failed.Store(true)
			}
		}
		if j.b != nil {
			j.b.release()
		}
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
}

// send queues pieces, unless writing failed; it returns the error then.
func (w *fileWriter) send(ps []piece, b *lineBatch) error {
	if w.failed.Load() {
		if b != nil {
			b.release()
		}
		return w.close()
	}
	w.jobs <- writeJob{ps, b}
	return nil
}

// close waits until everything sent is written and returns the first
// error.
func (w *fileWriter) close() error {
	if w.jobs != nil {
		close(w.jobs)
		w.jobs = nil
	}
	<-w.done
	return w.err
}

// appendWriter appends what is written to *b.
type appendWriter struct{ b *[]byte }

func (w appendWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

// newStreamOut starts the streamed formats among formats, except files
// that are inputs (never overwritten).
func newStreamOut(dir string, formats []Format, isInput func(string) bool, units Units) (*streamOut, error) {
	so := &streamOut{dir: dir, units: units, metricSeen: map[string]bool{}}
	so.bfw = benchfmt.NewWriter(appendWriter{&so.extra})
	for _, f := range formats {
		var name string
		var w **fileWriter
		switch f.Name {
		case "json":
			name, w = "results.jsonl", &so.json
		case "bench":
			name, w = "results.txt", &so.bench
		case "csv":
			name, w = "results.csv", &so.csv
		default:
			continue
		}
		if isInput(filepath.Join(dir, name)) {
			continue
		}
		file, err := fsutil.Create(filepath.Join(dir, name))
		if err != nil {
			so.abort()
			return nil, err
		}
		*w = startWriter(file)
	}
	return so, nil
}

// writers are the files being written.
func (so *streamOut) writers() []*fileWriter {
	var out []*fileWriter
	for _, w := range []*fileWriter{so.json, so.bench, so.csv} {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

// abort discards everything written.
func (so *streamOut) abort() {
	for _, w := range so.writers() {
		w.close()
		w.f.Abort()
	}
	so.json, so.bench, so.csv = nil, nil, nil
}

// begin takes the results of batch b: their pieces go into its lists.
func (so *streamOut) begin(b *lineBatch) {
	so.jsonP, so.benchP, so.csvP = b.jsonP[:0], b.benchP[:0], b.csvP[:0]
	so.extra, so.rows = b.extra[:0], b.rows[:0]
}

// flush sends the pieces of the results taken since begin (of batch b,
// released once they are written) or since the last flush (b nil) to
// their files.
func (so *streamOut) flush(b *lineBatch) error {
	lists := []*[]piece{&so.jsonP, &so.benchP, &so.csvP}
	ws := []*fileWriter{so.json, so.bench, so.csv}
	if b != nil {
		n := int32(1)
		for i, w := range ws {
			if w != nil && len(*lists[i]) > 0 {
				n++
			}
		}
		b.refs.Store(n)
		b.jsonP, b.benchP, b.csvP, b.extra, b.rows = so.jsonP, so.benchP, so.csvP, so.extra, so.rows
	}
	var err error
	for i, w := range ws {
		if w == nil || len(*lists[i]) == 0 {
			continue
		}
		if e := w.send(*lists[i], b); e != nil && err == nil {
			err = e
		}
		*lists[i] = nil
	}
	if b != nil {
		b.release()
	}
	so.extra, so.rows = nil, nil
	return err
}

// add takes one result. js is its JSON line (nil: encoded here) or jsSrc
// where the line is in its input (with its newline); bench its benchmark
// lines (nil: worked out here).
func (so *streamOut) add(r *metrics.Result, d derived, js []byte, jsSrc piece, bench []byte) error {
	if so.json != nil {
		switch {
		case jsSrc.src != nil:
			so.jsonP = appendPiece(so.jsonP, jsSrc)
		case js != nil:
			so.jsonP = appendPiece(so.jsonP, piece{b: js})
		default:
			enc, err := appendRecord(nil, r)
			if err != nil {
				return fmt.Errorf("writing json: %w", err)
			}
			so.jsonP = appendPiece(so.jsonP, piece{b: enc})
		}
	}
	if so.bench != nil {
		if !slices.Equal(d.names, so.lastNames) {
			for _, k := range d.names {
				so.metricSeen[k] = true
			}
			so.lastNames = d.names
		}
		if so.bhead == nil {
			so.bhead = so.benchHeader(so.units)
			so.benchP = appendPiece(so.benchP, piece{b: so.bhead})
		}
		if bench == nil {
			bench = appendBenchLines(nil, r, d.names)
		}
		if err := so.addBench(r, d.names, bench); err != nil {
			return err
		}
	}
	if so.csv != nil {
		so.addCSV(r, d)
	}
	return nil
}

// benchConfig is the file configuration WriteBenchUnits gives a result.
func benchConfig(r *metrics.Result) [5]string {
	pkg := "github.com/stratbench/stratbench"
	if p, ok := r.Params["pkg"].(string); ok && p != "" {
		pkg = p
	}
	return [5]string{r.Env.GOOS, r.Env.GOARCH, r.Env.CPU, pkg, r.Engine}
}

func benchConfigOf(c [5]string) []benchfmt.Config {
	return []benchfmt.Config{
		{Key: "goos", Value: []byte(c[0]), File: true},
		{Key: "goarch", Value: []byte(c[1]), File: true},
		{Key: "cpu", Value: []byte(c[2]), File: true},
		{Key: "pkg", Value: []byte(c[3]), File: true},
		{Key: "engine", Value: []byte(c[4]), File: true},
	}
}

// addBench adds a result's benchmark lines; when its configuration
// differs from the last one written, the first line goes through the
// benchfmt.Writer, which writes the configuration lines before it.
func (so *streamOut) addBench(r *metrics.Result, names []string, lines []byte) error {
	if len(lines) == 0 {
		return nil
	}
	cfg := benchConfig(r)
	if !so.bhave || cfg != so.bcfg {
		so.bhave, so.bcfg = true, cfg
		mark := len(so.extra)
		res := benchLine(r, names, 0, benchConfigOf(cfg))
		if err := so.bfw.Write(res); err != nil {
			return err
		}
		so.benchP = appendPiece(so.benchP, piece{b: so.extra[mark:]})
		lines = lines[bytes.IndexByte(lines, '\n')+1:]
	}
	so.benchP = appendPiece(so.benchP, piece{b: lines})
	return nil
}

// appendBenchLines appends r's lines of WriteBenchUnits (without the
// configuration lines): "Benchmark<name> 1 <value> <unit>...".
func appendBenchLines(b []byte, r *metrics.Result, names []string) []byte {
	n := 1
	for _, s := range r.Samples {
		n = max(n, len(s))
	}
	// Each metric's samples or value, looked up once: a sweep's record
	// has 24 lines of 16 metrics.
	type col struct {
		name    string
		samples []float64
		has     bool // samples, maybe empty: no value of its own
		value   float64
	}
	var arr [32]col
	cols := arr[:0]
	for _, k := range names {
		s, has := r.Samples[k]
		c := col{name: k, samples: s, has: has}
		if !has {
			c.value = r.Metrics[k]
		}
		cols = append(cols, c)
	}
	name := FullName(r)
	for i := range n {
		start := len(b)
		b = append(b, "Benchmark"...)
		b = append(b, name...)
		b = append(b, " 1"...)
		values := 0
		for j := range cols {
			c := &cols[j]
			v, ok := c.value, i == 0 && !c.has
			if c.has && i < len(c.samples) {
				v, ok = c.samples[i], true
			}
			if ok {
				b = append(b, ' ')
				b = appendFmtV(b, v)
				b = append(b, ' ')
				b = append(b, c.name...)
				values++
			}
		}
		if values == 0 {
			b = b[:start]
			continue
		}
		b = append(b, '\n')
	}
	return b
}

// appendFmtV formats v as fmt's %v does.
func appendFmtV(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Appendf(b, "%v", v)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// addCSV adds a result's row of results.csv, in the columns of the
// results so far, widened first if it brings new ones.
func (so *streamOut) addCSV(r *metrics.Result, d derived) {
	if so.clay == nil || !so.clay.fits(r, d.names) {
		if so.clay == nil {
			so.clay = newCSVLayout()
		} else {
			so.clay = so.clay.clone()
		}
		so.clay.add(r, d.names)
		if len(so.csvRuns) == 0 {
			so.csvP = appendPiece(so.csvP, piece{b: so.clay.header()})
		}
		so.csvRuns = append(so.csvRuns, csvRun{lay: so.clay})
	}
	so.csvRuns[len(so.csvRuns)-1].rows++
	mark := len(so.rows)
	so.rows = so.clay.appendRow(so.rows, r, d.label, d.scenario, d.names)
	so.csvP = appendPiece(so.csvP, piece{b: so.rows[mark:]})
}

// appendCSVField appends s as encoding/csv writes a field.
func appendCSVField[S ~string | ~[]byte](b []byte, s S) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"', '"')
		} else {
			b = append(b, s[i])
		}
	}
	return append(b, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes with a comma.
func csvNeedsQuotes[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	if string(s) == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r1, _ := utf8.DecodeRuneInString(string(s[:min(len(s), utf8.UTFMax)]))
	return unicode.IsSpace(r1)
}

// finish writes the streamed files (json: results.jsonl; bench:
// results.txt; csv: results.csv) with the report's final units.
func (so *streamOut) finish(units Units) error {
	var head []byte
	if so.bench != nil {
		head = so.benchHeader(units)
		if so.bhead == nil {
			so.bhead = head
			so.benchP = appendPiece(so.benchP, piece{b: head})
		}
	}
	if so.csv != nil && len(so.csvRuns) == 0 {
		so.csvP = appendPiece(so.csvP, piece{b: newCSVLayout().header()})
	}
	if err := so.flush(nil); err != nil {
		return err
	}
	for _, w := range so.writers() {
		if err := w.close(); err != nil {
			return err
		}
	}
	if so.json != nil {
		if err := so.json.f.Commit(); err != nil {
			return err
		}
		so.json = nil
	}
	if so.bench != nil {
		if bytes.Equal(head, so.bhead) {
			if err := so.bench.f.Commit(); err != nil {
				return err
			}
		} else {
			// The units changed: the same lines behind the right ones.
			f := so.bench.f
			end, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			from := int64(len(so.bhead))
			err = fsutil.WriteFile(filepath.Join(so.dir, "results.txt"), func(w io.Writer) error {
				if _, err := w.Write(head); err != nil {
					return err
				}
				_, err := io.Copy(w, io.NewSectionReader(f.File, from, end-from))
				return err
			})
			if err != nil {
				return err
			}
			f.Abort()
		}
		so.bench = nil
	}
	if so.csv != nil {
		if err := so.finishCSV(); err != nil {
			return err
		}
	}
	so.abort() // what is left
	return nil
}

// benchHeader is the Unit lines of WriteBenchUnits for the metrics seen.
func (so *streamOut) benchHeader(units Units) []byte {
	var b bytes.Buffer
	bw := benchfmt.NewWriter(&b)
	for _, u := range slices.Sorted(maps.Keys(so.metricSeen)) {
		_, better := units.Describe(u)
		if better == metrics.Neutral {
			continue
		}
		bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: better.String()})
	}
	return append(b.Bytes(), 0)[:b.Len()] // never nil
}

// finishCSV finishes results.csv (written, its writer closed): as
// written when every row was written in the final columns, else laid out
// again in them.
func (so *streamOut) finishCSV() error {
	f := so.csv.f
	if len(so.csvRuns) <= 1 {
		err := f.Commit()
		so.csv = nil
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	err := fsutil.WriteFile(filepath.Join(so.dir, "results.csv"), func(w io.Writer) error {
		return relayCSV(w, bufio.NewReaderSize(f, 1<<20), so.csvRuns)
	})
	if err != nil {
		return err
	}
	f.Abort()
	so.csv = nil
	return nil
}

// relayCSV copies results.csv from r, written in the layouts of runs, into
// w in the last one's columns.
func relayCSV(w io.Writer, r *bufio.Reader, runs []csvRun) error {
	final := runs[len(runs)-1].lay
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(final.header())
	fcols := final.columns()
	var fields [][]byte
	var err error
	if fields, err = readCSVRow(r, fields[:0]); err != nil { // the first layout's header
		return fmt.Errorf("reading results.csv again: %w", err)
	}
	for _, run := range runs {
		pos := map[string]int{}
		for i, c := range run.lay.columns() {
			pos[c] = i
		}
		from := make([]int, len(fcols))
		for j, c := range fcols {
			from[j] = -1
			if i, ok := pos[c]; ok {
				from[j] = i
			}
		}
		for range run.rows {
			if fields, err = readCSVRow(r, fields[:0]); err != nil {
				return fmt.Errorf("reading results.csv again: %w", err)
			}
			for j, i := range from {
				if j > 0 {
					bw.WriteByte(',')
				}
				if i >= 0 && i < len(fields) {
					bw.Write(fields[i])
				}
			}
			if err := bw.WriteByte('\n'); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// readCSVRow appends to fields the fields of the next row of r, as
// appendCSVField wrote them (quoted ones with their quotes); the slices
// are valid until the next read.
func readCSVRow(r *bufio.Reader, fields [][]byte) ([][]byte, error) {
	var line, long []byte
	quotes := 0
	for {
		var err error
		line, err = r.ReadSlice('\n')
		quotes += bytes.Count(line, []byte{'"'})
		if err == bufio.ErrBufferFull || (err == nil && quotes%2 == 1) {
			// A long row, or a newline in a quoted field.
			long = append(long, line...)
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fields, err
		}
		break
	}
	if long != nil {
		line = append(long, line...)
	}
	line = line[:len(line)-1]
	for start, quoted, i := 0, false, 0; ; i++ {
		if i == len(line) {
			return append(fields, line[start:]), nil
		}
		switch c := line[i]; {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
}
