package reports

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratbench/stratbench/metrics"
)

// sweepFixture holds real simulator records of one case of a suite sweep:
// six policies at three loads on 10 servers, one of them twice as fast,
// each with its batch-means samples, two with the warnings of a short run.
// Made with
//
//	stratbench sim --policy random,rr,jsq,p2c,sed,central --servers 10 \
//	  --speeds 2,1,1,1,1,1,1,1,1,1 --load 0.5,0.7,0.9 --jobs 200000 --format json -q
const sweepFixture = "testdata/sweep.jsonl"

// The axes of the sweep that writeSweep makes of the fixture, inner to
// outer: policy, load, servers, then seeds for as many records as asked.
var (
	sweepLoads   = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98}
	sweepServers = []float64{10, 20, 50, 100, 200}
)

// writeSweep writes n simulator records as a suite sweep over policies,
// loads, server counts and seeds gives them: the fixture's records renamed
// across those parameters (each record keeps the values of the fixture's
// record of its policy at the nearest of its three loads). A scenario is
// one load, server count and seed, so n records make n/6 scenarios and
// n/72 response-against-load groups.
func writeSweep(tb testing.TB, path string, n int) {
	tb.Helper()
	s, err := Load([]string{sweepFixture}, nil)
	if err != nil || len(s.Results) == 0 || len(s.Problems) > 0 {
		tb.Fatal(err, s.Problems)
	}
	base := s.Results
	var policies []string
	for i := range base {
		if p, _ := base[i].Params["policy"].(string); !slices.Contains(policies, p) {
			policies = append(policies, p)
		}
	}
	nLoads := len(base) / len(policies)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		p, c := i%len(policies), i/len(policies)
		li, si, seed := c%len(sweepLoads), c/len(sweepLoads)%len(sweepServers), c/(len(sweepLoads)*len(sweepServers))
		load, servers := sweepLoads[li], sweepServers[si]
		// The fixture's load nearest to this one: 0.5, 0.7 or 0.9.
		fl := min(nLoads-1, max(0, int((load-0.4)/0.2+0.5)))
		r := base[fl*len(policies)+p]
		r.Params = maps.Clone(r.Params)
		r.Params["load"], r.Params["servers"], r.Params["seed"] = load, servers, float64(seed+1)
		r.Env.Seed = uint64(seed + 1)
		var parts []string
		for _, pt := range nameParts(r.Name) {
			switch pt.key {
			case "load":
				pt.value = strconv.FormatFloat(load, 'g', -1, 64)
			case "servers":
				pt.value = strconv.FormatFloat(servers, 'g', -1, 64)
			}
			parts = append(parts, pt.String())
		}
		r.Name = strings.Join(append(parts, fmt.Sprintf("seed=%d", seed+1)), "/")
		if err := metrics.WriteJSON(w, &r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

var (
	sweepOut = flag.String("sweep.out", "", "TestWriteSweep writes a sweep of -sweep.records records into this file")
	sweepN   = flag.Int("sweep.records", 1000000, "records of the sweep TestWriteSweep writes")
	scaleN   = flag.String("scale.records", "1000,10000,100000", "comma-separated sweep sizes of BenchmarkReportScale (1000000 for issue 13's target)")
	scaleIn  = flag.String("scale.in", "", "BenchmarkReportScale reports this sweep (written by TestWriteSweep) instead of writing one of each -scale.records size")
)

// TestWriteSweep writes a sweep for measuring the command on it:
//
//	go test ./reports -run WriteSweep -sweep.out $PWD/out/sweep1m.jsonl -sweep.records 1000000
func TestWriteSweep(t *testing.T) {
	if *sweepOut == "" {
		t.Skip("give -sweep.out FILE to write a sweep")
	}
	writeSweep(t, *sweepOut, *sweepN)
}

// BenchmarkReportScale measures stratbench report (Run, every format) on
// a sweep of N records: records/s, the CPU time (user + system, which the
// load of a shared machine does not inflate as it does the wall time),
// the bytes allocated per record, the heap's peak per record (what the
// report holds), the process's peak RSS, the page's size per record and
// the size of every file the report wrote, per record.
// The sizes are -scale.records; -short runs only the first, and so does a
// smoke run (-benchtime 1x, as CI runs every benchmark once) unless
// -scale.records is given. -scale.in reports a sweep written before (by
// TestWriteSweep) instead, which saves writing a million records first:
//
//	go test ./reports -run '^$' -bench ReportScale -benchtime 1x -scale.records 1000000
//	go test ./reports -run WriteSweep -sweep.out $PWD/out/sweep1m.jsonl -sweep.records 1000000
//	go test ./reports -run '^$' -bench ReportScale -benchtime 1x -scale.in $PWD/out/sweep1m.jsonl
func BenchmarkReportScale(b *testing.B) {
	if *scaleIn != "" {
		n, err := countLines(*scaleIn)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { benchReport(b, *scaleIn, n) })
		return
	}
	var sizes []int
	for s := range strings.SplitSeq(*scaleN, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-scale.records: %q is not a positive number", s)
		}
		sizes = append(sizes, n)
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "scale.records" })
	if bt := flag.Lookup("test.benchtime"); testing.Short() || (!explicit && bt != nil && bt.Value.String() == "1x") {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			in := filepath.Join(b.TempDir(), "in.jsonl")
			writeSweep(b, in, n)
			benchReport(b, in, n)
		})
	}
}

// countLines counts the lines of a file.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n"))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// benchReport runs the report of the n records of in b.N times.
func benchReport(b *testing.B, in string, n int) {
	dir := b.TempDir()
	var peak uint64
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() { // the heap's peak, sampled
			var ms runtime.MemStats
			var p uint64
			for {
				runtime.ReadMemStats(&ms)
				p = max(p, ms.HeapAlloc)
				select {
				case <-stop:
					done <- p
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		err := Run(context.Background(), Config{Inputs: []string{in}, Out: out}, io.Discard, io.Discard)
		close(stop)
		peak = max(peak, <-done)
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			os.RemoveAll(out)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-sec/op")
	}
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
	}
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n)/float64(b.N), "alloc-B/record")
	b.ReportMetric(float64(peak)/float64(n), "peak-heap-B/record")
	if fi, err := os.Stat(filepath.Join(dir, "out0", "index.html")); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n), "html-B/record")
	}
	if des, err := os.ReadDir(filepath.Join(dir, "out0")); err == nil {
		var written int64
		for _, de := range des {
			if fi, err := de.Info(); err == nil && fi.Mode().IsRegular() {
				written += fi.Size()
			}
		}
		b.ReportMetric(float64(written)/float64(n), "written-B/record")
	}
}
