package xmark

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The fast kernel: a streaming XML parser of our own that allocates nothing
// per token, accepts exactly what encoding/xml's Decoder.Token accepts (the
// same name tables, entity rules, character checks and end-tag matching),
// and decodes entities only in the values the queries read.
//
// Why not gosax (github.com/orisano/gosax)? It finds token boundaries very
// quickly but checks nothing: names, attribute syntax, characters, UTF-8,
// entities and nesting would all have to be checked on every token again,
// a second pass over the bytes, and its boundary rules differ from
// encoding/xml's on directives and malformed markup, which would make the
// verdicts differ. Checking while finding the boundaries is one pass.
// BenchmarkGosaxBaseline puts numbers on it: gosax's bare event loop, with
// no check and no answer, is the most a gosax-based kernel could reach.

// errShort means the buffer ends inside a token: read more, or at the end
// of the input, report a truncated document.
var errShort = errors.New("short")

// Byte classes.
var (
	// nameByte is what encoding/xml's readName takes into a name: ASCII
	// letters, digits, _ : . - and every byte of a multi-byte character.
	nameByte [256]bool
	// plainText bytes need no look in character data: ASCII from 0x20 to
	// 0x7f except & ] <, and tab, newline, carriage return.
	plainText [256]bool
	// plainAttr is plainText for quoted attribute values, where ] is plain
	// and the quotes end the value.
	plainAttr [256]bool
	// nameClass sorts name bytes: 1 an ASCII byte other than ':', 2 ':',
	// 3 a byte of a multi-byte character, 0 not a name byte.
	nameClass [256]uint8
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		nameByte[c] = b >= 0x80 || isNameByte(b)
		plainText[c] = b >= 0x20 && b < 0x80 && b != '&' && b != ']' && b != '<' || b == '\t' || b == '\n' || b == '\r'
		plainAttr[c] = plainText[c] && b != '"' && b != '\'' || b == ']'
		switch {
		case b >= 0x80:
			nameClass[c] = 3
		case b == ':':
			nameClass[c] = 2
		case isNameByte(b):
			nameClass[c] = 1
		}
	}
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\r' || c == '\n' || c == '\t' }

// isName is encoding/xml's name check.
func isName(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		// ASCII first byte: a letter, _ or :, and the rest are name bytes
		// already (ASCII ones are all NameChars).
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') {
			return false
		}
		ascii := true
		for _, c := range s[1:] {
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
		}
		if ascii {
			return true
		}
	}
	c, n := utf8.DecodeRune(s)
	if c == utf8.RuneError && n == 1 || !unicode.Is(nameFirst, c) {
		return false
	}
	for n < len(s) {
		s = s[n:]
		c, n = utf8.DecodeRune(s)
		if c == utf8.RuneError && n == 1 || !unicode.Is(nameFirst, c) && !unicode.Is(nameSecond, c) {
			return false
		}
	}
	return true
}

func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// scanName returns the end of the name bytes starting at b[i].
func scanName(b []byte, i int) int {
	for i < len(b) && nameByte[b[i]] {
		i++
	}
	return i
}

// qname is a name found by scanQName.
type qname struct {
	start, end int
	colon      int // position of the first colon, -1 if none
	colons     int
	ascii      bool
}

// scanQName scans the name bytes at b[i:] as encoding/xml's readName does.
func scanQName(b []byte, i int) qname {
	q := qname{start: i, colon: -1, ascii: true}
	k := i
	for {
		for k < len(b) && nameClass[b[k]] == 1 {
			k++
		}
		if k >= len(b) {
			break
		}
		switch nameClass[b[k]] {
		case 2:
			if q.colon < 0 {
				q.colon = k
			}
			q.colons++
			k++
			continue
		case 3:
			q.ascii = false
			k++
			continue
		}
		break
	}
	q.end = k
	return q
}

// check checks a name the way encoding/xml's nsname does; missing is the
// message for a missing or many-colon name.
func (q qname) check(b []byte, missing string) string {
	if q.end == q.start {
		return missing
	}
	if q.ascii {
		if c := b[q.start]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') {
			return "invalid XML name: " + string(b[q.start:q.end])
		}
	} else if !isName(b[q.start:q.end]) {
		return "invalid XML name: " + string(b[q.start:q.end])
	}
	if q.colons > 1 {
		return missing
	}
	return ""
}

// local is the name's part after its prefix, as encoding/xml splits it.
func (q qname) local(b []byte) []byte {
	if q.colons == 1 && q.colon > q.start && q.colon < q.end-1 {
		return b[q.colon+1 : q.end]
	}
	return b[q.start:q.end]
}

// entity returns the length of the character or entity reference at
// b[0] == '&' and the character it stands for, or n == 0 and a message if
// encoding/xml would reject it (Strict, no custom entities). A reference
// cut by the end of b is rejected: callers pass whole tokens.
func entity(b []byte) (n int, r rune, msg string) {
	i := 1
	if i >= len(b) {
		return 0, 0, "unexpected EOF"
	}
	if b[i] == '#' {
		i++
		base := 10
		if i < len(b) && b[i] == 'x' {
			base = 16
			i++
		}
		start := i
		for i < len(b) && ('0' <= b[i] && b[i] <= '9' || base == 16 && ('a' <= b[i] && b[i] <= 'f' || 'A' <= b[i] && b[i] <= 'F')) {
			i++
		}
		if i >= len(b) || b[i] != ';' {
			return 0, 0, "invalid character entity " + string(b[:i]) + " (no semicolon)"
		}
		v, err := strconv.ParseUint(string(b[start:i]), base, 64)
		if err != nil || v > unicode.MaxRune {
			return 0, 0, "invalid character entity " + string(b[:i+1])
		}
		r = rune(v)
		if 0xD800 <= r && r <= 0xDFFF {
			r = utf8.RuneError // string(rune(v)) in encoding/xml
		}
		if !inCharRange(r) {
			return 0, 0, "illegal character code " + strconv.QuoteRune(r)
		}
		return i + 1, r, ""
	}
	j := scanName(b, i)
	if j >= len(b) || b[j] != ';' {
		return 0, 0, "invalid character entity " + string(b[:j]) + " (no semicolon)"
	}
	switch string(b[i:j]) {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "apos":
		r = '\''
	case "quot":
		r = '"'
	default:
		return 0, 0, "invalid character entity " + string(b[:j+1])
	}
	return j + 1, r, ""
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func hasZero(v uint64) bool { return (v-lsb)&^v&msb != 0 }

// checkChars validates character data t: text (attrVal false) or a quoted
// attribute value without its quotes (attrVal true). It returns
// the index and message of the first problem (bad < 0 if none) and whether
// decoding would change the bytes (an entity or a carriage return).
func checkChars(t []byte, attrVal bool) (bad int, msg string, special bool) {
	plain := &plainText
	if attrVal {
		plain = &plainAttr
	}
	i := 0
	for i < len(t) {
		// Eight bytes at a time while they are all plain printable ASCII
		// without & ] < (and quotes in values, which cannot occur here).
		for i+8 <= len(t) {
			v := binary.LittleEndian.Uint64(t[i:])
			if v&msb != 0 || (v-0x2020202020202020)&^v&msb != 0 ||
				hasZero(v^('&'*lsb)) || !attrVal && hasZero(v^(']'*lsb)) || hasZero(v^('<'*lsb)) {
				break
			}
			i += 8
		}
		if i >= len(t) {
			break
		}
		c := t[i]
		if plain[c] {
			if c == '\r' {
				special = true
			}
			i++
			continue
		}
		switch {
		case c == '&':
			n, _, m := entity(t[i:])
			if n == 0 {
				return i, m, special
			}
			special = true
			i += n
		case c == ']':
			if !attrVal && i+2 < len(t) && t[i+1] == ']' && t[i+2] == '>' {
				return i, "unescaped ]]> not in CDATA section", special
			}
			i++
		case c == '<':
			return i, "unescaped < inside quoted string", special
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(t[i:])
			if r == utf8.RuneError && n == 1 {
				return i, "invalid UTF-8", special
			}
			if !inCharRange(r) {
				return i, "illegal character code " + strconv.QuoteRune(r), special
			}
			i += n
		default: // a control character, or a quote inside a value's other quotes
			if c == '"' || c == '\'' {
				i++
				continue
			}
			return i, "illegal character code " + strconv.QuoteRune(rune(c)), special
		}
	}
	return -1, "", special
}

// checkCDATA validates the content of a CDATA section: characters only.
func checkCDATA(t []byte) (bad int, msg string) {
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i, "illegal character code " + strconv.QuoteRune(rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(t[i:])
		if r == utf8.RuneError && n == 1 {
			return i, "invalid UTF-8"
		}
		if !inCharRange(r) {
			return i, "illegal character code " + strconv.QuoteRune(r)
		}
		i += n
	}
	return -1, ""
}

// decode appends the decoded form of checked character data t: references
// replaced (if refs), \r\n and \r turned into \n, as encoding/xml does.
func decode(dst, t []byte, refs bool) []byte {
	for i := 0; i < len(t); {
		c := t[i]
		switch {
		case c == '&' && refs:
			n, r, _ := entity(t[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(t) && t[i] == '\n' {
				i++
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// procInst is encoding/xml's procInst: the value of param in an xml
// declaration's content (its parsing quirks included).
func procInst(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := indexString(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := bytes.IndexByte([]byte(s[i:]), sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

func indexString(s, sub string) int { return bytes.Index([]byte(s), []byte(sub)) }

// fastParser holds the parser's state between buffers and spans.
type fastParser struct {
	input string
	c     collector

	// The open elements: raw names back to back in names, ends[i] is the
	// end of name i. The wildcard entry of a span has an empty name.
	names   []byte
	ends    []int
	wild    int
	closed  bool
	closeBy []byte

	rootSeen bool

	base  int64  // document offset of the buffer's first byte
	lines int    // newlines before the buffer (streams)
	doc   []byte // the whole document (spans), for line numbers

	scratch []byte
	attrs   []attrSpan
	err     error
}

type attrSpan struct {
	n0, n1, v0, v1 int
	special        bool
}

var parserPool = sync.Pool{New: func() any { return new(fastParser) }}

func (p *fastParser) reset(input string) {
	p.input = input
	p.names, p.ends = p.names[:0], p.ends[:0]
	p.wild, p.closed, p.closeBy = -1, false, p.closeBy[:0]
	p.rootSeen = false
	p.base, p.lines, p.doc = 0, 0, nil
	p.err = nil
}

// fail records a syntax error at buffer position pos of b.
func (p *fastParser) fail(b []byte, pos int, msg string) error {
	off := p.base + int64(pos)
	var line int
	if p.doc != nil {
		line = lineAt(p.doc, off)
	} else {
		line = p.lines + 1 + bytes.Count(b[:min(pos, len(b))], []byte{'\n'})
	}
	p.err = &SyntaxError{Input: p.input, Line: line, Offset: off, Msg: msg}
	return p.err
}

func (p *fastParser) top() []byte {
	k := len(p.ends)
	lo := 0
	if k > 1 {
		lo = p.ends[k-2]
	}
	return p.names[lo:p.ends[k-1]]
}

func (p *fastParser) push(name []byte) {
	p.names = append(p.names, name...)
	p.ends = append(p.ends, len(p.names))
}

func (p *fastParser) pop() {
	k := len(p.ends) - 1
	p.ends = p.ends[:k]
	if k == 0 {
		p.names = p.names[:0]
	} else {
		p.names = p.names[:p.ends[k-1]]
	}
}

// parse consumes the complete tokens at the start of b and returns how many
// bytes they took. If b ends inside a token it returns errShort with n at
// that token's start; final says there is no more input after b (text may
// then end at the end of b).
func (p *fastParser) parse(b []byte, final bool) (int, error) {
	i := 0
	for i < len(b) {
		if b[i] != '<' {
			j, special, err := p.scanText(b, i, final)
			if err != nil {
				return i, err
			}
			if err := p.chars(b, i, j, special); err != nil {
				return i, err
			}
			i = j
			continue
		}
		n, err := p.markup(b, i)
		if err != nil {
			return i, err
		}
		i += n
	}
	return i, nil
}

// scanText finds the end of the character data at b[i] (the next '<', or
// the end of b if final) and checks it on the way as encoding/xml's text
// does. special says whether decoding would change it (a reference or a
// carriage return).
func (p *fastParser) scanText(b []byte, i int, final bool) (j int, special bool, err error) {
	j = i
	for {
		// Eight bytes at a time while they are all printable ASCII other
		// than & ] <; the lowest flagged byte is the first that needs a
		// look (borrows only run upwards).
		for j+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[j:])
			x, y, z := v^('<'*lsb), v^('&'*lsb), v^(']'*lsb)
			if m := (v | (v-0x20*lsb)&^v | (x-lsb)&^x | (y-lsb)&^y | (z-lsb)&^z) & msb; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto look
			}
			j += 8
		}
		for j < len(b) && plainText[b[j]] && b[j] >= 0x20 {
			j++
		}
		if j >= len(b) {
			break
		}
	look:
		switch c := b[j]; {
		case c == '<':
			return j, special, nil
		case c == '\n' || c == '\t':
			j++
		case c == '\r':
			special = true
			j++
		case c == '&':
			k := j + 1
			for k < len(b) && (nameByte[b[k]] || b[k] == '#') {
				k++
			}
			if k >= len(b) && !final {
				return j, special, errShort
			}
			n, _, msg := entity(b[j : k+min(1, len(b)-k)])
			if n == 0 {
				return j, special, p.fail(b, j, msg)
			}
			special = true
			j += n
		case c == ']':
			if j+2 >= len(b) && !final {
				return j, special, errShort
			}
			if j+2 < len(b) && b[j+1] == ']' && b[j+2] == '>' {
				return j, special, p.fail(b, j, "unescaped ]]> not in CDATA section")
			}
			j++
		case c >= utf8.RuneSelf:
			if !utf8.FullRune(b[j:]) && !final {
				return j, special, errShort
			}
			r, n := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && n == 1 {
				return j, special, p.fail(b, j, "invalid UTF-8")
			}
			if !inCharRange(r) {
				return j, special, p.fail(b, j, "illegal character code "+strconv.QuoteRune(r))
			}
			j += n
		default:
			return j, special, p.fail(b, j, "illegal character code "+strconv.QuoteRune(rune(c)))
		}
	}
	if !final {
		return j, special, errShort
	}
	return j, special, nil
}

// chars handles character data b[i:j], already checked.
func (p *fastParser) chars(b []byte, i, j int, special bool) error {
	t := b[i:j]
	if len(p.ends) == 0 {
		return p.outside(b, i, t, true)
	}
	switch p.c.textMode() {
	case textPresence:
		text(&p.c, t)
	case textCapture:
		if special {
			p.scratch = decode(p.scratch[:0], t, true)
			text(&p.c, p.scratch)
		} else {
			text(&p.c, t)
		}
	}
	return nil
}

// outside checks character data t at b[i] outside the root element.
func (p *fastParser) outside(b []byte, i int, t []byte, refs bool) error {
	p.scratch = decode(p.scratch[:0], t, refs)
	k := outsideText(p.scratch, p.base+int64(i) == 0)
	if k < 0 {
		return nil
	}
	// Point at the offending character: its line and (about) its offset.
	nl := bytes.Count(p.scratch[:k], []byte{'\n'})
	err := p.fail(b, i+min(k, len(t)), msgOutsideCD).(*SyntaxError)
	err.Line = p.lineOf(b, i) + nl
	return err
}

// lineOf is the line of buffer position pos.
func (p *fastParser) lineOf(b []byte, pos int) int {
	if p.doc != nil {
		return lineAt(p.doc, p.base+int64(pos))
	}
	return p.lines + 1 + bytes.Count(b[:pos], []byte{'\n'})
}

// markup handles the markup at b[i] == '<' and returns its length.
func (p *fastParser) markup(b []byte, i int) (int, error) {
	if i+1 >= len(b) {
		return 0, errShort
	}
	switch b[i+1] {
	case '/':
		return p.endTag(b, i)
	case '?':
		return p.procInst(b, i)
	case '!':
		return p.bang(b, i)
	}
	return p.startTag(b, i)
}

func (p *fastParser) startTag(b []byte, i int) (int, error) {
	q := scanQName(b, i+1)
	k := q.end
	if k >= len(b) {
		return 0, errShort
	}
	name := b[i+1 : k]
	if msg := q.check(b, "expected element name after <"); msg != "" {
		return 0, p.fail(b, i+1, msg)
	}
	p.attrs = p.attrs[:0]
	empty := false
	for {
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return 0, errShort
		}
		c := b[k]
		if c == '/' {
			if k+1 >= len(b) {
				return 0, errShort
			}
			if b[k+1] != '>' {
				return 0, p.fail(b, k, "expected /> in element")
			}
			empty = true
			k += 2
			break
		}
		if c == '>' {
			k++
			break
		}
		n0 := k
		aq := scanQName(b, k)
		k = aq.end
		if k >= len(b) {
			return 0, errShort
		}
		if msg := aq.check(b, "expected attribute name in element"); msg != "" {
			return 0, p.fail(b, n0, msg)
		}
		n1 := k
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return 0, errShort
		}
		if b[k] != '=' {
			return 0, p.fail(b, k, "attribute name without = in element")
		}
		k++
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return 0, errShort
		}
		q := b[k]
		if q != '"' && q != '\'' {
			return 0, p.fail(b, k, "unquoted or missing attribute value in element")
		}
		v0 := k + 1
		// Short plain values (ids, references) end at the first byte
		// that is not plain; anything else takes the general path.
		e := v0
		for e < len(b) && plainAttr[b[e]] && b[e] >= 0x20 {
			e++
		}
		if e < len(b) && b[e] == q {
			if aq.colons == 1 && aq.colon > n0 && aq.colon < n1-1 {
				n0 = aq.colon + 1
			}
			p.attrs = append(p.attrs, attrSpan{n0, n1, v0, e, false})
			k = e + 1
			continue
		}
		e = bytes.IndexByte(b[v0:], q)
		if e < 0 {
			// encoding/xml would complain of a < first, if there is one.
			if lt := bytes.IndexByte(b[v0:], '<'); lt >= 0 {
				if bad, msg, _ := checkChars(b[v0:v0+lt+1], true); bad >= 0 {
					return 0, p.fail(b, v0+bad, msg)
				}
			}
			return 0, errShort
		}
		v1 := v0 + e
		bad, msg, special := checkChars(b[v0:v1], true)
		if bad >= 0 {
			return 0, p.fail(b, v0+bad, msg)
		}
		if aq.colons == 1 && aq.colon > n0 && aq.colon < n1-1 {
			n0 = aq.colon + 1 // keep only the local name
		}
		p.attrs = append(p.attrs, attrSpan{n0, n1, v0, v1, special})
		k = v1 + 1
	}
	// The tag is complete and well-formed: apply it.
	if len(p.ends) == 0 {
		if p.rootSeen {
			return 0, p.fail(b, i, msgTwoRoots)
		}
		p.rootSeen = true
	}
	p.push(name)
	if start(&p.c, q.local(b)) {
		for _, a := range p.attrs {
			v := b[a.v0:a.v1]
			if a.special {
				p.scratch = decode(p.scratch[:0], v, true)
				v = p.scratch
			}
			attr(&p.c, b[a.n0:a.n1], v)
		}
		p.c.attrsDone()
	}
	if empty {
		p.pop()
		p.c.end()
	}
	return k - i, nil
}

func (p *fastParser) endTag(b []byte, i int) (int, error) {
	// Most end tags close the open element with a plain '>': compare with
	// its name, which was checked when it was opened.
	if d := len(p.ends); d > 0 && d-1 != p.wild {
		top := p.top()
		k := i + 2 + len(top)
		if k < len(b) && b[k] == '>' && string(b[i+2:k]) == string(top) {
			p.pop()
			p.c.end()
			return k + 1 - i, nil
		}
	}
	q := scanQName(b, i+2)
	k := q.end
	if k >= len(b) {
		return 0, errShort
	}
	name := b[i+2 : k]
	if msg := q.check(b, "expected element name after </"); msg != "" {
		return 0, p.fail(b, i+2, msg)
	}
	for k < len(b) && isSpace(b[k]) {
		k++
	}
	if k >= len(b) {
		return 0, errShort
	}
	if b[k] != '>' {
		return 0, p.fail(b, k, "invalid characters between </"+string(localName(name))+" and >")
	}
	depth := len(p.ends)
	switch {
	case depth == 0:
		return 0, p.fail(b, i, "unexpected end element </"+string(localName(name))+">")
	case depth-1 == p.wild:
		p.closed, p.wild = true, -1
		p.closeBy = append(p.closeBy[:0], name...)
	case !bytes.Equal(p.top(), name):
		return 0, p.fail(b, i, "element <"+string(localName(p.top()))+"> closed by </"+string(localName(name))+">")
	}
	p.pop()
	p.c.end()
	return k + 1 - i, nil
}

func (p *fastParser) procInst(b []byte, i int) (int, error) {
	k := scanName(b, i+2)
	if k >= len(b) {
		return 0, errShort
	}
	target := b[i+2 : k]
	if len(target) == 0 {
		return 0, p.fail(b, i+2, "expected target name after <?")
	}
	if !isName(target) {
		return 0, p.fail(b, i+2, "invalid XML name: "+string(target))
	}
	for k < len(b) && isSpace(b[k]) {
		k++
	}
	e := bytes.Index(b[k:], []byte("?>"))
	if e < 0 {
		return 0, errShort
	}
	if string(target) == "xml" {
		content := string(b[k : k+e])
		if ver := procInst("version", content); ver != "" && ver != "1.0" {
			return 0, p.fail(b, i, "xml: unsupported version "+strconv.Quote(ver)+"; only version 1.0 is supported")
		}
		if enc := procInst("encoding", content); enc != "" && !equalFoldASCII(enc, "utf-8") {
			return 0, p.fail(b, i, "xml: encoding "+strconv.Quote(enc)+" declared but Decoder.CharsetReader is nil")
		}
	}
	return k + e + 2 - i, nil
}

func equalFoldASCII(s, t string) bool { return bytes.EqualFold([]byte(s), []byte(t)) }

// bang handles <!-- comments -->, <![CDATA[ sections ]]> and directives.
func (p *fastParser) bang(b []byte, i int) (int, error) {
	if i+2 >= len(b) {
		return 0, errShort
	}
	switch b[i+2] {
	case '-':
		if i+3 >= len(b) {
			return 0, errShort
		}
		if b[i+3] != '-' {
			return 0, p.fail(b, i, "invalid sequence <!- not part of <!--")
		}
		body := i + 4
		e := bytes.Index(b[body:], []byte("--"))
		if e < 0 || body+e+2 >= len(b) {
			return 0, errShort
		}
		if b[body+e+2] != '>' {
			return 0, p.fail(b, body+e, `invalid sequence "--" not allowed in comments`)
		}
		return body + e + 3 - i, nil
	case '[':
		const open = "CDATA["
		for k := 0; k < len(open); k++ {
			if i+3+k >= len(b) {
				return 0, errShort
			}
			if b[i+3+k] != open[k] {
				return 0, p.fail(b, i, "invalid <![ sequence")
			}
		}
		body := i + 3 + len(open)
		e := bytes.Index(b[body:], []byte("]]>"))
		if e < 0 {
			return 0, errShort
		}
		t := b[body : body+e]
		if bad, msg := checkCDATA(t); bad >= 0 {
			return 0, p.fail(b, body+bad, msg)
		}
		if len(p.ends) == 0 {
			if err := p.outside(b, i, t, false); err != nil {
				return 0, err
			}
		} else if m := p.c.textMode(); m == textPresence {
			text(&p.c, t)
		} else if m == textCapture {
			p.scratch = decode(p.scratch[:0], t, false)
			text(&p.c, p.scratch)
		}
		return body + e + 3 - i, nil
	}
	return p.directive(b, i)
}

// directive skips <!DOCTYPE ...> and the like exactly as encoding/xml
// does: quotes hide '>', nested '<' count, and comments inside are skipped.
func (p *fastParser) directive(b []byte, i int) (int, error) {
	k := i + 3 // b[i+2] is taken as is, like encoding/xml does
	var inquote byte
	depth := 0
	for {
		if k >= len(b) {
			return 0, errShort
		}
		c := b[k]
		k++
		if inquote == 0 && c == '>' && depth == 0 {
			return k - i, nil
		}
	handle:
		switch {
		case c == inquote:
			inquote = 0
		case inquote != 0:
		case c == '\'' || c == '"':
			inquote = c
		case c == '>':
			depth--
		case c == '<':
			const s = "!--"
			for j := 0; j < len(s); j++ {
				if k >= len(b) {
					return 0, errShort
				}
				c = b[k]
				k++
				if c != s[j] {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if k >= len(b) {
					return 0, errShort
				}
				c = b[k]
				k++
				if b0 == '-' && b1 == '-' && c == '>' {
					break
				}
				b0, b1 = b1, c
			}
		}
	}
}

// atEnd applies the checks of the document's end.
func (p *fastParser) atEnd(b []byte) error {
	if len(p.ends) > 0 {
		return p.fail(b, len(b), "unexpected EOF")
	}
	if !p.rootSeen {
		return p.fail(b, len(b), msgNoRoot)
	}
	return nil
}

const fastBuf = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, fastBuf); return &b }}

// fastRun parses a stream with a buffer that grows only to hold the
// longest token.
func fastRun(input string, r io.Reader) (Answers, error) {
	p := parserPool.Get().(*fastParser)
	defer parserPool.Put(p)
	p.reset(input)
	p.c.reset(nil)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	filled, eof := 0, false
	for {
		// Fill the buffer before parsing, so that a token cut by the end
		// of the buffer is parsed again only after the buffer doubled:
		// linear time whatever the reads' sizes.
		for filled < len(buf) && !eof {
			n, rerr := r.Read(buf[filled:])
			filled += n
			if rerr == io.EOF {
				eof = true
			} else if rerr != nil {
				return Answers{}, rerr
			}
		}
		used, err := p.parse(buf[:filled], eof)
		if err == errShort && eof {
			err = p.fail(buf[:filled], filled, "unexpected EOF")
		}
		if err != nil && err != errShort {
			return Answers{}, err
		}
		if eof {
			if err := p.atEnd(buf[:filled]); err != nil {
				return Answers{}, err
			}
			return p.c.ans, nil
		}
		p.lines += bytes.Count(buf[:used], []byte{'\n'})
		p.base += int64(used)
		filled = copy(buf, buf[used:filled])
		if filled == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf)
			buf = nb
			*bp = buf
		}
	}
}

// fastSpan parses a span of an in-memory document.
func fastSpan(in *spanIn) spanOut {
	p := parserPool.Get().(*fastParser)
	defer parserPool.Put(p)
	p.reset(in.input)
	p.doc, p.base, p.rootSeen, p.wild = in.doc, int64(in.lo), in.rootSeen, in.wild
	for i, n := range in.stack {
		if i == in.wild {
			n = ""
		}
		p.push([]byte(n))
	}
	p.c.reset(locals(in.stack, in.wild))
	b := in.doc[in.lo:in.hi]
	var out spanOut
	_, err := p.parse(b, true)
	switch {
	case err == errShort && in.last():
		out.err = p.fail(b, len(b), "unexpected EOF")
	case err == errShort:
		out.short = true
	case err != nil:
		out.err = err
	case in.last():
		out.err = p.atEnd(b)
	}
	out.ans, out.neutral, out.rootSeen = p.c.ans, p.c.paths.neutral(), p.rootSeen
	out.wildClosed, out.wildBy = p.closed, string(p.closeBy)
	out.end = make([]string, len(p.ends))
	lo := 0
	for i, e := range p.ends {
		out.end[i] = string(p.names[lo:e])
		if i == p.wild {
			out.end[i] = wildName
		}
		lo = e
	}
	return out
}
