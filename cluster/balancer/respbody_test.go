package balancer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/valyala/fasthttp"
)

// rawResponse is a backend's response of the given framing ("length",
// "chunked" or "close") with a body of n bytes drawn from r, followed by
// the next response's first bytes when the framing ends by itself.
func rawResponse(r *rand.Rand, framing string, n int) (raw, body []byte) {
	body = make([]byte, n)
	for i := range body {
		body[i] = byte('a' + r.IntN(26))
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\nX-A: 1\r\n")
	switch framing {
	case "length":
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", n)
		b.Write(body)
	case "chunked":
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; len(rest) > 0; {
			k := min(len(rest), 1+r.IntN(20000))
			fmt.Fprintf(&b, "%x\r\n", k)
			b.Write(rest[:k])
			b.WriteString("\r\n")
			rest = rest[k:]
		}
		b.WriteString("0\r\n\r\n")
	case "close":
		b.WriteString("Connection: close\r\n\r\n")
		b.Write(body)
		return b.Bytes(), body
	}
	b.WriteString("HTTP/1.1 204") // the next response: must stay unread
	return b.Bytes(), body
}

// readWhole is the naive twin of exchange's read of a response: fasthttp's
// ReadLimitBody, the body in resp.
func readWhole(br *bufio.Reader, resp *fasthttp.Response, limit int) ([]byte, error) {
	err := resp.ReadLimitBody(br, limit)
	return resp.Body(), err
}

// readOurs is exchange's read of a response: the head, then the body by
// readResponseBody, in resp or (over smallResponse) hb, which the caller
// closes.
func readOurs(b *Balancer, br *bufio.Reader, resp *fasthttp.Response) (body []byte, hb *heldBody, err error) {
	resp.SkipBody = true
	if err := resp.ReadLimitBody(br, b.cfg.Limits.MaxResponseBodyBytes); err != nil {
		return nil, nil, err
	}
	resp.SkipBody = false
	hb, err = b.readResponseBody(br, resp)
	if err != nil || hb == nil {
		return resp.Body(), nil, err
	}
	var out bytes.Buffer
	hb.WriteTo(&out) // as the server writes it
	return out.Bytes(), hb, nil
}

// The split read (head, then a large body into a reserved buffer of its
// own) gives the same body, the same error and leaves the same bytes
// unread as fasthttp's whole read, on random responses of every framing
// and size around the limits; and gives its reservations back.
func TestReadResponseBodyAsFasthttp(t *testing.T) {
	const limit = 256 << 10
	b := &Balancer{cfg: Config{Limits: Limits{MaxResponseBodyBytes: limit, MaxBufferedResponseBytes: 1 << 30}}}
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 300, smallResponse, smallResponse + 1, 70000, limit, limit + 1}
	for range 40 {
		sizes = append(sizes, r.IntN(limit+limit/4))
	}
	for _, framing := range []string{"length", "chunked", "close"} {
		for _, n := range sizes {
			raw, want := rawResponse(r, framing, n)
			cut := len(raw)
			if r.IntN(4) == 0 {
				cut = r.IntN(len(raw)) // a response cut short
			}
			var w, o fasthttp.Response
			brW := bufio.NewReaderSize(bytes.NewReader(raw[:cut]), 4096)
			brO := bufio.NewReaderSize(bytes.NewReader(raw[:cut]), 4096)
			gotW, errW := readWhole(brW, &w, limit)
			gotO, hb, errO := readOurs(b, brO, &o)
			if hb != nil {
				hb.Close()
			}
			name := fmt.Sprintf("%s %d bytes cut at %d/%d", framing, n, cut, len(raw))
			if (errW == nil) != (errO == nil) {
				t.Fatalf("%s: error %v, fasthttp's %v", name, errO, errW)
			}
			restW, _ := io.ReadAll(brW)
			restO, _ := io.ReadAll(brO)
			if !bytes.Equal(restW, restO) {
				t.Fatalf("%s: left %q unread, fasthttp %q", name, restO, restW)
			}
			if errW != nil {
				continue
			}
			if cut < len(raw) {
				want = gotW // a close-delimited body cut short is whatever came
			}
			if !bytes.Equal(gotO, gotW) || !bytes.Equal(gotO, want) {
				t.Fatalf("%s: body of %d bytes, fasthttp's %d, want %d", name, len(gotO), len(gotW), len(want))
			}
		}
	}
	if n := b.respMem.Load(); n != 0 {
		t.Errorf("%d bytes still reserved", n)
	}
}

// Past the budget a large body of declared length is refused before a
// byte of it is read; a small one is never counted; a body reserves its
// buffer's capacity.
func TestReadResponseBodyBudget(t *testing.T) {
	b := &Balancer{cfg: Config{Limits: Limits{MaxResponseBodyBytes: 1 << 20, MaxBufferedResponseBytes: 150 << 10}}}
	r := rand.New(rand.NewPCG(3, 4))
	var held []*heldBody
	// read reads a response with a body of n bytes and returns how many
	// bytes of it are left unread.
	read := func(n int) (*heldBody, int, error) {
		raw, _ := rawResponse(r, "length", n)
		rd := bytes.NewReader(raw)
		br := bufio.NewReaderSize(rd, 4096)
		var resp fasthttp.Response
		resp.SkipBody = true
		if err := resp.ReadLimitBody(br, 1<<20); err != nil {
			t.Fatal(err)
		}
		hb, err := b.readResponseBody(br, &resp)
		return hb, br.Buffered() + rd.Len() - len("HTTP/1.1 204"), err
	}
	for range 2 {
		hb, _, err := read(40 << 10)
		if err != nil || hb == nil {
			t.Fatalf("a body within the budget: %v, %v", hb, err)
		}
		held = append(held, hb)
	}
	if n := b.respMem.Load(); n != 2*64<<10 {
		t.Fatalf("%d bytes reserved, want two buffers of 64 KiB (40 KiB rounded up to the size class)", n)
	}
	_, unread, err := read(40 << 10)
	if err != errResponseMemory {
		t.Fatalf("a body past the budget: %v, want errResponseMemory", err)
	}
	if unread != 40<<10 {
		t.Fatalf("%d bytes of the refused body were read", 40<<10-unread)
	}
	if hb, _, err := read(300); err != nil || hb != nil {
		t.Fatalf("a small body past the budget: %v, %v", hb, err)
	}
	for _, hb := range held {
		hb.Close()
		hb.Close() // once only
	}
	if n := b.respMem.Load(); n != 0 {
		t.Fatalf("%d bytes still reserved", n)
	}
	if hb, _, err := read(40 << 10); err != nil || hb == nil {
		t.Fatalf("a body after the others were given back: %v, %v", hb, err)
	}
}

// Each size class's buffers hold the sizes the class is chosen for.
func TestRespClass(t *testing.T) {
	if c := respClass(maxPooledResponse); c != len(respBufs)-1 {
		t.Fatalf("respClass(maxPooledResponse) = %d, want the last of %d pools", c, len(respBufs))
	}
	for n := smallResponse + 1; n <= maxPooledResponse+1; n += 1 + n/97 {
		c := respClass(n)
		switch {
		case n > maxPooledResponse && c != -1:
			t.Fatalf("respClass(%d) = %d, want -1", n, c)
		case n > maxPooledResponse:
		case minPooledResponse<<c < n || c > 0 && minPooledResponse<<(c-1) >= n:
			t.Fatalf("respClass(%d) = %d: %d bytes", n, c, minPooledResponse<<c)
		}
	}
}

// BenchmarkReadResponse compares exchange's read of a response (the head,
// then the body: way=split) with the whole read by fasthttp it replaced
// (way=whole), side by side: a small body takes the same path in both.
func BenchmarkReadResponse(b *testing.B) {
	bal := &Balancer{cfg: Config{Limits: Limits{MaxResponseBodyBytes: 64 << 20, MaxBufferedResponseBytes: 1 << 30}}}
	for _, n := range []int{300, 64 << 10} {
		raw, _ := rawResponse(rand.New(rand.NewPCG(1, 1)), "length", n)
		for _, way := range []string{"whole", "split"} {
			b.Run(fmt.Sprintf("size=%d/way=%s", n, way), func(b *testing.B) {
				rd := bytes.NewReader(raw)
				br := bufio.NewReaderSize(rd, 32<<10)
				var resp fasthttp.Response
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					rd.Reset(raw)
					br.Reset(rd)
					var err error
					if way == "whole" {
						_, err = readWhole(br, &resp, 64<<20)
					} else {
						resp.SkipBody = true
						if err = resp.ReadLimitBody(br, 64<<20); err == nil {
							resp.SkipBody = false
							var hb *heldBody
							if hb, err = bal.readResponseBody(br, &resp); hb != nil {
								hb.Close()
							}
						}
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
