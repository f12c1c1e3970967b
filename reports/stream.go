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
	"encoding/binary"
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
	"unicode"
	"unicode/utf8"

	"github.com/google/pprof/profile"

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
	br := bufio.NewReaderSize(lines.ContextReader(ctx, src.f), 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	in := Input{Path: path}
	switch sniff(head) {
	case KindProfile:
		in.Kind = KindProfile
		data, err := io.ReadAll(io.LimitReader(br, MaxProfile+1))
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if len(data) > MaxProfile {
			s.Problems = append(s.Problems, fmt.Errorf("%s: a profile larger than %d MB, the limit of a profile input: left out", path, MaxProfile>>20))
		} else if _, err := profile.ParseData(data); err != nil {
			s.Problems = append(s.Problems, fmt.Errorf("%s: %v", path, err))
		} else {
			s.addProfile(path)
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
			if err := sr.take(&rs[i], deriveOf(&rs[i]), nil, nil, loc{src: -1}); err != nil {
				return err
			}
		}
	}
	s.Inputs = append(s.Inputs, in)
	return nil
}

// take adds one result read from an input: it is dropped if a duplicate,
// else written to the streamed formats (js and bench are its encodings,
// worked out here when nil) and collected.
func (sr *streamReader) take(r *metrics.Result, d derived, js, bench []byte, l loc) error {
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
	if err := sr.out.add(r, d, js, bench); err != nil {
		return err
	}
	sr.col.add(r, d)
	return nil
}

// A batch of lines that one worker decodes and encodes while the others
// take the next batches; the batches are taken in order.
type lineBatch struct {
	buf   []byte
	lines []batchLine
	items []batchItem
	out   []byte // the encodings of the batch's results
	done  chan struct{}
}

type batchLine struct {
	from, to   int // in buf
	num        int
	start, end int64
	long       bool
}

type batchItem struct {
	res               metrics.Result
	err               error
	d                 derived
	js0, js1, b0, b1  int // the result's JSON and benchmark lines in out
	encErr            error
	start, end        int64
	num               int
	long, decoded, ok bool
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
				return &lineBatch{done: make(chan struct{})}
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
				b.lines = append(b.lines, batchLine{from: from, to: len(b.buf), num: sc.Line(), start: sc.Start(), end: sc.End()})
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
	for b := range ordered {
		<-b.done
		if firstErr != nil {
			continue
		}
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
			if wantJSON {
				js = b.out[it.js0:it.js1]
			}
			if wantBench {
				bench = b.out[it.b0:it.b1]
			}
			if err := sr.take(&it.res, it.d, js, bench, loc{src: si, start: it.start, end: it.end}); err != nil {
				firstErr = err
				break
			}
		}
		select {
		case free <- b:
		default:
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
	b.out = b.out[:0]
	for i, l := range b.lines {
		it := &b.items[i]
		dec.recycle(&it.res)
		*it = batchItem{res: it.res}
		it.num, it.long, it.start, it.end = l.num, l.long, l.start, l.end
		if l.long {
			continue
		}
		line := b.buf[l.from:l.to]
		dec.b, dec.i = line, 0
		if !dec.decode(&it.res) {
			it.res, it.err = metrics.DecodeLine(line)
			if it.err != nil {
				continue
			}
		}
		it.d = deriveOf(&it.res)
		if wantJSON {
			it.js0 = len(b.out)
			b.out, it.encErr = appendRecord(b.out, &it.res)
			it.js1 = len(b.out)
		}
		if wantBench {
			it.b0 = len(b.out)
			b.out = appendBenchLines(b.out, &it.res, it.d.names)
			it.b1 = len(b.out)
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
// read: results.jsonl directly, results.txt and results.csv into spools
// (their first lines depend on every result: the units, the parameter
// columns) that finish copies behind their header.
type streamOut struct {
	dir   string
	units Units // as they are now: benchmark files add to them
	json  *fsutil.File
	jw    *bufio.Writer
	// results.txt is written whole as its results come, behind the Unit
	// lines of the first result's metrics (bhead): if the last result
	// leaves them as they were, as in a sweep, nothing is copied.
	bench *fsutil.File
	bw    *bufio.Writer
	bfw   *benchfmt.Writer
	bhead []byte
	bcfg  [5]string
	bhave bool
	csv   *os.File // spool
	cw    *bufio.Writer
	// Every metric name (for the units of results.txt), the metrics and
	// parameter key sets of results.csv, numbered.
	metricSeen map[string]bool
	metricIDs  map[string]int
	metricList []string
	keysets    [][]string
	lastKeyset int
	keysetIDs  map[string]int
	tmp        []byte
}

// newStreamOut starts the streamed formats among formats, except files
// that are inputs (never overwritten).
func newStreamOut(dir string, formats []Format, isInput func(string) bool, units Units) (*streamOut, error) {
	so := &streamOut{dir: dir, units: units, metricSeen: map[string]bool{}, metricIDs: map[string]int{}}
	for _, f := range formats {
		switch f.Name {
		case "json":
			if !isInput(filepath.Join(dir, "results.jsonl")) {
				jf, err := fsutil.Create(filepath.Join(dir, "results.jsonl"))
				if err != nil {
					so.abort()
					return nil, err
				}
				so.json, so.jw = jf, bufio.NewWriterSize(jf, 1<<20)
			}
		case "bench":
			if !isInput(filepath.Join(dir, "results.txt")) {
				f, err := fsutil.Create(filepath.Join(dir, "results.txt"))
				if err != nil {
					so.abort()
					return nil, err
				}
				so.bench, so.bw = f, bufio.NewWriterSize(f, 1<<20)
				so.bfw = benchfmt.NewWriter(so.bw)
			}
		case "csv":
			if !isInput(filepath.Join(dir, "results.csv")) {
				f, err := os.CreateTemp(dir, ".results.csv.spool-*")
				if err != nil {
					so.abort()
					return nil, err
				}
				so.csv, so.cw = f, bufio.NewWriterSize(f, 1<<20)
			}
		}
	}
	return so, nil
}

// abort discards everything written.
func (so *streamOut) abort() {
	for _, f := range []*fsutil.File{so.json, so.bench} {
		if f != nil {
			f.Abort()
		}
	}
	for _, f := range []*os.File{so.csv} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	so.json, so.bench, so.csv = nil, nil, nil
}

// add writes one result; js and bench are its JSON line and benchmark
// lines when already encoded.
func (so *streamOut) add(r *metrics.Result, d derived, js, bench []byte) error {
	if so.json != nil {
		if js == nil {
			var err error
			if so.tmp, err = appendRecord(so.tmp[:0], r); err != nil {
				return fmt.Errorf("writing json: %w", err)
			}
			js = so.tmp
		}
		if _, err := so.jw.Write(js); err != nil {
			return err
		}
	}
	if so.bench != nil {
		for k := range r.Metrics {
			if !so.metricSeen[k] {
				so.metricSeen[k] = true
			}
		}
		if so.bhead == nil {
			so.bhead = so.benchHeader(so.units)
			if _, err := so.bw.Write(so.bhead); err != nil {
				return err
			}
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

// addBench writes a result's benchmark lines; when its configuration
// differs from the last one written, the first line goes through the
// benchfmt.Writer, which writes the configuration lines before it.
func (so *streamOut) addBench(r *metrics.Result, names []string, lines []byte) error {
	if len(lines) == 0 {
		return nil
	}
	cfg := benchConfig(r)
	if !so.bhave || cfg != so.bcfg {
		so.bhave, so.bcfg = true, cfg
		res := benchLine(r, names, 0, benchConfigOf(cfg))
		if err := so.bfw.Write(res); err != nil {
			return err
		}
		lines = lines[bytes.IndexByte(lines, '\n')+1:]
	}
	_, err := so.bw.Write(lines)
	return err
}

// appendBenchLines appends r's lines of WriteBenchUnits (without the
// configuration lines): "Benchmark<name> 1 <value> <unit>...".
func appendBenchLines(b []byte, r *metrics.Result, names []string) []byte {
	n := 1
	for _, s := range r.Samples {
		n = max(n, len(s))
	}
	name := FullName(r)
	for i := range n {
		start := len(b)
		b = append(b, "Benchmark"...)
		b = append(b, name...)
		b = append(b, " 1"...)
		values := 0
		for _, k := range names {
			v, ok := 0.0, false
			if s, has := r.Samples[k]; has {
				if i < len(s) {
					v, ok = s[i], true
				}
			} else if i == 0 {
				v, ok = r.Metrics[k], true
			}
			if ok {
				b = append(b, ' ')
				b = appendFmtV(b, v)
				b = append(b, ' ')
				b = append(b, k...)
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

// addCSV writes a result into the CSV spool: its leading fields, its
// parameter values (by its set of keys) and one row part per metric.
func (so *streamOut) addCSV(r *metrics.Result, d derived) {
	b := so.tmp[:0]
	fam, _, _ := cutFamily(FullName(r))
	mark := len(b)
	for i, f := range []string{r.Engine, fam, r.Name, d.label, d.scenario} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	b = appendSpoolLen(b, mark)
	ks := so.keysetOf(r.Params)
	b = binary.AppendUvarint(b, uint64(ks))
	for _, k := range so.keysets[ks] {
		mark := len(b)
		b = appendCSVField(b, formatParam(r.Params[k]))
		b = appendSpoolLen(b, mark)
	}
	names := d.names
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, m := range names {
		id, ok := so.metricIDs[m]
		if !ok {
			id = len(so.metricList)
			so.metricIDs[m] = id
			so.metricList = append(so.metricList, m)
		}
		b = binary.AppendUvarint(b, uint64(id))
		mark := len(b)
		b = strconv.AppendFloat(b, r.Metrics[m], 'g', -1, 64)
		b = append(b, ',')
		if ci, ok := r.CI95[m]; ok {
			b = strconv.AppendFloat(b, ci[0], 'g', -1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, ci[1], 'g', -1, 64)
		} else {
			b = append(b, ',')
		}
		b = append(b, ',')
		if s := r.Samples[m]; len(s) > 0 {
			b = strconv.AppendInt(b, int64(len(s)), 10)
		}
		b = appendSpoolLen(b, mark)
	}
	so.tmp = b
	so.cw.Write(b)
}

// appendSpoolLen turns b[mark:] into a length-prefixed field.
func appendSpoolLen(b []byte, mark int) []byte {
	var pre [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(pre[:], uint64(len(b)-mark))
	b = append(b, pre[:n]...)
	copy(b[mark+n:], b[mark:len(b)-n])
	copy(b[mark:], pre[:n])
	return b
}

// keysetOf numbers the set of params' keys (kept sorted); a sweep's
// records share a few sets.
func (so *streamOut) keysetOf(params map[string]any) int {
	has := func(ks []string) bool {
		if len(ks) != len(params) {
			return false
		}
		for _, k := range ks {
			if _, ok := params[k]; !ok {
				return false
			}
		}
		return true
	}
	if n := len(so.keysets); n > 0 && has(so.keysets[so.lastKeyset]) {
		return so.lastKeyset
	}
	keys := slices.Sorted(maps.Keys(params))
	id := strings.Join(keys, "\x00")
	i, ok := so.keysetIDs[id]
	if !ok {
		if so.keysetIDs == nil {
			so.keysetIDs = map[string]int{}
		}
		i = len(so.keysets)
		so.keysetIDs[id] = i
		so.keysets = append(so.keysets, keys)
	}
	so.lastKeyset = i
	return i
}

// formatParam is metrics.FormatValue, without fmt for the kinds of values
// records hold most.
func formatParam(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return metrics.FormatValue(v)
}

// appendCSVField appends s as encoding/csv writes a field.
func appendCSVField(b []byte, s string) []byte {
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
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r1, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r1)
}

// finish writes the streamed files (json: results.jsonl; bench:
// results.txt; csv: results.csv) with the report's final units.
func (so *streamOut) finish(units Units) error {
	if so.json != nil {
		if err := so.jw.Flush(); err != nil {
			return err
		}
		if err := so.json.Commit(); err != nil {
			return err
		}
		so.json = nil
	}
	if so.bench != nil {
		head := so.benchHeader(units)
		if so.bhead == nil {
			so.bhead = head
			so.bw.Write(head)
		}
		if err := so.bw.Flush(); err != nil {
			return err
		}
		if bytes.Equal(head, so.bhead) {
			if err := so.bench.Commit(); err != nil {
				return err
			}
		} else {
			// The units changed: the same lines behind the right ones.
			end, err := so.bench.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			from := int64(len(so.bhead))
			err = fsutil.WriteFile(filepath.Join(so.dir, "results.txt"), func(w io.Writer) error {
				if _, err := w.Write(head); err != nil {
					return err
				}
				_, err := io.Copy(w, io.NewSectionReader(so.bench.File, from, end-from))
				return err
			})
			if err != nil {
				return err
			}
			so.bench.Abort()
		}
		so.bench = nil
	}
	if so.csv != nil {
		if err := so.cw.Flush(); err != nil {
			return err
		}
		if err := fsutil.WriteFile(filepath.Join(so.dir, "results.csv"), func(w io.Writer) error { return so.writeCSV(w, units) }); err != nil {
			return err
		}
	}
	so.abort() // the spools
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

// writeCSV writes results.csv from the spool: the header, then each row
// with its metric's unit and its parameters in the columns of every key.
func (so *streamOut) writeCSV(w io.Writer, units Units) error {
	keys := map[string]bool{}
	for _, ks := range so.keysets {
		for _, k := range ks {
			keys[k] = true
		}
	}
	params := slices.Sorted(maps.Keys(keys))
	head := []string{"engine", "family", "name", "strategy", "scenario", "metric", "unit", "better", "value", "ci95_lo", "ci95_hi", "samples"}
	for _, k := range params {
		head = append(head, "param."+k)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	for i, h := range head {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCSVField(line, h)
	}
	bw.Write(append(line, '\n'))
	// The metric, its unit and direction, per metric.
	mcols := make([][]byte, len(so.metricList))
	for i, m := range so.metricList {
		unit, better := units.Describe(m)
		var b []byte
		b = appendCSVField(b, m)
		b = append(b, ',')
		b = appendCSVField(b, unit)
		b = append(b, ',')
		b = appendCSVField(b, better.String())
		mcols[i] = b
	}
	// Where each key set's values go among the columns.
	cols := make([][]int, len(so.keysets))
	for i, ks := range so.keysets {
		cols[i] = make([]int, len(params))
		for j, k := range params {
			cols[i][j] = slices.Index(ks, k)
		}
	}
	if _, err := so.csv.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd := bufio.NewReaderSize(so.csv, 1<<20)
	var prefix, tail, rest []byte
	var vals [][]byte
	field := func(dst []byte) ([]byte, error) {
		n, err := binary.ReadUvarint(rd)
		if err != nil {
			return dst, err
		}
		if cap(dst) < int(n) {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		_, err = io.ReadFull(rd, dst)
		return dst, err
	}
	for {
		var err error
		if prefix, err = field(prefix); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("reading the CSV spool: %w", err)
		}
		ks, err := binary.ReadUvarint(rd)
		if err != nil {
			return fmt.Errorf("reading the CSV spool: %w", err)
		}
		nk := len(so.keysets[ks])
		for len(vals) < nk {
			vals = append(vals, nil)
		}
		for j := range nk {
			if vals[j], err = field(vals[j]); err != nil {
				return fmt.Errorf("reading the CSV spool: %w", err)
			}
		}
		tail = tail[:0]
		for _, c := range cols[ks] {
			tail = append(tail, ',')
			if c >= 0 {
				tail = append(tail, vals[c]...)
			}
		}
		tail = append(tail, '\n')
		rows, err := binary.ReadUvarint(rd)
		if err != nil {
			return fmt.Errorf("reading the CSV spool: %w", err)
		}
		for range rows {
			id, err := binary.ReadUvarint(rd)
			if err != nil {
				return fmt.Errorf("reading the CSV spool: %w", err)
			}
			if rest, err = field(rest); err != nil {
				return fmt.Errorf("reading the CSV spool: %w", err)
			}
			bw.Write(prefix)
			bw.WriteByte(',')
			bw.Write(mcols[id])
			bw.WriteByte(',')
			bw.Write(rest)
			if _, err := bw.Write(tail); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
