package xmark

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// pool is a minimal concurrent Executor for tests: workers goroutines take
// task indices from a channel.
type pool int

func (p pool) Run(n int, task func(worker, i int)) {
	ch := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < int(p); w++ {
		wg.Go(func() {
			for i := range ch {
				task(w, i)
			}
		})
	}
	for i := 0; i < n; i++ {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

// TestSplitAgrees: cut into any number of chunks, with or without traps
// (record tags inside comments and CDATA), every kernel gives the
// sequential answers: no record lost or counted twice.
func TestSplitAgrees(t *testing.T) {
	docs := map[string][]byte{
		"plain": genDoc(t, 0.001, 5, false),
		"traps": genDoc(t, 0.001, 6, true),
	}
	for name, doc := range docs {
		want, err := reference(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range Kernels() {
			for _, chunks := range []int{1, 3, 7, 64} {
				got, err := k.RunChunks(pool(3), name, doc, chunks)
				if err != nil || got != want {
					t.Errorf("%s/kernel=%s/chunks=%d: %v, %v; want %v", name, k.Name, chunks, got, err, want)
				}
			}
		}
	}
}

// TestSplitReruns: on a plain generated document every guess is right (no
// rerun); a sync point inside a comment or CDATA section is caught and its
// span parsed again.
func TestSplitReruns(t *testing.T) {
	doc := genDoc(t, 0.001, 7, false)
	for _, k := range Kernels() {
		s := k.NewSplit("doc", doc, 16)
		pool(2).Run(s.Len(), func(_, i int) { s.Run(i) })
		if _, err := s.Answers(); err != nil || s.Reruns != 0 {
			t.Errorf("kernel %s: %d reruns, err %v; want none on a plain document", k.Name, s.Reruns, err)
		}
	}
	// A chunk boundary just before a commented-out record tag: the worker
	// resyncs on the comment's <person and the join must notice.
	head := []byte("<site><people><person id=\"person0\"><name>A</name></person>\n<!-- ")
	tail := []byte("<person id=\"x\"><name>fake</name></person> -->\n<![CDATA[<person id=\"y\">]]><person id=\"p1\"><name>B</name></person></people></site>")
	trap := append(append([]byte{}, head...), tail...)
	want, err := reference(trap)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kernels() {
		for chunks := 1; chunks <= 12; chunks++ {
			s := k.NewSplit("trap", trap, chunks)
			Sequential{}.Run(s.Len(), func(_, i int) { s.Run(i) })
			got, err := s.Answers()
			if err != nil || got != want {
				t.Errorf("kernel %s, %d chunks: %v, %v; want %v", k.Name, chunks, got, err, want)
			}
		}
	}
}

// TestSplitErrors: a malformed document is rejected in chunks as it is
// whole, wherever the damage is.
func TestSplitErrors(t *testing.T) {
	doc := genDoc(t, 0.0005, 8, false)
	breaks := []struct {
		name string
		edit func([]byte) []byte
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)*2/3] }},
		{"mismatched end tag", func(d []byte) []byte { return bytes.Replace(d, []byte("</person>"), []byte("</persom>"), 1) }},
		{"undefined entity", func(d []byte) []byte { return bytes.Replace(d, []byte("</price>"), []byte("&euro;</price>"), 1) }},
		{"bad continent end", func(d []byte) []byte { return bytes.Replace(d, []byte("</asia>"), []byte("</asiaa>"), 1) }},
		{"unterminated comment", func(d []byte) []byte { return bytes.Replace(d, []byte("<person "), []byte("<!-- <person "), 1) }},
	}
	for _, br := range breaks {
		bad := br.edit(bytes.Clone(doc))
		if _, err := reference(bad); err == nil {
			t.Fatalf("%s: the reference accepts the broken document", br.name)
		}
		for _, k := range Kernels() {
			for _, chunks := range []int{1, 5} {
				name := fmt.Sprintf("%s/kernel=%s/chunks=%d", br.name, k.Name, chunks)
				a, err := k.RunChunks(pool(2), "bad.xml", bad, chunks)
				if err == nil {
					t.Errorf("%s: accepted with answers %v", name, a)
				} else if !isSyntax(err) {
					t.Errorf("%s: error %v is not a *SyntaxError", name, err)
				}
			}
		}
	}
}
