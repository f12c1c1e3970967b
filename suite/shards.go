package suite

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratbench/stratbench/internal/bad"
	"github.com/stratbench/stratbench/internal/fsutil"
)

// ManifestFile names the file in a suite's output directory that says what
// the directory holds: which suite, quick or not, which seed, which shard
// and which runs, so that merging shards can tell a whole sweep from a
// partial one.
const ManifestFile = "suite.json"

// Manifest describes what a suite's output directory is meant to hold.
type Manifest struct {
	// Suite is the suite's name; File the suite file as given ("default"
	// for the embedded suite).
	Suite string `json:"suite"`
	File  string `json:"file"`
	// Digest identifies the whole suite's runs (their IDs and seeds, before
	// sharding): shards of one sweep have the same digest.
	Digest string `json:"digest"`
	// Quick is set under --quick.
	Quick bool `json:"quick"`
	// Seed is the seed in effect (--seed, else the suite's).
	Seed uint64 `json:"seed"`
	// Shard is this directory's shard of Shards (0 of 1 when not sharded).
	Shard  int `json:"shard"`
	Shards int `json:"shards"`
	// SuiteRuns is the number of runs of the whole suite.
	SuiteRuns int `json:"suite_runs"`
	// Runs are the IDs of this shard's runs, in order.
	Runs []string `json:"runs"`
}

// NewManifest describes shard shard of shards of suite f (shards 0: the
// whole suite).
func NewManifest(f *File, quick bool, seed *uint64, shard, shards int) *Manifest {
	all := Expand(f, quick, seed)
	h := sha256.New()
	for _, r := range all {
		fmt.Fprintf(h, "%s\x00%d\n", r.ID, r.Seed)
	}
	m := &Manifest{Suite: f.Name, File: f.Path, Digest: hex.EncodeToString(h.Sum(nil)), Quick: quick,
		Seed: f.Seed, Shard: shard, Shards: shards, SuiteRuns: len(all), Runs: []string{}}
	if seed != nil {
		m.Seed = *seed
	}
	if shards <= 0 {
		m.Shard, m.Shards = 0, 1
	}
	for _, r := range all {
		if r.Index%m.Shards == m.Shard {
			m.Runs = append(m.Runs, r.ID)
		}
	}
	return m
}

// what names the shard and its sweep for messages: "shard 2/4 of suite
// policies (examples/policies.yaml, quick, seed 7)".
func (m *Manifest) what() string {
	s := "suite " + m.Suite
	if m.Shards > 1 {
		s = fmt.Sprintf("shard %d/%d of %s", m.Shard, m.Shards, s)
	}
	q := ""
	if m.Quick {
		q = ", quick"
	}
	return fmt.Sprintf("%s (%s%s, seed %d)", s, m.File, q, m.Seed)
}

// ReadManifest reads dir's manifest; it returns nil and no error when dir
// has none.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, bad.Input(err)
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, bad.Inputf("%s: not a suite manifest: %v", path, err)
	}
	if m.Shards < 1 || m.Shard < 0 || m.Shard >= m.Shards {
		return nil, bad.Inputf("%s: shard %d/%d is not i/n with 0 <= i < n", path, m.Shard, m.Shards)
	}
	return &m, nil
}

// writeManifest records in opt.Dir which suite, seed and shard it holds
// (--resume's own check of the directory is progress.jsonl's header).
func writeManifest(f *File, opt Options) error {
	b, err := json.MarshalIndent(NewManifest(f, opt.Quick, opt.Seed, opt.Shard, opt.Shards), "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(filepath.Join(opt.Dir, ManifestFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// MergeOptions control CheckMerge.
type MergeOptions struct {
	// Partial turns missing and incomplete shards into warnings on Stderr
	// instead of a refusal.
	Partial bool
	// Wait, when positive, waits up to this long for missing and
	// incomplete shards to be finished (by pods or tasks still running).
	Wait time.Duration
	// Poll is the interval between checks while waiting (0: 10s).
	Poll time.Duration
	// Stderr receives warnings and what is waited for (nil: discarded).
	Stderr io.Writer
}

// CheckMerge checks result files before they are merged into one report.
// Those that a suite wrote (DIR/results.jsonl beside DIR/suite.json) must
// be whole: every run of their manifest present. When any is a shard, all
// must be shards of one sweep (same suite, runs, quick setting, seed and
// shard count), each shard given once and none missing. Inputs that no
// suite wrote are not checked. Mixing sweeps is always refused; missing
// or incomplete shards are refused unless opt.Partial, and waited for up
// to opt.Wait.
func CheckMerge(ctx context.Context, inputs []string, opt MergeOptions) error {
	stderr := opt.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	poll := opt.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	deadline := time.Now().Add(opt.Wait)
	said := false
	for {
		pending, err := checkMergeOnce(inputs)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		if opt.Wait > 0 && time.Now().Before(deadline) {
			if !said {
				fmt.Fprintf(stderr, "stratbench report: waiting up to %s for the sweep to finish:\n  %s\n", opt.Wait, strings.Join(pending, "\n  "))
				said = true
			}
			t := time.NewTimer(min(poll, time.Until(deadline)))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		if opt.Partial {
			for _, p := range pending {
				fmt.Fprintf(stderr, "stratbench report: warning: %s; the report shows part of the sweep (partial, as asked)\n", p)
			}
			return nil
		}
		return bad.Field("", "not a whole sweep, refusing to report part of it as the whole:\n  %s\nrerun the missing or incomplete shards (a shard whose directory exists resumes where it stopped), or pass {partial} to report what there is",
			strings.Join(pending, "\n  "))
	}
}

// shardInput is a result file with its directory's manifest.
type shardInput struct {
	path string
	m    *Manifest
}

// checkMergeOnce returns the problems that finishing the sweep would solve
// (missing and incomplete shards), or an error for those it would not.
func checkMergeOnce(inputs []string) (pending []string, err error) {
	var shards []shardInput
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		st, statErr := os.Stat(in)
		if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
			return nil, bad.Input(statErr)
		}
		if filepath.Base(in) != ResultsFile || (statErr == nil && st.IsDir()) {
			if statErr != nil {
				pending = append(pending, in+" does not exist")
			}
			continue
		}
		m, err := ReadManifest(filepath.Dir(in))
		if err != nil {
			return nil, err
		}
		if m == nil {
			if statErr != nil {
				pending = append(pending, in+" does not exist (a shard that has not started?)")
			}
			continue
		}
		shards = append(shards, shardInput{in, m})
	}
	if i := slices.IndexFunc(shards, func(s shardInput) bool { return s.m.Shards > 1 }); i >= 0 {
		first := shards[i]
		seen := map[int]string{}
		for _, s := range shards {
			if d := differs(first.m, s.m); d != "" {
				return nil, bad.Inputf("%s holds %s, but %s holds %s: %s; merge the shards of one sweep only",
					filepath.Dir(first.path), first.m.what(), filepath.Dir(s.path), s.m.what(), d)
			}
			if p, dup := seen[s.m.Shard]; dup {
				return nil, bad.Inputf("shard %d/%d given twice: %s and %s", s.m.Shard, s.m.Shards, p, s.path)
			}
			seen[s.m.Shard] = s.path
		}
		var missing []string
		for i := range first.m.Shards {
			if _, ok := seen[i]; !ok {
				missing = append(missing, strconv.Itoa(i))
			}
		}
		if len(missing) > 0 {
			// Inputs that do not exist were named above already; this
			// says which shards they are missing.
			word := "shard"
			if len(missing) > 1 {
				word = "shards"
			}
			pending = append(pending, fmt.Sprintf("%s %s of %d of suite %s (seed %d) missing: no results of them among the inputs (a task or pod that failed or never ran)",
				word, strings.Join(missing, ", "), first.m.Shards, first.m.Suite, first.m.Seed))
		}
	}
	for _, s := range shards {
		p, err := incomplete(s)
		if err != nil {
			return nil, err
		}
		if p != "" {
			pending = append(pending, p)
		}
	}
	return pending, nil
}

// differs says how two manifests are not of one sweep ("" if they are).
func differs(a, b *Manifest) string {
	switch {
	case a.Seed != b.Seed:
		return fmt.Sprintf("seeds %d and %d", a.Seed, b.Seed)
	case a.Quick != b.Quick:
		return "one ran under --quick, the other not"
	case a.Shards != b.Shards:
		return fmt.Sprintf("%d and %d shards", a.Shards, b.Shards)
	case a.Digest != b.Digest:
		return fmt.Sprintf("different suites (%d and %d runs, or other runs)", a.SuiteRuns, b.SuiteRuns)
	}
	return ""
}

// incomplete says which runs of s's manifest its results file lacks ("" if
// none).
func incomplete(s shardInput) (string, error) {
	have, err := runsIn(s.path)
	if err != nil {
		return "", err
	}
	// A run is complete once progress.jsonl says so (its records are all
	// in results.jsonl); directories written before it existed count every
	// run with records.
	if _, done, err := readProgress(filepath.Join(filepath.Dir(s.path), ProgressFile)); err != nil {
		return "", err
	} else if done != nil {
		for id := range have {
			if _, ok := done[id]; !ok {
				delete(have, id)
			}
		}
	}
	var lack []string
	for _, id := range s.m.Runs {
		if !have[id] {
			lack = append(lack, id)
		}
	}
	if len(lack) == 0 {
		return "", nil
	}
	const show = 3
	names := strings.Join(lack[:min(show, len(lack))], ", ")
	if len(lack) > show {
		names += fmt.Sprintf(" and %d more", len(lack)-show)
	}
	return fmt.Sprintf("%s incomplete: %d of %d runs in %s (missing %s)",
		s.m.what(), len(s.m.Runs)-len(lack), len(s.m.Runs), s.path, names), nil
}

// runsIn returns the suite runs (params.suite_run) that have results in
// path; a missing file has none. Lines that are not records are left to
// the report, which names them.
func runsIn(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, bad.Input(err)
	}
	defer f.Close()
	have := map[string]bool{}
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 {
			var rec struct {
				Params struct {
					SuiteRun string `json:"suite_run"`
				} `json:"params"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Params.SuiteRun != "" {
				have[rec.Params.SuiteRun] = true
			}
		}
		if errors.Is(err, io.EOF) {
			return have, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// plural writes a count with its noun: 1 run, 2 runs.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
