// Package lines reads text one line at a time with a bounded line length,
// for inputs of any size: a line over the limit is reported by number and
// skipped (the reader goes on with the next line) instead of failing the
// whole input or growing without bound.
package lines

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

// Max is the longest line the readers of result files accept: four times
// the largest record stratbench writes (the per-server arrays of a
// simulation of 2^24 servers, about 67 MB).
const Max = 256 << 20

// Scanner reads lines like bufio.Scanner, but a line longer than its limit
// is not an error that ends reading: TooLong reports it and Scan goes on.
type Scanner struct {
	r      *bufio.Reader
	max    int
	line   int
	buf    []byte
	long   bool
	nl     bool
	start  int64
	offset int64
	err    error
}

// NewScanner reads r with lines of at most max bytes (not counting the
// newline).
func NewScanner(r io.Reader, max int) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Scan advances to the next line; it returns false at the end of the input
// or on a read error (see Err).
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	s.buf, s.long, s.nl, s.start = s.buf[:0], false, false, s.offset
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.offset += int64(len(chunk))
		if !s.long {
			if len(s.buf)+len(chunk) > s.max+1 || (err != nil && len(s.buf)+len(chunk) > s.max) {
				s.long, s.buf = true, s.buf[:0]
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			s.line++
			s.nl = true
			if !s.long {
				s.buf = s.buf[:len(s.buf)-1]
			}
			return true
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if s.offset > s.start {
				s.line++
				return true
			}
			return false
		default:
			s.err = err
			return false
		}
	}
}

// Bytes is the current line without its newline (empty when TooLong). It
// is valid until the next Scan.
func (s *Scanner) Bytes() []byte { return s.buf }

// Line is the current line's number, from 1.
func (s *Scanner) Line() int { return s.line }

// TooLong reports whether the current line was longer than the limit.
func (s *Scanner) TooLong() bool { return s.long }

// TooLongError describes the current line as too long.
func (s *Scanner) TooLongError() error {
	return fmt.Errorf("line %d is longer than %d MB, the limit of a line (%d bytes)", s.line, s.max>>20, s.offset-s.start)
}

// Terminated reports whether the current line ended with a newline (the
// last line of a file may not).
func (s *Scanner) Terminated() bool { return s.nl }

// Start is the offset of the current line's first byte; End the offset
// just past it (past its newline).
func (s *Scanner) Start() int64 { return s.start }

// End is the offset just past the current line and its newline.
func (s *Scanner) End() int64 { return s.offset }

// Err is the read error that stopped Scan, if any.
func (s *Scanner) Err() error { return s.err }

// ContextReader is r failing with ctx's error once ctx is cancelled, so
// that a reader of a large input stops within one read of a cancellation.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx, r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
