package xmark

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stratbench/stratbench/internal/fsutil"
)

// DocSet is many small documents processed one task each: the unit of the
// per-document strategies (a goroutine per document, a pool, a batched
// pool). Run may be called concurrently for distinct documents.
type DocSet struct {
	kernel *Kernel
	names  []string
	docs   [][]byte
	ans    []Answers
	errs   []error
	ran    []bool
	bytes  int64
}

// NewDocSet prepares docs (named by names) for kernel k.
func (k *Kernel) NewDocSet(names []string, docs [][]byte) *DocSet {
	d := &DocSet{kernel: k, names: names, docs: docs,
		ans: make([]Answers, len(docs)), errs: make([]error, len(docs)), ran: make([]bool, len(docs))}
	for _, doc := range docs {
		d.bytes += int64(len(doc))
	}
	return d
}

// Len is the number of documents.
func (d *DocSet) Len() int { return len(d.docs) }

// Bytes is the documents' total size.
func (d *DocSet) Bytes() int64 { return d.bytes }

// Size is document i's size in bytes.
func (d *DocSet) Size(i int) float64 { return float64(len(d.docs[i])) }

// Run processes document i.
func (d *DocSet) Run(i int) {
	d.ans[i], d.errs[i] = d.kernel.RunBytes(d.names[i], d.docs[i])
	d.ran[i] = true
}

// Reset forgets the results of the last round.
func (d *DocSet) Reset() { clear(d.ran) }

// Answers merges the documents' answers in input order, or returns the
// first document's error in input order.
func (d *DocSet) Answers() (Answers, error) {
	var a Answers
	for i := range d.docs {
		if !d.ran[i] {
			return Answers{}, fmt.Errorf("xmark: document %d of %d was not run", i, len(d.docs))
		}
		if d.errs[i] != nil {
			return Answers{}, d.errs[i]
		}
		a.Merge(d.ans[i])
	}
	return a, nil
}

// RunDocs answers the queries over docs, one task each on ex.
func (k *Kernel) RunDocs(ex Executor, names []string, docs [][]byte) (Answers, error) {
	d := k.NewDocSet(names, docs)
	ex.Run(d.Len(), func(_, i int) { d.Run(i) })
	return d.Answers()
}

// GenerateDocs makes count small documents (see GenerateDoc).
func GenerateDocs(cfg GenConfig, count int) ([][]byte, error) {
	docs := make([][]byte, count)
	for i := range docs {
		var err error
		if docs[i], err = GenerateDoc(cfg, i); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// DocName is the file name of small document i in a directory written by
// WriteDocs.
func DocName(i int) string { return fmt.Sprintf("doc-%06d.xml", i) }

// WriteDocs writes count small documents into dir (created if needed) as
// DocName(i), each written under a temporary name and renamed into place
// (not synced one by one: a directory of thousands of documents would take
// minutes). It stops between documents when ctx is cancelled, keeping the
// documents already written, and returns the bytes written.
func WriteDocs(ctx context.Context, dir string, cfg GenConfig, count int) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var total int64
	for i := 0; i < count; i++ {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		doc, err := GenerateDoc(cfg, i)
		if err != nil {
			return total, err
		}
		if err := fsutil.WriteFile(filepath.Join(dir, DocName(i)), func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(doc))
			return err
		}); err != nil {
			return total, err
		}
		total += int64(len(doc))
	}
	return total, nil
}
