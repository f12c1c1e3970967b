package worker

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/stratbench/stratbench/workloads"
)

// xmlDoc is a small deterministic document of xmlRecords <item> records,
// the payload of the xml worker kind.
var xmlDoc = sync.OnceValue(func() []byte {
	r := rand.New(workloads.NewSource(7, 0x3a1))
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><site><items>`)
	for i := range xmlRecords {
		fmt.Fprintf(&b, `<item id="item%d"><name>thing %d</name><price currency="EUR">%d.%02d</price>`+
			`<description><text>%s</text></description><quantity>%d</quantity></item>`,
			i, r.IntN(1_000_000), r.IntN(1000), r.IntN(100), lorem[:20+r.IntN(len(lorem)-20)], 1+r.IntN(9))
	}
	b.WriteString(`</items></site>`)
	return b.Bytes()
})

const (
	xmlRecords = 512
	lorem      = "the quick brown fox jumps over the lazy dog while stratbench measures how long it takes to read every token of it"
)

// scanXML reads records <item> elements of doc with encoding/xml (wrapping
// around at the end) and returns the sum of their quantities, so the work
// cannot be optimized away.
func scanXML(ctx context.Context, doc []byte, records int) (int, error) {
	sum := 0
	for records > 0 {
		d := xml.NewDecoder(bytes.NewReader(doc))
		inQty := false
		for records > 0 {
			tok, err := d.RawToken()
			if err == io.EOF {
				break
			}
			if err != nil {
				return sum, err
			}
			switch t := tok.(type) {
			case xml.StartElement:
				inQty = t.Name.Local == "quantity"
			case xml.CharData:
				if inQty && len(t) > 0 {
					sum += int(t[0] - '0')
				}
			case xml.EndElement:
				inQty = false
				if t.Name.Local == "item" {
					records--
					if records%64 == 0 && ctx.Err() != nil {
						return sum, ctx.Err()
					}
				}
			}
		}
	}
	return sum, nil
}

// xmlNsPerRecord measures (once) how long one record takes to scan here:
// the fastest of a few rounds, since a shared machine only ever slows a
// round down.
var xmlNsPerRecord = sync.OnceValue(func() float64 {
	doc := xmlDoc()
	scanXML(context.Background(), doc, xmlRecords) // warm up
	rates := make([]float64, 5)
	for i := range rates {
		t0 := time.Now()
		scanXML(context.Background(), doc, xmlRecords)
		rates[i] = float64(time.Since(t0).Nanoseconds()) / xmlRecords
	}
	return slices.Min(rates)
})

var xmlSink int

func newXMLTask() (func(context.Context, float64) error, error) {
	doc := xmlDoc()
	per := xmlNsPerRecord()
	var mu sync.Mutex
	return func(ctx context.Context, ns float64) error {
		if ns <= 0 {
			return nil
		}
		n := max(int(ns/per+0.5), 1)
		s, err := scanXML(ctx, doc, n)
		mu.Lock()
		xmlSink += s
		mu.Unlock()
		return err
	}, nil
}
