package xmark

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/stratbench/stratbench/workloads"
)

// XML as batch workloads of the harness:
//
//	xml:KERNEL      one generated document (--args scale=F, default 0.01,
//	                about 1 MB; traps=1 plants tag-like text) cut into
//	                --tasks chunks; task i parses span i (see split.go)
//	xmldocs:KERNEL  --tasks small documents of 1 to 20 KB; task i parses
//	                document i
//
// Check compares the joined answers with the fast kernel's sequential ones.

func init() {
	for _, k := range kernels {
		workloads.RegisterBatch(workloads.BatchInfo{
			Name: "xml:" + k.Name,
			Help: fmt.Sprintf("XML kernel %s on one generated document (--args scale=F, default %g) cut into --tasks chunks", k.Name, defaultScale),
			New:  func(cfg workloads.BatchConfig) (workloads.Batch, error) { return newChunkBatch(k, cfg) },
		})
		workloads.RegisterBatch(workloads.BatchInfo{
			Name: "xmldocs:" + k.Name,
			Help: fmt.Sprintf("XML kernel %s on --tasks small generated documents of 1 to 20 KB, one task each", k.Name),
			New:  func(cfg workloads.BatchConfig) (workloads.Batch, error) { return newDocsBatch(k, cfg) },
			// A document (10.5 KB on average) and its answers.
			TaskBytes: 12 << 10,
		})
	}
}

const defaultScale = 0.01

// docCache keeps generated inputs and their answers, so that a sweep that
// builds the same workload many times generates once.
var docCache sync.Map // key string -> *cachedDocs

type cachedDocs struct {
	once sync.Once
	docs [][]byte
	ans  Answers
	err  error
}

func cached(key string, make func() ([][]byte, error)) *cachedDocs {
	v, _ := docCache.LoadOrStore(key, &cachedDocs{})
	c := v.(*cachedDocs)
	c.once.Do(func() {
		c.docs, c.err = make()
		if c.err != nil {
			return
		}
		fast, _ := Lookup("fast")
		for i, d := range c.docs {
			a, err := fast.RunBytes(fmt.Sprintf("doc[%d]", i), d)
			if err != nil {
				c.err = err
				return
			}
			c.ans.Merge(a)
		}
	})
	return c
}

func xmlArgs(name string, args map[string]string, allowed ...string) (GenConfig, error) {
	cfg := GenConfig{Scale: defaultScale}
	for k, v := range args {
		var err error
		switch {
		case k == "traps":
			cfg.Traps, err = strconv.ParseBool(v)
		case k == "scale" && slices.Contains(allowed, "scale"):
			cfg.Scale, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && !(cfg.Scale > 0 && cfg.Scale <= 10) {
				err = fmt.Errorf("want a number in (0, 10]")
			}
		default:
			return cfg, fmt.Errorf("workload %s: unknown argument %q (allowed: %s)", name, k, strings.Join(append(allowed, "traps"), ", "))
		}
		if err != nil {
			return cfg, fmt.Errorf("workload %s: %s: %v, got %q", name, k, err, v)
		}
	}
	return cfg, nil
}

// chunkBatch is one document cut into spans.
type chunkBatch struct {
	split *Split
	want  Answers
	ran   []uint8
}

func newChunkBatch(k *Kernel, cfg workloads.BatchConfig) (workloads.Batch, error) {
	name := "xml:" + k.Name
	gc, err := xmlArgs(name, cfg.Args, "scale")
	if err != nil {
		return nil, err
	}
	gc.Seed = cfg.Seed
	c := cached(fmt.Sprintf("doc/%g/%d/%v", gc.Scale, gc.Seed, gc.Traps), func() ([][]byte, error) {
		var buf bytes.Buffer
		_, err := Generate(&buf, gc)
		return [][]byte{buf.Bytes()}, err
	})
	if c.err != nil {
		return nil, c.err
	}
	b := &chunkBatch{want: c.ans, ran: make([]uint8, cfg.Tasks)}
	if cfg.Tasks > 0 {
		b.split = k.NewSplit(fmt.Sprintf("xmark-%g-%d.xml", gc.Scale, gc.Seed), c.docs[0], cfg.Tasks)
	}
	return b, nil
}

func (b *chunkBatch) Len() int { return len(b.ran) }

// Size is 1: chunks have equal sizes in bytes (spans differ by at most a
// record).
func (b *chunkBatch) Size(int) float64 { return 1 }
func (b *chunkBatch) Run(i int) {
	b.split.Run(i)
	b.ran[i]++
}
func (b *chunkBatch) Work() (float64, string) {
	if b.split == nil {
		return 0, "bytes"
	}
	return float64(b.split.Bytes()), "bytes"
}
func (b *chunkBatch) Reset() {
	clear(b.ran)
	if b.split != nil {
		b.split.Reset()
	}
}

func (b *chunkBatch) Check() error {
	if err := workloads.CheckRanOnce(b.ran); err != nil || b.split == nil {
		return err
	}
	got, err := b.split.Answers()
	if err != nil {
		return err
	}
	if got != b.want {
		return fmt.Errorf("chunked answers %v differ from the sequential %v", got, b.want)
	}
	return nil
}

// docsBatch is many small documents.
type docsBatch struct {
	set  *DocSet
	want Answers
	ran  []uint8
}

func newDocsBatch(k *Kernel, cfg workloads.BatchConfig) (workloads.Batch, error) {
	name := "xmldocs:" + k.Name
	gc, err := xmlArgs(name, cfg.Args)
	if err != nil {
		return nil, err
	}
	gc.Seed = cfg.Seed
	c := cached(fmt.Sprintf("docs/%d/%d/%v", cfg.Tasks, gc.Seed, gc.Traps), func() ([][]byte, error) {
		return GenerateDocs(gc, cfg.Tasks)
	})
	if c.err != nil {
		return nil, c.err
	}
	names := make([]string, len(c.docs))
	for i := range names {
		names[i] = DocName(i)
	}
	return &docsBatch{set: k.NewDocSet(names, c.docs), want: c.ans, ran: make([]uint8, len(c.docs))}, nil
}

func (b *docsBatch) Len() int { return b.set.Len() }

// Size is document i's size relative to the mean.
func (b *docsBatch) Size(i int) float64 {
	return b.set.Size(i) * float64(b.set.Len()) / float64(max(b.set.Bytes(), 1))
}
func (b *docsBatch) Run(i int) {
	b.set.Run(i)
	b.ran[i]++
}
func (b *docsBatch) Work() (float64, string) { return float64(b.set.Bytes()), "bytes" }
func (b *docsBatch) Reset() {
	clear(b.ran)
	b.set.Reset()
}

func (b *docsBatch) Check() error {
	if err := workloads.CheckRanOnce(b.ran); err != nil {
		return err
	}
	got, err := b.set.Answers()
	if err != nil {
		return err
	}
	if got != b.want {
		return fmt.Errorf("answers %v differ from the reference %v", got, b.want)
	}
	return nil
}
