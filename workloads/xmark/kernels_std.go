package xmark

import (
	"encoding/xml"
	"io"
	"strings"
)

// The four kernels built on encoding/xml, from the most convenient to the
// most hands-on. They share tokenSource (streams and spans) and drive (the
// loop over tokens with the document-level checks).

// recordFunc consumes a whole record whose start tag was just read; state
// says which record it is.
type recordFunc func(state uint8, d *xml.Decoder, start *xml.StartElement) error

// drive reads every token of s. Streaming kernels pass a collector; the
// record-walking kernels pass paths and a recordFunc instead. At the end of
// a span that is not the end of the document it returns nil and says in out
// whether the span was cut between tokens.
func drive(s *tokenSource, rules *docRules, c *collector, pt *paths, rec recordFunc, out *spanOut) error {
	for {
		tok, err := s.next()
		if err != nil {
			if err == io.EOF && (s.span == nil || s.span.last()) {
				if len(s.stack) > 0 {
					return s.syntax(&xml.SyntaxError{Msg: "unexpected EOF"})
				}
				if !rules.rootSeen {
					return s.endError(msgNoRoot)
				}
				return nil
			}
			if s.ending(err, out) {
				return nil
			}
			return s.syntax(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(s.stack) == 1 {
				if rules.rootSeen {
					return s.ownError(msgTwoRoots)
				}
				rules.rootSeen = true
			}
			if rec != nil {
				st := child(pt.top(), t.Name.Local)
				if isRecord(st) {
					// The record is read whole by rec, end tag included.
					s.stack = s.stack[:len(s.stack)-1]
					if err := rec(st, s.d, &t); err != nil {
						if s.ending(err, out) {
							out.short = true // cut inside a record
							return nil
						}
						return s.syntax(err)
					}
					s.tokEnd = s.offset()
					continue
				}
				pushPath(pt, t.Name.Local)
				continue
			}
			if start(c, t.Name.Local) {
				for _, a := range t.Attr {
					attr(c, a.Name.Local, a.Value)
				}
				c.attrsDone()
			}
		case xml.EndElement:
			if rec != nil {
				pt.pop()
			} else {
				c.end()
			}
		case xml.CharData:
			if len(s.stack) == 0 {
				if i := outsideText(t, s.tokOff == 0); i >= 0 {
					return s.textError(msgOutsideCD, t, i)
				}
			} else if c != nil && c.textMode() != textIgnore {
				text(c, t)
			}
		}
	}
}

// locals returns the local names of raw qualified names, as encoding/xml
// splits them; the wildcard becomes "".
func locals(raw []string, wild int) []string {
	out := make([]string, len(raw))
	for i, n := range raw {
		if i == wild {
			continue
		}
		out[i] = localName(n)
	}
	return out
}

// localName is the part of a qualified name after its prefix, as
// encoding/xml's Name.Local.
func localName[S ~string | ~[]byte](n S) S {
	s := string(n)
	if i := strings.IndexByte(s, ':'); i > 0 && i < len(s)-1 && strings.Count(s, ":") == 1 {
		return n[i+1:]
	}
	return n
}

// ---- token and rawtoken: events into the collector ----

func eventsRun(raw bool) func(string, io.Reader) (Answers, error) {
	return func(input string, r io.Reader) (Answers, error) {
		s := newStreamSource(input, r, raw)
		var c collector
		c.reset(nil)
		err := drive(s, &docRules{}, &c, nil, nil, nil)
		return c.ans, err
	}
}

func eventsSpan(raw bool) func(*spanIn) spanOut {
	return func(in *spanIn) spanOut {
		s := newSpanSource(in, raw)
		var c collector
		c.reset(locals(in.stack, in.wild))
		rules := docRules{rootSeen: in.rootSeen}
		var out spanOut
		out.err = drive(s, &rules, &c, nil, nil, &out)
		out.ans, out.neutral = c.ans, c.paths.neutral()
		s.finish(&out, rules)
		return out
	}
}

func (s *tokenSource) finish(out *spanOut, rules docRules) {
	out.end = s.endStack()
	out.rootSeen = rules.rootSeen
	out.wildClosed, out.wildBy = s.closed, s.closeBy
}

// ---- unmarshal and decode: records into typed structs ----

func walkRun(newRec func() (recordFunc, func() Answers)) func(string, io.Reader) (Answers, error) {
	return func(input string, r io.Reader) (Answers, error) {
		s := newStreamSource(input, r, false)
		rec, answers := newRec()
		var pt paths
		err := drive(s, &docRules{}, nil, &pt, rec, nil)
		return answers(), err
	}
}

func walkSpan(newRec func() (recordFunc, func() Answers)) func(*spanIn) spanOut {
	return func(in *spanIn) spanOut {
		s := newSpanSource(in, false)
		rec, answers := newRec()
		var pt paths
		pt.restore(locals(in.stack, in.wild))
		rules := docRules{rootSeen: in.rootSeen}
		var out spanOut
		out.err = drive(s, &rules, nil, &pt, rec, &out)
		out.ans, out.neutral = answers(), pt.neutral()
		s.finish(&out, rules)
		return out
	}
}

// unmarshalRecords keeps every record in memory, fully typed, and answers
// from the structs at the end: the program that loads everything first.
func unmarshalRecords() (recordFunc, func() Answers) {
	var s site
	rec := func(st uint8, d *xml.Decoder, start *xml.StartElement) error {
		switch st {
		case stItem:
			s.Items = append(s.Items, Item{})
			return d.DecodeElement(&s.Items[len(s.Items)-1], start)
		case stPerson:
			s.People = append(s.People, Person{})
			return d.DecodeElement(&s.People[len(s.People)-1], start)
		case stOpenAuction:
			s.Open = append(s.Open, OpenAuction{})
			return d.DecodeElement(&s.Open[len(s.Open)-1], start)
		case stClosedAuction:
			s.Closed = append(s.Closed, ClosedAuction{})
			return d.DecodeElement(&s.Closed[len(s.Closed)-1], start)
		case stCategory:
			s.Cats = append(s.Cats, Category{})
			return d.DecodeElement(&s.Cats[len(s.Cats)-1], start)
		default:
			s.Edges = append(s.Edges, Edge{})
			return d.DecodeElement(&s.Edges[len(s.Edges)-1], start)
		}
	}
	return rec, s.answers
}

// decodeRecords decodes the records the queries read into small structs,
// one at a time, and skips the rest.
func decodeRecords() (recordFunc, func() Answers) {
	var a Answers
	rec := func(st uint8, d *xml.Decoder, start *xml.StartElement) error {
		switch st {
		case stPerson:
			var p slimPerson
			if err := d.DecodeElement(&p, start); err != nil {
				return err
			}
			incomes := make([]*string, len(p.Profile))
			for i := range p.Profile {
				incomes[i] = p.Profile[i].Income
			}
			a.addPerson(p.ID, p.Name, p.Homepage, incomes)
		case stClosedAuction:
			var c slimClosed
			if err := d.DecodeElement(&c, start); err != nil {
				return err
			}
			a.addClosed(c.Price)
		case stItem:
			a.Q6++
			return d.Skip()
		default:
			return d.Skip()
		}
		return nil
	}
	return rec, func() Answers { return a }
}
