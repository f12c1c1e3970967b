// Package xmark generates XMark-like XML and answers XMark queries over it
// with a ladder of kernels, from the most convenient encoding/xml code to a
// zero-allocation parser of our own, sequentially, on one document cut into
// chunks, or on many documents.
//
// # Documents
//
// Generate writes an auction site as XMark's xmlgen does: regions with items
// by continent, categories, a category graph, people, open and closed
// auctions, with XMark's proportions (at scale 1: 21,750 items, 25,500
// people, 12,000 open and 9,750 closed auctions, 1,000 categories, about
// 100 MB). The text is drawn from a vocabulary of Shakespeare's words; some
// names carry entity references (O&apos;Connor), so that entity decoding is
// exercised where values are read. The same seed and scale give the same
// bytes, and memory stays constant at any scale. GenerateDoc makes the small
// documents (1 to 20 KB) of the "docs" shape.
//
// # Queries
//
// Every kernel answers XMark's Q1 (the name of person0), Q5 (closed auctions
// with a price of at least 40), Q6 (items), Q17 (people without a homepage)
// and Q20 (people by income bracket); Answers defines them precisely on any
// document, not only generated ones.
//
// # Kernels
//
//	unmarshal  DecodeElement of every record into full typed structs, all kept
//	decode     Token over the skeleton, DecodeElement of the queried records only
//	token      Decoder.Token into a state machine
//	rawtoken   Decoder.RawToken and our own end-tag matching
//	fast       our own streaming parser (see fast.go for why not gosax)
//
// # Well-formedness
//
// A kernel accepts a document exactly when encoding/xml's Decoder.Token
// reads it to the end without error and it has one root element with
// nothing but white space, comments, processing instructions and directives
// around it (a byte-order mark may start it). A malformed document gives a
// *SyntaxError that names the input, the line and the byte offset, and no
// answers. The fuzz targets (FuzzFast, FuzzToken, ...) check every kernel's
// verdict and answers against encoding/xml and a reference tree.
//
// One difference remains on purpose: xml.Unmarshal stops at a depth of
// 10,000 nested elements inside a record it decodes, which the other
// kernels do not; no generated document comes near it.
//
// # Parallelism
//
// Kernel.RunChunks cuts one document into spans at record start tags and
// runs them through an Executor (strategies.Executor satisfies it); the
// join checks every guess and parses again where a guess was wrong, so the
// answers and the errors are those of a sequential run (see split.go).
// Kernel.RunDocs runs many documents, one task each. Both are also batch
// workloads of the harness: xml:KERNEL and xmldocs:KERNEL.
package xmark
