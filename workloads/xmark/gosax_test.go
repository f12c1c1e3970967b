package xmark

import (
	"bytes"
	"testing"

	"github.com/orisano/gosax"
)

// BenchmarkGosaxBaseline compares the fast kernel (every check of
// encoding/xml, and the answers) with gosax's bare event loop (no check, no
// answer): the speed a gosax-based kernel would start from before adding
// the checks, which need a second look at every token's bytes.
func BenchmarkGosaxBaseline(b *testing.B) {
	doc := genDoc(b, 0.01, 1, false)
	b.Run("parser=gosax-events-only", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		r := gosax.NewReaderSize(bytes.NewReader(doc), 256<<10)
		for b.Loop() {
			r.Reset(bytes.NewReader(doc))
			for {
				e, err := r.Event()
				if err != nil {
					b.Fatal(err)
				}
				if e.Type() == gosax.EventEOF {
					break
				}
			}
		}
	})
	b.Run("parser=fast", func(b *testing.B) {
		k, _ := Lookup("fast")
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Run("doc", bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
