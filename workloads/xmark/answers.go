package xmark

import (
	"bytes"
	"fmt"
	"strconv"
)

// Answers are the results of the five XMark queries on one document, or on
// several documents merged in input order. Every kernel computes them, so
// that kernels can be checked against each other.
//
// The queries are defined on element paths from the root, matching local
// names (the part after a namespace prefix, as encoding/xml's Name.Local):
//
//	Q1  the character data of the first name child of the first
//	    /site/people/person whose id attribute is "person0" (the last
//	    attribute with local name id counts); "" if there is none
//	Q5  closed auctions (/site/closed_auctions/closed_auction) with a price
//	    child whose text, trimmed of white space, parses as a float >= 40
//	Q6  items: /site/regions/*/item
//	Q17 people without a homepage child that has character data
//	Q20 profiles (/site/people/person/profile) by their income attribute:
//	    preferred >= 100000 > standard >= 30000 > challenge; an income that
//	    is not a number counts in none of the three; na counts the people
//	    with no profile that has an income attribute
//
// "Character data" of an element is the concatenation of its direct text
// and CDATA children after entity decoding, as xml.Unmarshal collects it
// into a string field; text inside child elements is not part of it.
type Answers struct {
	// Q1 is the name of person0.
	Q1 string
	// Q1Found says whether a person0 was found (Q1 may be "" even then).
	Q1Found bool
	// Q5 counts closed auctions with a price of at least 40.
	Q5 int64
	// Q6 counts items.
	Q6 int64
	// Q17 counts people without a homepage.
	Q17 int64
	// Q20 counts profiles by income bracket.
	Q20 Income
}

// Income is XMark Q20's grouping of people by income.
type Income struct {
	Preferred, Standard, Challenge, NA int64
}

// Merge adds b, the answers of input that follows a's input, to a: counts
// add up and Q1 comes from the first input that has a person0.
func (a *Answers) Merge(b Answers) {
	if !a.Q1Found && b.Q1Found {
		a.Q1, a.Q1Found = b.Q1, true
	}
	a.Q5 += b.Q5
	a.Q6 += b.Q6
	a.Q17 += b.Q17
	a.Q20.Preferred += b.Q20.Preferred
	a.Q20.Standard += b.Q20.Standard
	a.Q20.Challenge += b.Q20.Challenge
	a.Q20.NA += b.Q20.NA
}

// Map returns the answers as the result record's "answers" object:
// q1 (string), q5, q6, q17 (numbers), q20 (object of the four brackets).
func (a Answers) Map() map[string]any {
	return map[string]any{
		"q1":  a.Q1,
		"q5":  a.Q5,
		"q6":  a.Q6,
		"q17": a.Q17,
		"q20": map[string]any{
			"preferred": a.Q20.Preferred,
			"standard":  a.Q20.Standard,
			"challenge": a.Q20.Challenge,
			"na":        a.Q20.NA,
		},
	}
}

// String formats the answers on one line.
func (a Answers) String() string {
	return fmt.Sprintf("q1=%q q5=%d q6=%d q17=%d q20=preferred:%d,standard:%d,challenge:%d,na:%d",
		a.Q1, a.Q5, a.Q6, a.Q17, a.Q20.Preferred, a.Q20.Standard, a.Q20.Challenge, a.Q20.NA)
}

// priceAtLeast40 is Q5's test on a price's character data.
func priceAtLeast40(b []byte) bool {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	return err == nil && f >= 40
}

// addIncome classifies one income attribute value for Q20.
func (q *Income) addIncome(v []byte) {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
	switch {
	case err != nil:
	case f >= 100000:
		q.Preferred++
	case f >= 30000:
		q.Standard++
	case f < 30000:
		q.Challenge++
	}
}

// Path states: which element of the queried structure an open element is.
// child(parent, local) gives the state of a child; stNone is absorbing.
const (
	stNone uint8 = iota
	stDoc        // the virtual node above the root
	stSite
	stRegions
	stContinent
	stItem
	stPeople
	stPerson
	stPersonName
	stHomepage
	stProfile
	stClosedAuctions
	stClosedAuction
	stPrice
	stOpenAuctions
	stOpenAuction
	stCategories
	stCategory
	stCatgraph
	stEdge
)

// isRecord reports whether s is a record: one of the repeated elements the
// document is made of, and the unit the parallel splitter cuts at.
func isRecord(s uint8) bool {
	switch s {
	case stItem, stPerson, stClosedAuction, stOpenAuction, stCategory, stEdge:
		return true
	}
	return false
}

func child[S ~string | ~[]byte](parent uint8, local S) uint8 {
	switch parent {
	case stDoc:
		if string(local) == "site" {
			return stSite
		}
	case stSite:
		switch string(local) {
		case "regions":
			return stRegions
		case "people":
			return stPeople
		case "closed_auctions":
			return stClosedAuctions
		case "open_auctions":
			return stOpenAuctions
		case "categories":
			return stCategories
		case "catgraph":
			return stCatgraph
		}
	case stRegions:
		return stContinent
	case stContinent:
		if string(local) == "item" {
			return stItem
		}
	case stPeople:
		if string(local) == "person" {
			return stPerson
		}
	case stPerson:
		switch string(local) {
		case "name":
			return stPersonName
		case "homepage":
			return stHomepage
		case "profile":
			return stProfile
		}
	case stClosedAuctions:
		if string(local) == "closed_auction" {
			return stClosedAuction
		}
	case stClosedAuction:
		if string(local) == "price" {
			return stPrice
		}
	case stOpenAuctions:
		if string(local) == "open_auction" {
			return stOpenAuction
		}
	case stCategories:
		if string(local) == "category" {
			return stCategory
		}
	case stCatgraph:
		if string(local) == "edge" {
			return stEdge
		}
	}
	return stNone
}

// maxTracked is the deepest level whose state can differ from stNone
// (/site/people/person/name is at depth 4 counting the document node).
const maxTracked = 5

// paths tracks the state of every open element; deeper than maxTracked
// everything is stNone, so the tracker needs no allocation.
type paths struct {
	depth int               // open elements
	st    [maxTracked]uint8 // st[d] is the state of the element at depth d+1; valid for d < depth
	rec   int               // depth of the open record (1-based), 0 if none
}

func (p *paths) top() uint8 {
	if p.depth == 0 {
		return stDoc
	}
	if p.depth > maxTracked {
		return stNone
	}
	return p.st[p.depth-1]
}

// push enters a child element and returns its state.
func pushPath[S ~string | ~[]byte](p *paths, local S) uint8 {
	s := child(p.top(), local)
	if p.depth < maxTracked {
		p.st[p.depth] = s
	}
	p.depth++
	if p.rec == 0 && isRecord(s) {
		p.rec = p.depth
	}
	return s
}

// pop leaves the current element and returns its state.
func (p *paths) pop() uint8 {
	s := p.top()
	if p.rec == p.depth {
		p.rec = 0
	}
	p.depth--
	return s
}

// neutral reports whether no record is open: the only places where a
// document may be cut for parallel processing.
func (p *paths) neutral() bool { return p.rec == 0 }

// restore sets the tracker to the path of open elements whose local names
// are locals (the empty name stands for an unknown one, a wildcard).
func (p *paths) restore(locals []string) {
	*p = paths{}
	for _, l := range locals {
		pushPath(p, l)
	}
}

// collector answers the queries from a stream of events: the streaming
// kernels (token, rawtoken, fast) feed it, so they agree by construction as
// long as they see the same events. Byte slices passed in are only read
// during the call.
type collector struct {
	ans   Answers
	paths paths

	// the open person
	id        []byte
	idSeen    bool
	isP0      bool // this person is the first person0: capture its first name
	names     int  // name children seen
	homepage  bool
	hasIncome bool

	// the open profile
	income     []byte
	incomeSeen bool

	// the open closed_auction
	priceOK bool

	capture bool   // collecting text of the current element into text
	text    []byte // captured character data
}

// Text modes tell a parser what the current element's text is needed for.
const (
	textIgnore   = 0 // nothing: validate only
	textPresence = 1 // only whether there is any
	textCapture  = 2 // the decoded bytes
)

// textMode says what the current element's character data is needed for.
func (c *collector) textMode() int {
	switch c.paths.top() {
	case stPrice:
		return textCapture
	case stPersonName:
		if c.capture {
			return textCapture
		}
	case stHomepage:
		return textPresence
	}
	return textIgnore
}

// start enters an element; it reports whether the element's attributes are
// needed (then the caller calls attr for each and attrsDone).
func start[S ~string | ~[]byte](c *collector, local S) bool {
	switch pushPath(&c.paths, local) {
	case stItem:
		c.ans.Q6++
	case stPerson:
		c.idSeen, c.names, c.homepage, c.hasIncome, c.isP0 = false, 0, false, false, false
		return true
	case stPersonName:
		c.capture = c.isP0 && c.names == 0
		c.names++
		c.text = c.text[:0]
	case stProfile:
		c.incomeSeen = false
		return true
	case stClosedAuction:
		c.priceOK = false
	case stPrice:
		c.text = c.text[:0]
	}
	return false
}

// attr passes one attribute of the element just started (the value decoded).
func attr[S ~string | ~[]byte, V ~string | ~[]byte](c *collector, local S, value V) {
	switch c.paths.top() {
	case stPerson:
		if string(local) == "id" {
			c.id = append(c.id[:0], value...)
			c.idSeen = true
		}
	case stProfile:
		if string(local) == "income" {
			c.income = append(c.income[:0], value...)
			c.incomeSeen = true
		}
	}
}

// attrsDone ends the attributes of the element just started.
func (c *collector) attrsDone() {
	switch c.paths.top() {
	case stPerson:
		if c.idSeen && !c.ans.Q1Found && string(c.id) == "person0" {
			c.ans.Q1Found, c.ans.Q1 = true, ""
			c.isP0 = true
		}
	case stProfile:
		if c.incomeSeen {
			c.hasIncome = true
			c.ans.Q20.addIncome(c.income)
		}
	}
}

// text passes decoded character data of the current element (parsers call
// it only when textMode is not textIgnore, but any call is correct).
func text[S ~string | ~[]byte](c *collector, b S) {
	switch c.paths.top() {
	case stPrice:
		c.text = append(c.text, b...)
	case stPersonName:
		if c.capture {
			c.text = append(c.text, b...)
		}
	case stHomepage:
		if len(b) > 0 {
			c.homepage = true
		}
	}
}

// end leaves the current element.
func (c *collector) end() {
	switch c.paths.pop() {
	case stPersonName:
		if c.capture {
			c.ans.Q1 = string(c.text)
			c.capture = false
		}
	case stPerson:
		if !c.homepage {
			c.ans.Q17++
		}
		if !c.hasIncome {
			c.ans.Q20.NA++
		}
		c.isP0 = false
	case stPrice:
		if priceAtLeast40(c.text) {
			c.priceOK = true
		}
	case stClosedAuction:
		if c.priceOK {
			c.ans.Q5++
		}
	}
}

// reset prepares the collector for a new input whose open elements at the
// start have the local names locals.
func (c *collector) reset(locals []string) {
	id, income, txt := c.id[:0], c.income[:0], c.text[:0]
	*c = collector{id: id, income: income, text: txt}
	c.paths.restore(locals)
}
