package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/metrics"
)

const shardSuite = `name: shards
seed: 5
cases:
  - name: p
    type: queueing
    engine: sim
    policy: [random, jsq, p2c]
    servers: 4
    load: [0.5, 0.8]
    jobs: 3000
`

func parseSuite(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("shards.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// runShard runs shard i of n of f into dir/shard-i (n 0: unsharded into
// dir/whole) and returns its results file.
func runShard(t *testing.T, f *File, dir string, i, n int, seed *uint64) string {
	t.Helper()
	out := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
	if n == 0 {
		out = filepath.Join(dir, "whole")
	}
	if _, err := Execute(context.Background(), f, Options{Dir: out, Shard: i, Shards: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, ResultsFile)
}

// interruptShard runs shard i of n, stopping it after done runs, as a
// killed task would.
func interruptShard(t *testing.T, f *File, dir string, i, n, done int) string {
	t.Helper()
	out := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Execute(ctx, f, Options{Dir: out, Shard: i, Shards: n, Progress: func(d, total int, _ string) {
		if d == done {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("interrupted shard reported no error")
	}
	return filepath.Join(out, ResultsFile)
}

func checkMerge(inputs ...string) error {
	return CheckMerge(context.Background(), inputs, MergeOptions{})
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error with %q", parts)
	}
	if !errors.Is(err, bad.ErrInput) {
		t.Errorf("not marked as bad input: %v", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%v", p, err)
		}
	}
}

// figures reads results keyed by run, without what measures the machine.
func figures(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rs, errs := metrics.ReadJSONL(p, bytes.NewReader(b))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, r := range rs {
			r.Env = metrics.Env{}
			delete(r.Metrics, "events_per_sec")
			delete(r.Metrics, "wall_sec")
			j, _ := json.Marshal(r)
			id := r.Params["suite_run"].(string)
			if _, dup := out[id]; dup {
				t.Fatalf("run %s twice", id)
			}
			out[id] = string(j)
		}
	}
	return out
}

// TestShardsMergeWhole runs a suite whole and in 4 shards: the shards pass
// the merge check and hold exactly the whole suite's runs with the same
// figures.
func TestShardsMergeWhole(t *testing.T) {
	f := parseSuite(t, shardSuite)
	dir := t.TempDir()
	whole := runShard(t, f, dir, 0, 0, nil)
	var shards []string
	for i := range 4 {
		shards = append(shards, runShard(t, f, dir, i, 4, nil))
	}
	if err := checkMerge(shards...); err != nil {
		t.Fatal(err)
	}
	if err := checkMerge(whole); err != nil {
		t.Fatal(err)
	}
	a, b := figures(t, whole), figures(t, shards...)
	if len(a) != 6 || len(b) != len(a) {
		t.Fatalf("%d runs whole, %d in shards; want 6", len(a), len(b))
	}
	for id, w := range a {
		if b[id] != w {
			t.Errorf("run %s differs:\nwhole  %s\nshards %s", id, w, b[id])
		}
	}
}

// TestShardsRefused covers every way a set of shards is not one whole
// sweep.
func TestShardsRefused(t *testing.T) {
	f := parseSuite(t, shardSuite)
	other := parseSuite(t, strings.Replace(shardSuite, "[0.5, 0.8]", "[0.5, 0.7]", 1))
	dir := t.TempDir()
	var s [4]string
	for i := range 4 {
		s[i] = runShard(t, f, dir, i, 4, nil)
	}
	seed := uint64(9)
	d2 := t.TempDir()
	seeded := runShard(t, f, d2, 1, 4, &seed)
	d3 := t.TempDir()
	otherSuite := runShard(t, other, d3, 1, 4, nil)
	d4 := t.TempDir()
	threeShards := runShard(t, f, d4, 1, 3, nil)
	d5 := t.TempDir()
	cut := interruptShard(t, f, d5, 0, 2, 1)
	d6 := t.TempDir()
	copyOf := filepath.Join(d6, "shard-x", ResultsFile)
	copyDir(t, filepath.Dir(s[1]), filepath.Dir(copyOf))
	// A run whose records are in results.jsonl but whose end progress.jsonl
	// never recorded (a kill between the two) is not complete.
	unmarked := filepath.Join(d6, "shard-y", ResultsFile)
	copyDir(t, filepath.Dir(s[2]), filepath.Dir(unmarked))
	pp := filepath.Join(filepath.Dir(unmarked), ProgressFile)
	pb, err := os.ReadFile(pp)
	if err != nil {
		t.Fatal(err)
	}
	pl := strings.Split(strings.TrimSuffix(string(pb), "\n"), "\n")
	if err := os.WriteFile(pp, []byte(strings.Join(pl[:len(pl)-1], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		inputs []string
		want   []string
	}{
		{"missing", []string{s[0], s[1], s[3]}, []string{"shard 2 of 4 of suite shards (seed 5) missing", "rerun the missing or incomplete shards", "or pass partial to report"}},
		{"two missing", []string{s[0], s[3]}, []string{"shards 1, 2 of 4"}},
		{"missing file", []string{s[0], s[1], filepath.Join(dir, "shard-9", ResultsFile), s[3]}, []string{"shard-9/results.jsonl does not exist", "shard 2 of 4"}},
		{"seed", []string{s[0], seeded, s[2], s[3]}, []string{"seeds 5 and 9", "merge the shards of one sweep only"}},
		{"suite", []string{s[0], otherSuite, s[2], s[3]}, []string{"different suites"}},
		{"shard count", []string{s[0], threeShards}, []string{"4 and 3 shards"}},
		{"unmarked run", []string{s[0], s[1], unmarked, s[3]}, []string{"shard 2/4 of suite shards (shards.yaml, seed 5) incomplete: 0 of 1 runs"}},
		{"twice", []string{s[0], s[1], copyOf, s[2], s[3]}, []string{"shard 1/4 given twice"}},
		{"incomplete", []string{cut, runShard(t, f, d5, 1, 2, nil)}, []string{"shard 0/2 of suite shards (shards.yaml, seed 5) incomplete: 1 of 3 runs", "missing p/sim/policy="}},
		{"incomplete unsharded", []string{interruptShard(t, f, t.TempDir(), 0, 1, 2)}, []string{"suite shards (shards.yaml, seed 5) incomplete: 2 of 6 runs", "and 1 more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, checkMerge(tc.inputs...), tc.want...)
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// TestShardKilledThenResumed is the batch system's story: a task killed
// mid-shard leaves an incomplete shard that the merge names; rerunning it
// with --resume completes the sweep without redoing the finished runs.
func TestShardKilledThenResumed(t *testing.T) {
	f := parseSuite(t, shardSuite)
	dir := t.TempDir()
	s0 := runShard(t, f, dir, 0, 2, nil)
	s1 := interruptShard(t, f, dir, 1, 2, 1)
	wantErr(t, checkMerge(s0, s1), "shard 1/2", "incomplete: 1 of 3 runs")
	sum, err := Execute(context.Background(), f, Options{Dir: filepath.Dir(s1), Shard: 1, Shards: 2, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 1 || sum.Done != 2 {
		t.Errorf("resumed shard: %d skipped, %d done; want 1 and 2", sum.Skipped, sum.Done)
	}
	if err := checkMerge(s0, s1); err != nil {
		t.Fatal(err)
	}
	whole := runShard(t, f, t.TempDir(), 0, 0, nil)
	a, b := figures(t, whole), figures(t, s0, s1)
	if !slices.Equal(sortedKeys(a), sortedKeys(b)) {
		t.Fatalf("runs differ: %v and %v", sortedKeys(a), sortedKeys(b))
	}
	for id := range a {
		if a[id] != b[id] {
			t.Errorf("run %s differs after resuming", id)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for id := range m {
		k = append(k, id)
	}
	slices.Sort(k)
	return k
}

// TestMergePartialAndWait: --partial reports part of a sweep with a
// warning; --wait waits for the shard still running.
func TestMergePartialAndWait(t *testing.T) {
	f := parseSuite(t, shardSuite)
	dir := t.TempDir()
	s0 := runShard(t, f, dir, 0, 2, nil)
	s1 := filepath.Join(dir, "shard-1", ResultsFile)
	var warn bytes.Buffer
	if err := CheckMerge(context.Background(), []string{s0, s1}, MergeOptions{Partial: true, Stderr: &warn}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "warning: shard 1 of 2") || !strings.Contains(warn.String(), "part of the sweep") {
		t.Errorf("warning: %q", warn.String())
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(50 * time.Millisecond)
		runShard(t, f, dir, 1, 2, nil)
	})
	var said bytes.Buffer
	err := CheckMerge(context.Background(), []string{s0, s1}, MergeOptions{Wait: time.Minute, Poll: 10 * time.Millisecond, Stderr: &said})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said.String(), "waiting up to 1m0s") {
		t.Errorf("wait message: %q", said.String())
	}

	// A wait that runs out says what is still missing.
	err = CheckMerge(context.Background(), []string{s0, filepath.Join(dir, "shard-7", ResultsFile)}, MergeOptions{Wait: 30 * time.Millisecond, Poll: 10 * time.Millisecond})
	wantErr(t, err, "shard-7/results.jsonl does not exist")
	// Mixing sweeps is refused at once, not waited for.
	seed := uint64(2)
	other := runShard(t, f, t.TempDir(), 1, 2, &seed)
	start := time.Now()
	wantErr(t, CheckMerge(context.Background(), []string{s0, other}, MergeOptions{Wait: time.Minute}), "seeds 5 and 2")
	if time.Since(start) > 5*time.Second {
		t.Error("a mix of sweeps was waited for")
	}
}

// TestMergeIgnoresOtherFiles: results that no suite wrote, and suites that
// are not sharded, are merged as before.
func TestMergeIgnoresOtherFiles(t *testing.T) {
	f := parseSuite(t, shardSuite)
	a := runShard(t, f, t.TempDir(), 0, 0, nil)
	b := runShard(t, parseSuite(t, strings.Replace(shardSuite, "seed: 5", "seed: 6", 1)), t.TempDir(), 0, 0, nil)
	plain := filepath.Join(t.TempDir(), "sim.jsonl")
	if err := os.WriteFile(plain, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkMerge(a, b, plain, "-"); err != nil {
		t.Fatalf("two whole suites and a plain file: %v", err)
	}
}

// TestResumeOtherShardRefused: --resume into the directory of another
// seed or shard would take its results for this run's (progress.jsonl
// refuses it); starting over rewrites the manifest.
func TestResumeOtherShardRefused(t *testing.T) {
	f := parseSuite(t, shardSuite)
	dir := t.TempDir()
	out := filepath.Dir(runShard(t, f, dir, 1, 4, nil))
	seed := uint64(8)
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{"seed", Options{Dir: out, Shard: 1, Shards: 4, Seed: &seed, Resume: true}, "seed 8"},
		{"shard", Options{Dir: out, Shard: 2, Shards: 4, Resume: true}, "shard 2/4"},
		{"quick", Options{Dir: out, Shard: 1, Shards: 4, Quick: true, Resume: true}, "(quick)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Execute(context.Background(), f, tc.opt)
			wantErr(t, err, tc.want, "give another dir, or run without resume")
		})
	}
	// The same shard resumes; without --resume another one starts over.
	if _, err := Execute(context.Background(), f, Options{Dir: out, Shard: 1, Shards: 4, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(context.Background(), f, Options{Dir: out, Shard: 2, Shards: 4}); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(out)
	if err != nil || m.Shard != 2 {
		t.Fatalf("manifest after starting over: %+v, %v", m, err)
	}
}

// FuzzCheckMerge feeds arbitrary manifests, progress and results files to
// the merge check: it may refuse them, never panic, and what it refuses is
// marked as bad input.
func FuzzCheckMerge(f *testing.F) {
	f.Add([]byte(`{"suite":"s","file":"s.yaml","digest":"d","quick":false,"seed":1,"shard":0,"shards":2,"suite_runs":2,"runs":["a"]}`),
		[]byte(`{"suite":"s","quick":false,"seed":1,"shard":"0/2"}`+"\n"+`{"run":"a","records":1}`+"\n"),
		[]byte(`{"params":{"suite_run":"a"}}`+"\n"))
	f.Add([]byte(`{"shards":0}`), []byte(""), []byte("{\n"))
	f.Add([]byte(`{"shard":3,"shards":2,"runs":null}`), []byte("\n\n"), []byte(`{"params":{"suite_run":7}}`))
	f.Fuzz(func(t *testing.T, manifest, progress, results []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{ManifestFile: manifest, ProgressFile: progress, ResultsFile: results} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		in := filepath.Join(dir, ResultsFile)
		if _, err := checkMergeOnce([]string{in, in}); err != nil && !errors.Is(err, bad.ErrInput) {
			t.Errorf("error not marked as bad input: %v", err)
		}
	})
}
