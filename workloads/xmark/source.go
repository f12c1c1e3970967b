package xmark

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// A span is a piece [lo, hi) of an in-memory document, processed on its
// own by one worker. It starts at a record start tag (or at 0) with an
// assumed stack of open elements; the splitter checks the assumption when it
// joins the spans (see split.go).
type spanIn struct {
	input    string
	doc      []byte
	lo, hi   int
	stack    []string // raw qualified names open at lo; stack[wild] is unknown
	wild     int      // index of the unknown (wildcard) entry, -1 if none
	rootSeen bool     // the root element started before lo
}

func (in *spanIn) last() bool { return in.hi == len(in.doc) }

// spanOut is what a kernel found in a span.
type spanOut struct {
	ans        Answers
	end        []string // raw names open at hi; end[wild] may still be the wildcard
	rootSeen   bool
	wildClosed bool   // the wildcard element was closed inside the span...
	wildBy     string // ...by an end tag with this raw name
	neutral    bool   // no record is open at hi
	short      bool   // the span ends inside a token or a record: no cut there
	err        error  // a syntax error (meaningful only if the start was right)
}

// wildName stands for the unknown element in synthetic prefixes: a name no
// generated document uses (a document that does use it still works: the
// join compares the real closing name).
const wildName = "stratbench.wildcard"

// entry is an open element: its raw name is name, or doc[off:off+n].
type entry struct {
	name   string
	off, n int
}

// tokenSource reads tokens with encoding/xml from a stream or from a span
// of a document, keeping the stack of open elements and the offsets
// needed to cut and join spans.
type tokenSource struct {
	d     *xml.Decoder
	raw   bool // RawToken with our own end-tag matching instead of Token
	input string

	span *spanIn // nil when reading a stream

	base    int64 // document offset of the current decoder's first real byte
	preLen  int64 // length of the current decoder's synthetic prefix
	skip    int   // synthetic start elements still to swallow
	tokEnd  int64 // document offset after the last token returned
	tokOff  int64 // document offset where the last token returned started
	stack   []entry
	wild    int // index of the wildcard in stack, -1 if none or closed
	closed  bool
	closeBy string
}

// twoPart reads a prefix and then a body; it is an io.ByteReader so that
// encoding/xml does not add a bufio layer.
type twoPart struct {
	pre, body []byte
}

func (t *twoPart) ReadByte() (byte, error) {
	if len(t.pre) > 0 {
		c := t.pre[0]
		t.pre = t.pre[1:]
		return c, nil
	}
	if len(t.body) > 0 {
		c := t.body[0]
		t.body = t.body[1:]
		return c, nil
	}
	return 0, io.EOF
}

func (t *twoPart) Read(p []byte) (int, error) {
	if len(t.pre) == 0 && len(t.body) == 0 {
		return 0, io.EOF
	}
	n := copy(p, t.pre)
	t.pre = t.pre[n:]
	m := copy(p[n:], t.body)
	t.body = t.body[m:]
	return n + m, nil
}

func newStreamSource(input string, r io.Reader, raw bool) *tokenSource {
	if _, ok := r.(io.ByteReader); !ok {
		r = bufio.NewReaderSize(r, 64<<10)
	}
	return &tokenSource{d: xml.NewDecoder(r), raw: raw, input: input, wild: -1}
}

func newSpanSource(in *spanIn, raw bool) *tokenSource {
	s := &tokenSource{raw: raw, input: in.input, span: in, wild: in.wild}
	for _, n := range in.stack {
		s.stack = append(s.stack, entry{name: n})
	}
	s.restart(int64(in.lo), len(in.stack))
	return s
}

// restart reads the span from document offset at, behind a synthetic
// prefix that opens the first `open` elements of the stack (Token checks
// end tags against its own stack, so it must see them opened).
func (s *tokenSource) restart(at int64, open int) {
	var pre []byte
	if !s.raw {
		for _, e := range s.stack[:open] {
			pre = append(pre, '<')
			if e.name == "" {
				pre = append(pre, s.span.doc[e.off:e.off+e.n]...)
			} else {
				pre = append(pre, e.name...)
			}
			pre = append(pre, '>')
		}
		s.skip = open
	}
	s.d = xml.NewDecoder(&twoPart{pre: pre, body: s.span.doc[at:s.span.hi]})
	s.base, s.preLen = at, int64(len(pre))
	s.tokEnd = at
}

// offset is the document offset of the decoder's position.
func (s *tokenSource) offset() int64 {
	return s.base + s.d.InputOffset() - s.preLen
}

func (s *tokenSource) rawName(e entry) string {
	if e.name != "" || s.span == nil {
		return e.name
	}
	return string(s.span.doc[e.off : e.off+e.n])
}

// closerBefore returns the raw name of the end tag that ends just before
// document offset off.
func (s *tokenSource) closerBefore(off int64) string {
	doc := s.span.doc[:off]
	i := bytes.LastIndex(doc, []byte("</"))
	if i < 0 {
		return ""
	}
	name := doc[i+2:]
	name = bytes.TrimSuffix(name, []byte(">"))
	return string(bytes.TrimRight(name, " \t\r\n"))
}

// nameAt returns the extent of the raw element name of the start tag at off.
func nameAt(doc []byte, off int64) (int, int) {
	i := int(off) + 1
	j := i
	for j < len(doc) && (doc[j] >= 0x80 || isNameByte(doc[j])) {
		j++
	}
	return i, j - i
}

// next returns the next token. Synthetic prefix elements are swallowed; in
// raw mode end tags are matched against the stack here.
func (s *tokenSource) next() (xml.Token, error) {
	for {
		start := s.offset()
		var tok xml.Token
		var err error
		if s.raw {
			tok, err = s.d.RawToken()
		} else {
			tok, err = s.d.Token()
		}
		if err != nil {
			if s.restartAfterWildcard(err) {
				// The decoder read the end tag but refused it: hand it on.
				s.tokOff = start
				return xml.EndElement{Name: xml.Name{Local: localName(s.closeBy)}}, nil
			}
			return nil, err
		}
		if s.skip > 0 {
			if _, ok := tok.(xml.StartElement); ok {
				s.skip--
				continue
			}
		}
		s.tokOff, s.tokEnd = start, s.offset()
		switch t := tok.(type) {
		case xml.StartElement:
			e := entry{}
			switch {
			case s.raw:
				e.name = rawQName(t.Name)
			case s.span != nil:
				e.off, e.n = nameAt(s.span.doc, start)
			}
			s.stack = append(s.stack, e)
		case xml.EndElement:
			if err := s.pop(t.Name); err != nil {
				return nil, err
			}
		}
		return tok, nil
	}
}

// rawQName is the raw qualified name RawToken split into n.
func rawQName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func (s *tokenSource) pop(n xml.Name) error {
	k := len(s.stack) - 1
	if k < 0 {
		// Token reports this itself; in raw mode it is ours to report.
		return &xml.SyntaxError{Msg: "unexpected end element </" + n.Local + ">", Line: s.line()}
	}
	if k == s.wild {
		s.closed, s.wild = true, -1
		if s.raw {
			s.closeBy = rawQName(n)
		} else {
			s.closeBy = s.closerBefore(s.tokEnd)
		}
	} else if s.raw {
		if top := s.stack[k].name; top != rawQName(n) {
			return &xml.SyntaxError{Msg: "element <" + top + "> closed by </" + rawQName(n) + ">", Line: s.line()}
		}
	}
	s.stack = s.stack[:k]
	return nil
}

func (s *tokenSource) line() int {
	if s.span != nil {
		return lineAt(s.span.doc, s.offset())
	}
	l, _ := s.d.InputPos()
	return l
}

// restartAfterWildcard handles Token's complaint that the synthetic
// wildcard element was closed by the real one: the span learns the real
// name and goes on with a fresh decoder after the end tag.
func (s *tokenSource) restartAfterWildcard(err error) bool {
	if s.raw || s.wild < 0 || len(s.stack)-1 != s.wild {
		return false
	}
	var se *xml.SyntaxError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Msg, "element <"+wildName+"> closed by </") {
		return false
	}
	at := s.offset()
	s.closed, s.closeBy = true, s.closerBefore(at)
	s.stack = s.stack[:s.wild]
	s.wild = -1
	s.restart(at, len(s.stack))
	s.tokEnd = at
	return true
}

// endStack returns the raw names of the open elements.
func (s *tokenSource) endStack() []string {
	out := make([]string, len(s.stack))
	for i, e := range s.stack {
		if i == s.wild {
			out[i] = wildName
			continue
		}
		out[i] = s.rawName(e)
	}
	return out
}

// syntax converts a decoder error to a *SyntaxError naming the input.
func (s *tokenSource) syntax(err error) error {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	return &SyntaxError{Input: s.input, Line: s.line(), Offset: s.offset(), Msg: msg}
}

// ownError is a *SyntaxError for a check of ours at the start of the last
// token.
func (s *tokenSource) ownError(msg string) error {
	off := s.tokOff
	line := 0
	if s.span != nil {
		line = lineAt(s.span.doc, off)
	} else {
		line, _ = s.d.InputPos()
	}
	return &SyntaxError{Input: s.input, Line: line, Offset: off, Msg: msg}
}

// endError is a *SyntaxError for a check of ours at the end of the input.
func (s *tokenSource) endError(msg string) error {
	return &SyntaxError{Input: s.input, Line: s.line(), Offset: s.offset(), Msg: msg}
}

// textError is a *SyntaxError at byte idx of the last token, character
// data decoded as data.
func (s *tokenSource) textError(msg string, data []byte, idx int) error {
	nl := bytes.Count(data[:idx], []byte{'\n'})
	var line int
	if s.span != nil {
		line = lineAt(s.span.doc, s.tokOff) + nl
	} else {
		end, _ := s.d.InputPos()
		line = end - bytes.Count(data[idx:], []byte{'\n'})
	}
	return &SyntaxError{Input: s.input, Line: line, Offset: s.tokOff + int64(idx), Msg: msg}
}

// docRules applies the checks of the document's outer level: one root
// element and nothing but white space as character data outside it.
type docRules struct {
	rootSeen bool
	atStart  bool // no token read yet at document offset 0
}

// ending classifies the error that ended a source: at the end of a span
// that is not the document's end, running out of input is not an error
// but tells whether the span was cut between tokens.
func (s *tokenSource) ending(err error, out *spanOut) (done bool) {
	if s.span == nil || s.span.last() {
		return false
	}
	if err == io.EOF || isEOFMsg(err) {
		out.short = s.tokEnd != int64(s.span.hi)
		return true
	}
	return false
}
