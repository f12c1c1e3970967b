package suite

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stratbench/stratbench/internal/bad"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBadSuites checks the validation error of every bad suite in
// testdata/bad against its golden .err file (regenerate with -update).
// Each error must name the file and line, and be marked as bad input.
func TestBadSuites(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no bad suites")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := ParseFile(path)
			if err == nil {
				err = Check(f, false)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, bad.ErrInput) {
				t.Errorf("error not marked as bad input: %v", err)
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error does not start with the file name: %v", err)
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got != string(want) {
				t.Errorf("error:\n%s\nwant (%s):\n%s", got, golden, want)
			}
		})
	}
}

// TestExpand checks sweeps: lists and ranges multiply, in parameter-table
// order, and quick overrides apply.
func TestExpand(t *testing.T) {
	f, err := Parse("t.yaml", []byte(`
seed: 9
cases:
  - name: grid
    type: queueing
    load: {from: 0.5, to: 0.9, step: 0.2}
    policy: [rr, p2c]
    servers: 10
    quick: {load: 0.5}
`))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range Expand(f, false, nil) {
		ids = append(ids, r.ID)
		if r.Seed != 9 {
			t.Errorf("%s: seed %d, want 9", r.ID, r.Seed)
		}
	}
	want := []string{
		"grid/sim/policy=rr/servers=10/load=0.5",
		"grid/sim/policy=rr/servers=10/load=0.7",
		"grid/sim/policy=rr/servers=10/load=0.9",
		"grid/sim/policy=p2c/servers=10/load=0.5",
		"grid/sim/policy=p2c/servers=10/load=0.7",
		"grid/sim/policy=p2c/servers=10/load=0.9",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	if n := len(Expand(f, true, nil)); n != 2 {
		t.Errorf("quick: %d runs, want 2", n)
	}
	s := uint64(3)
	if r := Expand(f, false, &s)[0]; r.Seed != 3 {
		t.Errorf("--seed: run seed %d, want 3", r.Seed)
	}
}

// TestShardsPartition checks that shards i/n for all i together hold every
// run exactly once, whatever n.
func TestShardsPartition(t *testing.T) {
	runs := Expand(Default(), false, nil)
	for _, n := range []int{1, 2, 3, 7, len(runs) + 2} {
		seen := map[string]int{}
		for i := range n {
			for _, r := range Shard(runs, i, n) {
				seen[r.ID]++
			}
		}
		if len(seen) != len(runs) {
			t.Errorf("n=%d: %d distinct runs in shards, want %d", n, len(seen), len(runs))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("n=%d: run %s in %d shards", n, id, c)
			}
		}
	}
	for _, s := range []string{"1/1", "-1/2", "2", "a/b", "0/0", "0/2x", "0x/2", "0/2/3", " 0/2", "0/+2x"} {
		if _, _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
}

// TestDefaultSuiteValid checks the embedded suite, full and quick.
func TestDefaultSuiteValid(t *testing.T) {
	for _, quick := range []bool{false, true} {
		if err := Check(Default(), quick); err != nil {
			t.Errorf("quick=%v: %v", quick, err)
		}
	}
}

// FuzzParse checks that no suite text makes the parser panic, that errors
// are bad input naming the file, and that accepted suites expand.
func FuzzParse(f *testing.F) {
	f.Add(string(DefaultYAML()))
	f.Add("cases:\n  - type: queueing\n    load: {from: 0.1, to: 0.9, step: 0.1}\n")
	f.Add("cases:\n  - type: batch\n    executor: [pool]\n    quick: {tasks: 3}\n")
	f.Add("name: [1]\nseed: -1\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse("f.yaml", []byte(in))
		if err != nil {
			if !errors.Is(err, bad.ErrInput) || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error not bad input naming the file: %v", err)
			}
			return
		}
		if runs := Expand(file, false, nil); len(runs) > 1_000_000 {
			t.Skip("huge sweep")
		}
		Check(file, true)
	})
}

// FuzzParseShard: no --shard value panics, and an accepted one is exactly
// i/n written back (nothing after it ignored, as "0/2x" was).
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "0/2x", "1/1", "-0/1", "+0/1", "007/8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := ParseShard(s)
		if err != nil {
			if !strings.Contains(err.Error(), "shard: want i/n") {
				t.Errorf("ParseShard(%q): error %q does not say what is allowed", s, err)
			}
			return
		}
		if i < 0 || i >= n {
			t.Fatalf("ParseShard(%q) = %d/%d", s, i, n)
		}
		a, b, _ := strings.Cut(s, "/")
		if x, _ := strconv.Atoi(a); x != i || strings.ContainsAny(a+b, " x/") {
			t.Fatalf("ParseShard(%q) = %d/%d from text with more in it", s, i, n)
		}
	})
}
