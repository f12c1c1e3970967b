package xmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Input is a document to read: a name for messages and a way to open it.
type Input struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// FileInput is the input named path; "-" is standard input (r).
func FileInput(path string, stdin io.Reader) Input {
	if path == "-" {
		return Input{Name: "-", Open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }}
	}
	return Input{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// RunConfig says how to process some documents.
type RunConfig struct {
	// Kernel is the kernel's name.
	Kernel string
	// Inputs are the documents.
	Inputs []Input
	// Workers is the parallelism (>= 1). With one input and Workers > 1
	// the document is read into memory and cut into Chunks spans; several
	// inputs are read into memory and each is a task.
	Workers int
	// Chunks is the number of spans of a single document (0: 4 × Workers).
	Chunks int
	// Executor runs the spans or the documents when Workers > 1.
	Executor Executor
}

// Modes of a run.
const (
	ModeStream = "stream" // one document, read and parsed as it streams in
	ModeChunks = "chunks" // one document in memory, spans in parallel
	ModeDocs   = "docs"   // several documents, one task each
)

// Report is what a run found.
type Report struct {
	Kernel  string
	Answers Answers
	Mode    string
	Files   int
	Bytes   int64
	Chunks  int
	// Wall is the time of the processing; in chunks and docs modes the
	// documents were read into memory first and that time is not in Wall.
	Wall time.Duration
	// Reruns counts spans the join parsed again (chunks mode).
	Reruns int
}

// MBPerSec is the throughput in megabytes (10^6 bytes) per second.
func (r *Report) MBPerSec() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Bytes) / 1e6 / r.Wall.Seconds()
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Run processes the inputs with the configured kernel and answers the
// queries. A malformed document gives a *SyntaxError; other errors (a file
// that cannot be opened) are returned as they are.
func Run(ctx context.Context, cfg RunConfig) (*Report, error) {
	k, err := Lookup(cfg.Kernel)
	if err != nil {
		return nil, err
	}
	if len(cfg.Inputs) == 0 {
		return nil, errors.New("no input documents")
	}
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("workers must be >= 1, got %d", cfg.Workers)
	}
	ex := cfg.Executor
	if ex == nil {
		ex = Sequential{}
	}
	rep := &Report{Kernel: k.Name, Files: len(cfg.Inputs)}
	switch {
	case len(cfg.Inputs) == 1 && cfg.Workers == 1:
		rep.Mode = ModeStream
		var n atomic.Int64
		in := cfg.Inputs[0]
		f, err := in.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t0 := time.Now()
		rep.Answers, err = k.Run(in.Name, countReader{f, &n})
		rep.Wall, rep.Bytes = time.Since(t0), n.Load()
		return rep, err

	case len(cfg.Inputs) == 1:
		rep.Mode = ModeChunks
		in := cfg.Inputs[0]
		f, err := in.Open()
		if err != nil {
			return nil, err
		}
		doc, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", in.Name, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rep.Chunks = cfg.Chunks
		if rep.Chunks <= 0 {
			rep.Chunks = 4 * cfg.Workers
		}
		t0 := time.Now()
		s := k.NewSplit(in.Name, doc, rep.Chunks)
		ex.Run(s.Len(), func(_, i int) { s.Run(i) })
		rep.Answers, err = s.Answers()
		rep.Wall, rep.Bytes, rep.Chunks, rep.Reruns = time.Since(t0), int64(len(doc)), s.Len(), s.Reruns
		return rep, err

	default:
		// Read every document first, so that the strategies compare the
		// processing, not the file system (and a goroutine per document
		// does not open thousands of files at once).
		rep.Mode = ModeDocs
		names := make([]string, len(cfg.Inputs))
		docs := make([][]byte, len(cfg.Inputs))
		for i, in := range cfg.Inputs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			f, err := in.Open()
			if err != nil {
				return nil, err
			}
			docs[i], err = io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", in.Name, err)
			}
			names[i] = in.Name
		}
		d := k.NewDocSet(names, docs)
		t0 := time.Now()
		ex.Run(d.Len(), func(_, i int) { d.Run(i) })
		rep.Answers, err = d.Answers()
		rep.Wall, rep.Bytes = time.Since(t0), d.Bytes()
		return rep, err
	}
}
