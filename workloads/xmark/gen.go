package xmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/stratbench/stratbench/workloads"
)

// Record counts at scale 1, XMark's proportions (xmlgen -f 1).
const (
	ItemsAt1      = 21750
	PeopleAt1     = 25500
	OpenAt1       = 12000
	ClosedAt1     = 9750
	CategoriesAt1 = 1000
)

// continents split the items as XMark does (they add up to ItemsAt1).
var continents = []struct {
	name  string
	items int
}{
	{"africa", 550}, {"asia", 2000}, {"australia", 2200},
	{"europe", 6000}, {"namerica", 10000}, {"samerica", 1000},
}

// GenConfig says what document to generate.
type GenConfig struct {
	// Scale multiplies XMark's record counts: 1 is about 100 MB.
	Scale float64
	// Seed makes the document: the same seed and scale give the same bytes.
	Seed uint64
	// Traps plants tag-like text where a naive splitter would take it for a
	// record: comments between records holding record start tags, and CDATA
	// sections in descriptions holding whole records. They change no answer.
	Traps bool
}

// Counts are the record counts of a generated document.
type Counts struct {
	Items, People, Open, Closed, Categories int
	Continent                               [6]int
}

// CountsFor returns the record counts at scale s: XMark's counts times s,
// rounded, with at least one record of each kind when s > 0.
func CountsFor(s float64) Counts {
	n := func(at1 int) int {
		if s <= 0 {
			return 0
		}
		return max(1, int(math.Round(float64(at1)*s)))
	}
	var c Counts
	for i, ct := range continents {
		c.Continent[i] = n(ct.items)
		c.Items += c.Continent[i]
	}
	c.People, c.Open, c.Closed, c.Categories = n(PeopleAt1), n(OpenAt1), n(ClosedAt1), n(CategoriesAt1)
	return c
}

func (cfg GenConfig) check() error {
	if math.IsNaN(cfg.Scale) || cfg.Scale < 0 || cfg.Scale > 1000 {
		return fmt.Errorf("scale must be in [0, 1000], got %g", cfg.Scale)
	}
	return nil
}

// gen writes XML by appending to buf and flushing it to w when it grows
// past flushAt: memory stays constant whatever the scale.
type gen struct {
	r     *rand.Rand
	pool  uint64 // random bits not used yet, 16 at a time (see small)
	nbits int
	buf   []byte
	w     io.Writer
	n     int64
	err   error
	traps bool
	c     Counts
	trapN int
	ctx   context.Context // nil: never cancelled
}

const flushAt = 256 << 10

func (g *gen) flush() {
	if g.err != nil || g.w == nil || len(g.buf) == 0 {
		return
	}
	if g.ctx != nil {
		if g.err = g.ctx.Err(); g.err != nil {
			return
		}
	}
	var k int
	k, g.err = g.w.Write(g.buf)
	g.n += int64(k)
	g.buf = g.buf[:0]
}

func (g *gen) maybeFlush() {
	if len(g.buf) >= flushAt {
		g.flush()
	}
}

func (g *gen) s(s string) { g.buf = append(g.buf, s...) }
func (g *gen) i(n int)    { g.buf = strconv.AppendInt(g.buf, int64(n), 10) }
func (g *gen) money(f float64) {
	g.buf = strconv.AppendFloat(g.buf, math.Round(f*100)/100, 'f', 2, 64)
}

// esc appends s escaped for element content: & as &amp;, ' as &apos; (so
// that names exercise entity decoding), < and > as &lt; &gt;.
func (g *gen) esc(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			g.s("&amp;")
		case '\'':
			g.s("&apos;")
		case '<':
			g.s("&lt;")
		case '>':
			g.s("&gt;")
		default:
			g.buf = append(g.buf, c)
		}
	}
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// small returns a number in [0, n) for n <= 1<<16 from 16 random bits (a
// multiply-shift: its bias, below n/65536, does not matter for prose and
// it is much cheaper than IntN on the hot path of the text).
func (g *gen) small(n int) int {
	if g.nbits < 16 {
		g.pool, g.nbits = g.r.Uint64(), 64
	}
	v := uint32(g.pool & 0xffff)
	g.pool >>= 16
	g.nbits -= 16
	return int(v * uint32(n) >> 16)
}

// elem writes <name>text</name> and a newline, text escaped.
func (g *gen) elem(name, text string) {
	g.s("<")
	g.s(name)
	g.s(">")
	g.esc(text)
	g.s("</")
	g.s(name)
	g.s(">\n")
}

func (g *gen) ref(name, attr, prefix string, n int) {
	g.s("<")
	g.s(name)
	g.s(" ")
	g.s(attr)
	g.s(`="`)
	g.s(prefix)
	g.i(g.r.IntN(max(n, 1)))
	g.s("\"/>\n")
}

// two appends n as two digits.
func (g *gen) two(n int) {
	g.buf = append(g.buf, byte('0'+n/10), byte('0'+n%10))
}

func (g *gen) date() {
	g.two(1 + g.r.IntN(12))
	g.s("/")
	g.two(1 + g.r.IntN(28))
	g.s("/")
	g.i(1998 + g.r.IntN(4))
}

// words appends n words of prose; now and then a run of words is marked up
// as bold, keyword or emph, as XMark's text is.
func (g *gen) words(n int) {
	for k := 0; k < n; k++ {
		if k > 0 {
			g.s(" ")
		}
		if n-k > 4 && g.small(24) == 0 {
			tag := [...]string{"bold", "keyword", "emph"}[g.small(3)]
			m := 1 + g.small(4)
			g.s("<")
			g.s(tag)
			g.s("> ")
			for j := 0; j < m; j++ {
				g.s(vocabulary[g.small(len(vocabulary))])
				g.s(" ")
			}
			g.s("</")
			g.s(tag)
			g.s(">")
			k += m - 1
			continue
		}
		g.s(vocabulary[g.small(len(vocabulary))])
	}
}

func (g *gen) text(n int) {
	g.s("<text>")
	g.words(n)
	if g.traps && g.r.IntN(40) == 0 {
		g.trapN++
		g.s(" <![CDATA[<closed_auction><price>99</price></closed_auction><person id=\"person0\"><name>trap</name></person>]]>")
	}
	g.s("</text>\n")
}

// description is either one text or a parlist of a few list items.
func (g *gen) description(scale int) {
	g.s("<description>\n")
	if g.r.IntN(3) == 0 {
		g.s("<parlist>\n")
		for k := 1 + g.r.IntN(4); k > 0; k-- {
			g.s("<listitem>\n")
			g.text(5 + g.r.IntN(scale))
			g.s("</listitem>\n")
		}
		g.s("</parlist>\n")
	} else {
		g.text(10 + g.r.IntN(2*scale))
	}
	g.s("</description>\n")
}

func (g *gen) trapComment(tag string) {
	if g.traps && g.r.IntN(30) == 0 {
		g.trapN++
		g.s("<!-- <")
		g.s(tag)
		g.s(` id="trap"> a commented-out record start tag -->` + "\n")
	}
}

func (g *gen) item(id int) {
	g.trapComment("item")
	g.s(`<item id="item`)
	g.i(id)
	g.s(`"`)
	if g.r.IntN(10) == 0 {
		g.s(` featured="yes"`)
	}
	g.s(">\n")
	g.elem("location", g.pick(countries))
	g.s("<quantity>")
	g.i(1 + g.r.IntN(2))
	g.s("</quantity>\n<name>")
	g.words(1 + g.r.IntN(4))
	g.s("</name>\n")
	g.elem("payment", g.pick(payments))
	g.description(200)
	g.elem("shipping", g.pick(shipping))
	for k := 1 + g.r.IntN(3); k > 0; k-- {
		g.ref("incategory", "category", "category", g.c.Categories)
	}
	g.s("<mailbox>\n")
	for k := g.r.IntN(4); k > 0; k-- {
		g.s("<mail>\n<from>")
		g.person1()
		g.s("</from>\n<to>")
		g.person1()
		g.s("</to>\n<date>")
		g.date()
		g.s("</date>\n")
		g.text(30 + g.r.IntN(80))
		g.s("</mail>\n")
	}
	g.s("</mailbox>\n</item>\n")
}

// person1 writes "First Last mailto:Last@domain".
func (g *gen) person1() {
	last := g.pick(lastNames)
	g.s(g.pick(firstNames))
	g.s(" ")
	g.esc(last)
	g.s(" mailto:")
	g.mailName(last)
	g.s("@")
	g.s(g.pick(domains))
}

func (g *gen) mailName(last string) {
	for i := 0; i < len(last); i++ {
		if c := last[i]; 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
			g.buf = append(g.buf, c)
		}
	}
}

func (g *gen) person(id int) {
	g.trapComment("person")
	first, last := g.pick(firstNames), g.pick(lastNames)
	g.s(`<person id="person`)
	g.i(id)
	g.s("\">\n<name>")
	g.esc(first)
	g.s(" ")
	g.esc(last)
	g.s("</name>\n<emailaddress>mailto:")
	g.mailName(last)
	g.s("@")
	domain := g.pick(domains)
	g.s(domain)
	g.s("</emailaddress>\n")
	if g.r.IntN(2) == 0 {
		g.buf = fmt.Appendf(g.buf, "<phone>+%d (%d) %d</phone>\n", g.r.IntN(100), 100+g.r.IntN(900), 1000000+g.r.IntN(90000000))
	}
	if g.r.IntN(2) == 0 {
		g.s("<address>\n<street>")
		g.i(1 + g.r.IntN(99))
		g.s(" ")
		g.s(g.pick(streets))
		g.s(" St</street>\n")
		g.elem("city", g.pick(cities))
		country := g.pick(countries)
		g.elem("country", country)
		if country == "United States" {
			g.elem("province", g.pick(provinces))
		}
		g.s("<zipcode>")
		g.i(g.r.IntN(100))
		g.s("</zipcode>\n</address>\n")
	}
	if g.r.IntN(2) == 0 {
		g.s("<homepage>http://www.")
		g.s(domain)
		g.s("/~")
		g.mailName(last)
		g.s("</homepage>\n")
	}
	if g.r.IntN(2) == 0 {
		g.buf = fmt.Appendf(g.buf, "<creditcard>%04d %04d %04d %04d</creditcard>\n", g.r.IntN(10000), g.r.IntN(10000), g.r.IntN(10000), g.r.IntN(10000))
	}
	if g.r.IntN(4) != 0 {
		g.s("<profile")
		if g.r.IntN(4) != 0 {
			g.s(` income="`)
			g.money(5000 + g.r.ExpFloat64()*45000)
			g.s(`"`)
		}
		g.s(">\n")
		for k := g.r.IntN(4); k > 0; k-- {
			g.ref("interest", "category", "category", g.c.Categories)
		}
		if g.r.IntN(2) == 0 {
			g.elem("education", g.pick(educations))
		}
		if g.r.IntN(2) == 0 {
			g.elem("gender", [...]string{"male", "female"}[g.r.IntN(2)])
		}
		g.elem("business", [...]string{"Yes", "No"}[g.r.IntN(2)])
		if g.r.IntN(2) == 0 {
			g.s("<age>")
			g.i(18 + g.r.IntN(60))
			g.s("</age>\n")
		}
		g.s("</profile>\n")
	}
	if g.r.IntN(2) == 0 {
		g.s("<watches>\n")
		for k := 1 + g.r.IntN(4); k > 0; k-- {
			g.ref("watch", "open_auction", "open_auction", g.c.Open)
		}
		g.s("</watches>\n")
	}
	g.s("</person>\n")
}

func (g *gen) annotation() {
	g.s("<annotation>\n")
	g.ref("author", "person", "person", g.c.People)
	g.description(70)
	g.s("<happiness>")
	g.i(1 + g.r.IntN(10))
	g.s("</happiness>\n</annotation>\n")
}

func (g *gen) open(id int) {
	g.trapComment("open_auction")
	g.s(`<open_auction id="open_auction`)
	g.i(id)
	g.s("\">\n<initial>")
	initial := 1 + g.r.ExpFloat64()*40
	g.money(initial)
	g.s("</initial>\n")
	if g.r.IntN(2) == 0 {
		g.s("<reserve>")
		g.money(initial * (1 + g.r.Float64()))
		g.s("</reserve>\n")
	}
	cur := initial
	for k := g.r.IntN(8); k > 0; k-- {
		g.s("<bidder>\n<date>")
		g.date()
		g.s("</date>\n<time>")
		g.two(g.r.IntN(24))
		g.s(":")
		g.two(g.r.IntN(60))
		g.s(":")
		g.two(g.r.IntN(60))
		g.s("</time>\n")
		g.ref("personref", "person", "person", g.c.People)
		inc := 1.5 * float64(1+g.r.IntN(20))
		cur += inc
		g.s("<increase>")
		g.money(inc)
		g.s("</increase>\n</bidder>\n")
	}
	g.s("<current>")
	g.money(cur)
	g.s("</current>\n")
	if g.r.IntN(2) == 0 {
		g.elem("privacy", [...]string{"Yes", "No"}[g.r.IntN(2)])
	}
	g.ref("itemref", "item", "item", g.c.Items)
	g.ref("seller", "person", "person", g.c.People)
	g.annotation()
	g.s("<quantity>")
	g.i(1 + g.r.IntN(2))
	g.s("</quantity>\n")
	g.elem("type", [...]string{"Regular", "Featured"}[g.r.IntN(2)])
	g.s("<interval>\n<start>")
	g.date()
	g.s("</start>\n<end>")
	g.date()
	g.s("</end>\n</interval>\n</open_auction>\n")
}

func (g *gen) closed() {
	g.trapComment("closed_auction")
	g.s("<closed_auction>\n")
	g.ref("seller", "person", "person", g.c.People)
	g.ref("buyer", "person", "person", g.c.People)
	g.ref("itemref", "item", "item", g.c.Items)
	g.s("<price>")
	g.money(5 + g.r.ExpFloat64()*50)
	g.s("</price>\n<date>")
	g.date()
	g.s("</date>\n<quantity>")
	g.i(1 + g.r.IntN(2))
	g.s("</quantity>\n")
	g.elem("type", [...]string{"Regular", "Featured"}[g.r.IntN(2)])
	g.annotation()
	g.s("</closed_auction>\n")
}

func (g *gen) category(id int) {
	g.trapComment("category")
	g.s(`<category id="category`)
	g.i(id)
	g.s("\">\n<name>")
	g.words(1 + g.r.IntN(3))
	g.s("</name>\n")
	g.description(80)
	g.s("</category>\n")
}

// Generate writes an XMark-like auction document: site → regions (items by
// continent), categories, catgraph, people, open_auctions, closed_auctions,
// with XMark's record counts times cfg.Scale. It streams with constant
// memory and returns the bytes written.
func Generate(w io.Writer, cfg GenConfig) (int64, error) {
	return GenerateContext(context.Background(), w, cfg)
}

// GenerateContext is Generate stopping when ctx is cancelled: it checks
// ctx before every write of its 256 KB buffer (a few milliseconds apart)
// and returns ctx's error.
func GenerateContext(ctx context.Context, w io.Writer, cfg GenConfig) (int64, error) {
	if err := cfg.check(); err != nil {
		return 0, err
	}
	g := &gen{
		r:     rand.New(workloads.NewSource(cfg.Seed, 0x786d6c)),
		buf:   make([]byte, 0, flushAt+64<<10),
		w:     w,
		traps: cfg.Traps,
		c:     CountsFor(cfg.Scale),
		ctx:   ctx,
	}
	g.document()
	g.flush()
	return g.n, g.err
}

func (g *gen) document() {
	g.s("<?xml version=\"1.0\" standalone=\"yes\"?>\n")
	if g.traps {
		g.s("<!-- generated with traps: <site><people><person id=\"person0\"> -->\n")
	}
	g.s("<site>\n<regions>\n")
	id := 0
	for ci, ct := range continents {
		g.s("<")
		g.s(ct.name)
		g.s(">\n")
		for k := 0; k < g.c.Continent[ci] && g.err == nil; k++ {
			g.item(id)
			id++
			g.maybeFlush()
		}
		g.s("</")
		g.s(ct.name)
		g.s(">\n")
	}
	g.s("</regions>\n<categories>\n")
	for k := 0; k < g.c.Categories && g.err == nil; k++ {
		g.category(k)
		g.maybeFlush()
	}
	g.s("</categories>\n<catgraph>\n")
	for k := 0; k < g.c.Categories && g.err == nil; k++ {
		g.buf = fmt.Appendf(g.buf, "<edge from=\"category%d\" to=\"category%d\"/>\n", g.r.IntN(g.c.Categories), g.r.IntN(g.c.Categories))
		g.maybeFlush()
	}
	g.s("</catgraph>\n<people>\n")
	for k := 0; k < g.c.People && g.err == nil; k++ {
		g.person(k)
		g.maybeFlush()
	}
	g.s("</people>\n<open_auctions>\n")
	for k := 0; k < g.c.Open && g.err == nil; k++ {
		g.open(k)
		g.maybeFlush()
	}
	g.s("</open_auctions>\n<closed_auctions>\n")
	for k := 0; k < g.c.Closed && g.err == nil; k++ {
		g.closed()
		g.maybeFlush()
	}
	g.s("</closed_auctions>\n</site>\n")
}

// Small documents (shape "docs") are between these sizes.
const (
	DocMin = 1 << 10
	DocMax = 20 << 10
)

// GenerateDoc returns small document number i of the "docs" shape: a
// complete site of 1 to 20 KB (the size drawn uniformly) with a few people,
// items and auctions. Documents are independent: doc i depends only on the
// seed and i, so they can be made in parallel and in any order. Record ids
// are unique across documents; only document 0 holds person0.
func GenerateDoc(cfg GenConfig, i int) ([]byte, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, errors.New("document index must be >= 0")
	}
	g := &gen{
		r:     rand.New(workloads.NewSource(cfg.Seed, 1<<40+uint64(i))),
		traps: cfg.Traps,
		c:     Counts{Items: 1000, People: 1000, Open: 1000, Closed: 1000, Categories: 100},
	}
	target := DocMin + g.r.IntN(DocMax-DocMin+1)
	const overhead = 240 // the skeleton's tags
	var sec [4][]byte    // regions, people, open, closed
	base := i * 1000
	total, k := overhead, 0
	for total < target || k == 0 {
		kind := k % 4
		if kind == 0 {
			kind = 1 // a person first, so every document has one
		} else if kind == 1 {
			kind = 0
		}
		g.buf = sec[kind]
		before := len(g.buf)
		switch kind {
		case 0:
			g.item(base + k)
		case 1:
			g.person(base + k)
		case 2:
			g.open(base + k)
		case 3:
			g.closed()
		}
		if total+len(g.buf)-before > DocMax && k > 0 {
			g.buf = g.buf[:before]
			sec[kind] = g.buf
			break
		}
		total += len(g.buf) - before
		sec[kind] = g.buf
		k++
	}
	g.buf = make([]byte, 0, total+64)
	g.s("<?xml version=\"1.0\" standalone=\"yes\"?>\n<site>\n<regions>\n<europe>\n")
	g.buf = append(g.buf, sec[0]...)
	g.s("</europe>\n</regions>\n<categories>\n</categories>\n<catgraph>\n</catgraph>\n<people>\n")
	g.buf = append(g.buf, sec[1]...)
	g.s("</people>\n<open_auctions>\n")
	g.buf = append(g.buf, sec[2]...)
	g.s("</open_auctions>\n<closed_auctions>\n")
	g.buf = append(g.buf, sec[3]...)
	g.s("</closed_auctions>\n</site>\n")
	return g.buf, nil
}
