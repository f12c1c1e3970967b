package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// writeSweep writes n simulator records, the fixtures' sim records
// renamed across seeds (each seed its own scenario), as a large sweep
// would give them.
func writeSweep(tb testing.TB, path string, n int) {
	tb.Helper()
	s, err := Load([]string{"testdata/sim.jsonl"}, nil)
	if err != nil || len(s.Results) == 0 {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := 0; i < n; i++ {
		r := s.Results[i%len(s.Results)]
		r.Name = fmt.Sprintf("%s/seed=%d", r.Name, i/len(s.Results))
		if err := enc.Encode(&r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkReportScale measures stratbench report on a sweep of N records,
// every format: records/s, and bytes allocated per record and the peak
// heap per record (what holding the records costs).
func BenchmarkReportScale(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			in := filepath.Join(dir, "in.jsonl")
			writeSweep(b, in, n)
			var peak uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out := filepath.Join(dir, fmt.Sprint("out", i))
				if err := Run(context.Background(), Config{Inputs: []string{in}, Out: out}, io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapSys)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(peak)/float64(n), "heap-B/record")
			if fi, err := os.Stat(filepath.Join(dir, "out0", "index.html")); err == nil {
				b.ReportMetric(float64(fi.Size())/float64(n), "html-B/record")
			}
		})
	}
}
