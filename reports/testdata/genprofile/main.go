// Command genprofile writes the small CPU profile that the reports tests
// read (testdata/cpu.pprof): two strategies labelled with pprof.Do, as the
// harness labels them, doing different kinds of work so that every
// category of "where the time went" has samples.
//
//	go run ./reports/testdata/genprofile -o reports/testdata/cpu.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

var sink []byte

// spin is the task code: pure computation.
func spin(n int) uint64 {
	x := uint64(1)
	for i := range n {
		x = x*6364136223846793005 + uint64(i)
	}
	return x
}

// pool runs tasks on a fixed set of workers fed by a channel.
func pool(d time.Duration) {
	deadline := time.Now().Add(d)
	ch := make(chan int, 64)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for n := range ch {
				spin(n)
			}
		})
	}
	for time.Now().Before(deadline) {
		ch <- 20000
	}
	close(ch)
	wg.Wait()
}

// goroutinePerTask starts a goroutine per tiny task and allocates in each,
// so that scheduling, allocation and GC show up.
func goroutinePerTask(d time.Duration, f *os.File) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				b := make([]byte, 4096)
				spin(200)
				sink = b
			})
		}
		wg.Wait()
		f.Write(sink[:64]) // a syscall now and then
	}
}

func main() {
	out := flag.String("o", "cpu.pprof", "output file")
	d := flag.Duration("d", 700*time.Millisecond, "time per strategy")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	pprof.Do(ctx, pprof.Labels("strategy", "pool", "workload", "spin"), func(context.Context) { pool(*d) })
	pprof.Do(ctx, pprof.Labels("strategy", "goroutine", "workload", "spin"), func(context.Context) { goroutinePerTask(*d, null) })
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
