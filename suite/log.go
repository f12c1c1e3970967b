package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
	"github.com/stratbench/stratbench/internal/lines"
	"github.com/stratbench/stratbench/metrics"
)

// Files that keep a suite's output directory consistent.
const (
	// ProgressFile records which suite wrote the directory (its first
	// line) and each run whose records are all in results.jsonl (one line
	// a run, appended after the records are synced): --resume trusts only
	// the runs it lists.
	ProgressFile = "progress.jsonl"
	// LockFile is held (flock) by the suite writing the directory and
	// holds its process id.
	LockFile = ".lock"
)

// header is the first line of progress.jsonl: what must match for
// --resume to continue a directory.
type header struct {
	Suite string `json:"suite"`
	Quick bool   `json:"quick"`
	Seed  uint64 `json:"seed"`
	Shard string `json:"shard"`
}

func (h header) String() string {
	s := fmt.Sprintf("suite %q, seed %d", h.Suite, h.Seed)
	if h.Quick {
		s = fmt.Sprintf("suite %q (quick), seed %d", h.Suite, h.Seed)
	}
	if h.Shard != "" {
		s += ", shard " + h.Shard
	}
	return s
}

// doneLine is one finished run in progress.jsonl.
type doneLine struct {
	Run     string `json:"run"`
	Records int    `json:"records"`
}

// lockDir takes an exclusive lock on dir, refusing when another process
// holds it. The lock ends with the process or with release.
func lockDir(dir string) (release func(), err error) {
	p := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(b))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%s is being written by another stratbench suite (pid %s): wait for it to end, or give another output directory", dir, pid)
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	// The file is never removed (removing it would let a third process
	// lock a new file while a second still waits on the old one).
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

// logLine is one record line of results.jsonl.
type logLine struct {
	run        string
	start, end int64
}

// scanResults reads every line of a results file without holding it in
// memory: the record lines by run, the offset of a torn last line (-1:
// none), whether the last line lacks its newline, and the lines that are
// not records of a suite.
func scanResults(path string) (recs []logLine, torn int64, noNL bool, problems []error, err error) {
	torn = -1
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, -1, false, nil, nil
	}
	if err != nil {
		return nil, -1, false, nil, err
	}
	defer f.Close()
	sc := lines.NewScanner(f, lines.Max)
	type bad struct {
		line  int
		start int64
		last  bool
		err   error
	}
	var bads []bad
	for sc.Scan() {
		var e error
		var res metrics.Result
		switch b := bytes.TrimSpace(sc.Bytes()); {
		case sc.TooLong():
			e = sc.TooLongError()
		case len(b) == 0:
			continue
		default:
			if res, e = metrics.DecodeLine(b); e == nil {
				id, ok := res.Params["suite_run"].(string)
				if !ok {
					e = errors.New("a result record, but not one of a suite (no params.suite_run)")
				} else {
					recs = append(recs, logLine{id, sc.Start(), sc.End()})
				}
			}
		}
		if e != nil {
			bads = append(bads, bad{sc.Line(), sc.Start(), false, e})
		}
		noNL = !sc.Terminated()
	}
	if err := sc.Err(); err != nil {
		return nil, -1, false, nil, err
	}
	// A torn write is the last line, cut before its newline, after at
	// least one record of ours: anything else we did not write.
	if n := len(bads); n > 0 && noNL && len(recs) > 0 && bads[n-1].start >= recs[len(recs)-1].end {
		torn = bads[n-1].start
		bads = bads[:n-1]
		noNL = false
	}
	for _, b := range bads {
		problems = append(problems, fmt.Errorf("%s:%d: %v", path, b.line, b.err))
	}
	return recs, torn, noNL, problems, nil
}

// readProgress reads progress.jsonl: its header (nil: no file) and the
// runs it says are complete, with their record counts. A torn or garbled
// line only makes its run count as not done.
func readProgress(path string) (*header, map[string]int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := lines.NewScanner(f, 1<<20)
	var h *header
	done := map[string]int{}
	for sc.Scan() {
		if sc.Line() == 1 {
			var hh header
			if err := json.Unmarshal(sc.Bytes(), &hh); err != nil || hh.Suite == "" {
				return nil, nil, bad.Inputf("%s:1: not the header of a suite's progress file", path)
			}
			h = &hh
			continue
		}
		var d doneLine
		if json.Unmarshal(sc.Bytes(), &d) == nil && d.Run != "" {
			done[d.Run] = d.Records
		}
	}
	if sc.Err() != nil {
		return nil, nil, sc.Err()
	}
	if h == nil {
		return nil, nil, bad.Inputf("%s is empty: not a suite's progress file", path)
	}
	return h, done, nil
}

// resumeLog checks that dir's results.jsonl and progress.jsonl were written
// by this suite (h) and lists the runs complete in it. It repairs what a
// crash can leave: a torn last line is cut off, a missing final newline is
// added, and the records of a run that is not complete (one of the two
// records of an engine "both" run) are removed so that it runs again.
// Lines it did not write make it refuse, and nothing is deleted then.
func resumeLog(dir string, h header, runs []Run, stderr io.Writer) (map[string]bool, error) {
	path := filepath.Join(dir, ResultsFile)
	ppath := filepath.Join(dir, ProgressFile)
	recs, torn, noNL, problems, err := scanResults(path)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 3 {
			more = fmt.Sprintf(" (and %d more)", len(problems)-3)
			problems = problems[:3]
		}
		if len(recs) == 0 {
			return nil, bad.Field("resume", ": %s is not a suite's results file (%v)%s: move it away, or run without {resume} (which sets it aside as %s.prev)", path, errors.Join(problems...), more, ResultsFile)
		}
		return nil, bad.Field("resume", ": %s has lines this suite did not write: %v%s; fix or remove them, or run without {resume}", path, strings.ReplaceAll(errors.Join(problems...).Error(), "\n", "; "), more)
	}
	known := map[string]bool{}
	for i := range runs {
		known[runs[i].ID] = true
	}
	count := map[string]int{}
	for _, r := range recs {
		if !known[r.run] {
			return nil, bad.Field("resume", ": %s holds run %s, which %s does not have: the directory was made by a different suite, {quick} or {shard}; give another {dir}, or run without {resume}", path, r.run, h)
		}
		count[r.run]++
	}
	ph, pdone, err := readProgress(ppath)
	if err != nil {
		return nil, err
	}
	if ph != nil && *ph != h {
		return nil, bad.Field("resume", ": %s was made by %s, not %s; give another {dir}, or run without {resume}", dir, *ph, h)
	}
	if ph == nil && len(recs) > 0 {
		// Written before progress.jsonl existed: every run with records
		// counts as complete, as it did then.
		pdone = count
		fmt.Fprintf(stderr, "stratbench: %s has no %s (an older stratbench wrote it): every run with records counts as complete\n", dir, ProgressFile)
	}
	done := map[string]bool{}
	var drop []string
	for id, n := range pdone {
		if known[id] && count[id] == n {
			done[id] = true
		}
	}
	for id, n := range count {
		if !done[id] {
			drop = append(drop, id)
			fmt.Fprintf(stderr, "stratbench: run %s is incomplete in %s (%d records, its end was never recorded): its records are removed and it runs again\n", id, ResultsFile, n)
		}
	}
	switch {
	case len(drop) > 0:
		if err := rewriteWithout(path, recs, drop); err != nil {
			return nil, err
		}
	case torn >= 0:
		if err := os.Truncate(path, torn); err != nil {
			return nil, fmt.Errorf("cutting the torn last line of %s: %w", path, err)
		}
	case noNL:
		if err := appendNewline(path); err != nil {
			return nil, err
		}
	}
	if torn >= 0 {
		fmt.Fprintf(stderr, "stratbench: %s ended in a torn line (a write cut by a crash): removed\n", path)
	}
	if err := writeProgress(ppath, h, runs, done, count); err != nil {
		return nil, err
	}
	return done, nil
}

// rewriteWithout rewrites path keeping the record lines of every run not
// in drop, byte for byte, atomically.
func rewriteWithout(path string, recs []logLine, drop []string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	return fsutil.WriteFile(path, func(w io.Writer) error {
		for _, r := range recs {
			if slices.Contains(drop, r.run) {
				continue
			}
			b := make([]byte, r.end-r.start)
			if _, err := in.ReadAt(b, r.start); err != nil {
				return err
			}
			if b[len(b)-1] != '\n' {
				b = append(b, '\n')
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendNewline(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeProgress writes progress.jsonl afresh: the header and the complete
// runs, in suite order.
func writeProgress(path string, h header, runs []Run, done map[string]bool, count map[string]int) error {
	return fsutil.WriteFile(path, func(w io.Writer) error {
		var buf bytes.Buffer
		b, _ := json.Marshal(h)
		buf.Write(append(b, '\n'))
		for i := range runs {
			if id := runs[i].ID; done[id] {
				b, _ := json.Marshal(doneLine{id, count[id]})
				buf.Write(append(b, '\n'))
			}
		}
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// markDone appends a run's completion to progress.jsonl and syncs it.
func markDone(f *os.File, id string, records int) error {
	b, _ := json.Marshal(doneLine{id, records})
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("appending to %s: %w", f.Name(), err)
	}
	return f.Sync()
}
