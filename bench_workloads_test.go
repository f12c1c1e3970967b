package stratbench_test

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stratbench/stratbench/strategies"
	"github.com/stratbench/stratbench/workloads"
	"github.com/stratbench/stratbench/workloads/kernels"
	"github.com/stratbench/stratbench/workloads/xmark"
)

// BenchmarkKernels runs every twin of every family on the family's default
// input size. Work units go to b.SetBytes (bytes) or b.ReportMetric
// (elements/s, flops/s), so that `benchstat -col /variant` compares the
// twins of a family:
//
//	go test -run '^$' -bench 'Kernels/family=sum' -cpu 1 -count 10 . > k.txt
//	benchstat -col /variant k.txt
//
// The sum family also runs on 4M elements (32 MB, more than the caches
// below the last level), where the parallel variant pays for its goroutines.
func BenchmarkKernels(b *testing.B) {
	for _, f := range kernels.Families() {
		sizes := []int{f.N}
		if f.Name == "sum" {
			sizes = append(sizes, 1<<22)
		}
		for _, n := range sizes {
			benchFamily(b, f, n)
		}
	}
}

func benchFamily(b *testing.B, f *kernels.Family, n int) {
	in := f.NewInput(n, 1)
	work := in.Work()
	for _, v := range f.Variants {
		b.Run(benchName("family", f.Name, "variant", v.Name, "n", n), func(b *testing.B) {
			if f.Unit == "bytes" {
				b.SetBytes(int64(work))
			}
			b.ReportAllocs()
			var r kernels.Result
			t0 := time.Now()
			for b.Loop() {
				r = v.Run(in)
			}
			if f.Unit != "bytes" {
				b.ReportMetric(work*float64(b.N)/time.Since(t0).Seconds(), f.Unit+"/s")
			}
			_ = r
		})
	}
}

// benchScale is the scale of the generated document of BenchmarkXML: 0.01
// (about 1 MB) keeps `-benchtime 1x` fast; STRATBENCH_XML_SCALE=0.1 (10 MB)
// measures steadier figures.
func benchScale() float64 {
	if s, err := strconv.ParseFloat(os.Getenv("STRATBENCH_XML_SCALE"), 64); err == nil && s > 0 {
		return s
	}
	return 0.01
}

var benchDoc = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if _, err := xmark.Generate(&buf, xmark.GenConfig{Scale: benchScale(), Seed: 1}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkXML runs the XML kernel ladder on one generated document:
// mode=stream reads it as a stream on one goroutine (allocs/op is
// allocations per document); mode=chunks cuts it into 4×workers spans run
// by a pool of workers (the parallel speedup is workers=2 against
// workers=1 at -cpu 2).
func BenchmarkXML(b *testing.B) {
	doc := benchDoc()
	want, err := xmark.Kernels()[len(xmark.Kernels())-1].RunBytes("doc", doc)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range xmark.Kernels() {
		b.Run(benchName("kernel", k.Name, "mode", "stream", "workers", 1), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				got, err := k.Run("doc", bytes.NewReader(doc))
				if err != nil || got != want {
					b.Fatalf("answers %v, %v; want %v", got, err, want)
				}
			}
		})
		for _, workers := range []int{1, 2} {
			ex, err := strategies.NewExecutor("pool", strategies.ExecutorConfig{Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(benchName("kernel", k.Name, "mode", "chunks", "workers", workers), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					got, err := k.RunChunks(ex, "doc", doc, 4*workers)
					if err != nil || got != want {
						b.Fatalf("answers %v, %v; want %v", got, err, want)
					}
				}
			})
		}
	}
}

var benchDocs = sync.OnceValue(func() [][]byte {
	docs, err := xmark.GenerateDocs(xmark.GenConfig{Seed: 1}, 200)
	if err != nil {
		panic(err)
	}
	return docs
})

// BenchmarkXMLDocs runs 200 small documents (1-20 KB) through the
// per-document strategies: a goroutine per document, a pool, a batched
// pool, on 2 workers.
func BenchmarkXMLDocs(b *testing.B) {
	docs := benchDocs()
	names := make([]string, len(docs))
	var total int64
	for i, d := range docs {
		names[i] = xmark.DocName(i)
		total += int64(len(d))
	}
	for _, kname := range []string{"token", "fast"} {
		k, _ := xmark.Lookup(kname)
		for _, exName := range []string{"sequential", "goroutine", "pool", "batch"} {
			ex, err := strategies.NewExecutor(exName, strategies.ExecutorConfig{Workers: 2})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(benchName("kernel", kname, "executor", exName, "workers", 2), func(b *testing.B) {
				b.SetBytes(total)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := k.RunDocs(ex, names, docs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkXMLGen measures the generator's speed (the target is 100 MB/s).
func BenchmarkXMLGen(b *testing.B) {
	scale := benchScale()
	b.Run(benchName("scale", scale), func(b *testing.B) {
		var n int64
		for b.Loop() {
			var err error
			if n, err = xmark.Generate(io.Discard, xmark.GenConfig{Scale: scale, Seed: 1}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(n)
	})
}

// BenchmarkMem measures one dependent random read over a buffer twice the
// last-level cache (the cost the mem workload is calibrated with).
func BenchmarkMem(b *testing.B) {
	size := workloads.DefaultMemBuffer()
	t, err := workloads.NewBatch("mem", workloads.BatchConfig{Tasks: 1, Unit: time.Millisecond, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	reads, _ := t.Work()
	b.Run(benchName("buffer_mb", size>>20), func(b *testing.B) {
		for b.Loop() {
			t.Reset()
			t.Run(0)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e9/(reads*float64(b.N)), "ns/read")
	})
}
