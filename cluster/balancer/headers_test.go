package balancer

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/stratbench/stratbench/cluster/worker"
)

// headerNames are the names random heads are made of: hop-by-hop ones and
// others, in several cases, and one with an underscore.
var headerNames = []string{
	"X-A", "x-a", "X-B", "x-b", "X-C", "Connection", "connection", "CONNECTION", "Keep-Alive", "keep-alive",
	"TE", "te", "Upgrade", "Proxy-Connection", "X_Under", "User-Agent", "Content-Type", "Accept",
	"X-Forwarded-For", "Forwarded", "Proxy-Authorization",
}

// connTokens are the tokens random Connection values list.
var connTokens = []string{"close", "keep-alive", "Keep-Alive", "x-a", "X-B", " x-c ", "upgrade", "te", "accept", ""}

func randomHeaders(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(8) {
		name := headerNames[rng.IntN(len(headerNames))]
		val := fmt.Sprintf("v%d", rng.IntN(100))
		if strings.EqualFold(name, "Connection") {
			var toks []string
			for range 1 + rng.IntN(3) {
				toks = append(toks, connTokens[rng.IntN(len(connTokens))])
			}
			val = strings.Join(toks, ",")
		}
		fmt.Fprintf(&b, "%s: %s\r\n", name, val)
	}
	return b.String()
}

// naiveAppendHead is appendHead's naive twin: the values of every
// Connection header first, then one pass that writes the headers that are
// not hop-by-hop, have no underscore and are not listed.
func naiveAppendHead(h *fasthttp.RequestHeader, bodyLen int) []byte {
	var conns [][]byte
	for k, v := range h.All() {
		if is(k, "Connection") {
			conns = append(conns, v)
		}
	}
	dst := fmt.Appendf(nil, "%s %s HTTP/1.1\r\n", h.Method(), h.RequestURI())
	for k, v := range h.All() {
		if hopHeader(k) || bytes.IndexByte(k, '_') >= 0 || listedInAny(conns, k) {
			continue
		}
		dst = fmt.Appendf(dst, "%s: %s\r\n", k, v)
	}
	if bodyLen > 0 || h.ContentLength() != 0 && h.ContentLength() != -2 {
		dst = fmt.Appendf(dst, "Content-Length: %d\r\n", bodyLen)
	}
	return append(dst, "\r\n"...)
}

// TestAppendHeadNaive checks appendHead, which looks at the headers once
// unless a Connection header lists others, against its naive twin on
// random request heads, read as the server reads them (names as sent).
func TestAppendHeadNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	read := 0
	defer func() {
		if read < 2000 {
			t.Errorf("only %d of 3000 random heads were read", read)
		}
	}()
	for i := range 3000 {
		raw := "GET /work?i=" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: x\r\n" + randomHeaders(rng) + "\r\n"
		var h fasthttp.RequestHeader
		h.DisableNormalizing()
		if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			continue // refused by fasthttp (say, two Content-Type): never reaches appendHead
		}
		read++
		got := appendHead(nil, &h, 0)
		if want := naiveAppendHead(&h, 0); !bytes.Equal(got, want) {
			t.Fatalf("request %q:\ngot  %q\nwant %q", raw, got, want)
		}
	}
}

// naiveStripHop is stripHop's naive twin.
func naiveStripHop(rh *fasthttp.ResponseHeader) float64 {
	svc := -1.0
	var conns [][]byte
	for k, v := range rh.All() {
		if is(k, "Connection") {
			conns = append(conns, v)
		}
		if svc < 0 && is(k, worker.HeaderService) {
			if ns, err := strconv.ParseFloat(string(v), 64); err == nil && ns >= 0 {
				svc = ns
			}
		}
	}
	var drop []string
	for k := range rh.All() {
		if hopHeader(k) && !is(k, "Content-Length") || listedInAny(conns, k) {
			drop = append(drop, string(k))
		}
	}
	for _, k := range drop {
		rh.Del(k)
	}
	return svc
}

func headerList(rh *fasthttp.ResponseHeader) []string {
	var out []string
	for k, v := range rh.All() {
		out = append(out, string(k)+": "+string(v))
	}
	return out
}

// TestStripHopNaive checks stripHop, which looks at the headers once when
// none is to go, against its naive twin on random response heads.
func TestStripHopNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	svcNames := []string{worker.HeaderService, strings.ToLower(worker.HeaderService)}
	read := 0
	defer func() {
		if read < 2000 {
			t.Errorf("only %d of 3000 random heads were read", read)
		}
	}()
	for range 3000 {
		extra := randomHeaders(rng)
		if rng.IntN(2) == 0 {
			extra += fmt.Sprintf("%s: %d\r\n", svcNames[rng.IntN(2)], rng.IntN(1e6)-1000)
		}
		raw := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + extra + "\r\n"
		var a, b fasthttp.ResponseHeader
		var err error
		for _, h := range []*fasthttp.ResponseHeader{&a, &b} {
			h.DisableNormalizing()
			if err = h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
				break
			}
			h.ResetConnectionClose()
		}
		if err != nil {
			continue // refused by fasthttp's reader: never reaches stripHop
		}
		read++
		gotSvc, wantSvc := stripHop(&a), naiveStripHop(&b)
		if got, want := headerList(&a), headerList(&b); gotSvc != wantSvc || !slices.Equal(got, want) {
			t.Fatalf("response %q:\ngot  %q, service %v\nwant %q, service %v", raw, got, gotSvc, want, wantSvc)
		}
	}
}

// TestParseNs checks parseNs against strconv.ParseFloat, its naive twin
// (finite values >= 0 only), on random digits, floats and junk.
func TestParseNs(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 5))
	alphabet := "0123456789.e-+ xInfNa"
	cases := []string{"", "0", "007", "123456789012345", "1234567890123456", "-1", "1e3", "inf", "+Inf", "NaN", "1.5", " 1", "1 "}
	for range 5000 {
		var b []byte
		for range 1 + rng.IntN(18) {
			if rng.IntN(4) == 0 {
				b = append(b, alphabet[rng.IntN(len(alphabet))])
			} else {
				b = append(b, byte('0'+rng.IntN(10)))
			}
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		got, gotOK := parseNs([]byte(c))
		want, err := strconv.ParseFloat(c, 64)
		wantOK := err == nil && want >= 0 && !math.IsInf(want, 0)
		if gotOK != wantOK || gotOK && got != want {
			t.Fatalf("parseNs(%q) = %v, %v; want %v, %v", c, got, gotOK, want, wantOK)
		}
	}
}
