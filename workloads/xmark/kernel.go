package xmark

import (
	"fmt"
	"io"
	"strings"
)

// Kernel is one way of reading XML and answering the queries, from the
// naive to the optimized. Every kernel gives the same answers on the same
// document, and rejects the same malformed documents.
type Kernel struct {
	// Name is the kernel's catalog name (unmarshal, decode, ...).
	Name string
	// Help says in one line how it works.
	Help string

	run  func(input string, r io.Reader) (Answers, error)
	span func(in *spanIn) spanOut
}

// Run reads a whole document from r with constant memory (except
// unmarshal, which keeps every record) and answers the queries. A malformed
// document gives a *SyntaxError naming input; no answers come with it.
func (k *Kernel) Run(input string, r io.Reader) (Answers, error) {
	a, err := k.run(input, r)
	if err != nil {
		return Answers{}, err
	}
	return a, nil
}

// RunBytes answers the queries on a document held in memory.
func (k *Kernel) RunBytes(input string, doc []byte) (Answers, error) {
	out := k.span(&spanIn{input: input, doc: doc, hi: len(doc), wild: -1})
	if out.err != nil {
		return Answers{}, out.err
	}
	return out.ans, nil
}

var kernels = []*Kernel{
	{
		Name: "unmarshal",
		Help: "xml.Decoder.DecodeElement of every whole record into full typed structs kept in memory; answers from the structs",
		run:  walkRun(unmarshalRecords),
		span: walkSpan(unmarshalRecords),
	},
	{
		Name: "decode",
		Help: "Decoder.Token over the skeleton, DecodeElement of the queried records into small structs, Skip of the rest",
		run:  walkRun(decodeRecords),
		span: walkSpan(decodeRecords),
	},
	{
		Name: "token",
		Help: "Decoder.Token for every token into a state machine (encoding/xml matches end tags and decodes entities)",
		run:  eventsRun(false),
		span: eventsSpan(false),
	},
	{
		Name: "rawtoken",
		Help: "Decoder.RawToken into the same state machine, with our own end-tag matching (no namespace translation)",
		run:  eventsRun(true),
		span: eventsSpan(true),
	},
	{
		Name: "fast",
		Help: "our zero-allocation streaming parser with encoding/xml's checks; entities decoded only in the values queried",
		run:  fastRun,
		span: fastSpan,
	},
}

// Kernels returns the kernel ladder, naive to optimized.
func Kernels() []*Kernel { return kernels }

// KernelNames lists the kernels' names in ladder order.
func KernelNames() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.Name
	}
	return names
}

// Lookup returns the named kernel; an unknown name is an error that lists
// the known ones.
func Lookup(name string) (*Kernel, error) {
	for _, k := range kernels {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("unknown XML kernel %q (known: %s)", name, strings.Join(KernelNames(), ", "))
}
