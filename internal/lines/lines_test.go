package lines

import (
	"context"
	"strings"
	"testing"
)

type got struct {
	text  string
	line  int
	long  bool
	nl    bool
	start int64
}

// TestScanner: lines up to the limit are read whole, longer ones are
// reported by number and skipped, a last line without a newline is read
// and flagged.
func TestScanner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []got
	}{
		{"empty", "", 10, nil},
		{"lines", "ab\ncd\n", 10, []got{{"ab", 1, false, true, 0}, {"cd", 2, false, true, 3}}},
		{"no final newline", "ab\ncd", 10, []got{{"ab", 1, false, true, 0}, {"cd", 2, false, false, 3}}},
		{"exactly the limit", "abcd\n", 4, []got{{"abcd", 1, false, true, 0}}},
		{"too long then fine", "abcde\nxy\n", 4, []got{{"", 1, true, true, 0}, {"xy", 2, false, true, 6}}},
		{"too long at the end", "ab\nabcde", 4, []got{{"ab", 1, false, true, 0}, {"", 2, true, false, 3}}},
		{"longer than the buffer", strings.Repeat("x", 200<<10) + "\nok\n", 100 << 10, []got{{"", 1, true, true, 0}, {"ok", 2, false, true, 200<<10 + 1}}},
		{"long but allowed", strings.Repeat("y", 150<<10) + "\n", 200 << 10, []got{{strings.Repeat("y", 150<<10), 1, false, true, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner(strings.NewReader(tt.in), tt.max)
			var out []got
			for s.Scan() {
				out = append(out, got{string(s.Bytes()), s.Line(), s.TooLong(), s.Terminated(), s.Start()})
			}
			if s.Err() != nil {
				t.Fatal(s.Err())
			}
			if len(out) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(out), len(tt.want))
			}
			for i := range out {
				if out[i] != tt.want[i] {
					w := tt.want[i]
					t.Errorf("line %d: got (len %d, %d, long %v, nl %v, at %d), want (len %d, %d, long %v, nl %v, at %d)", i+1,
						len(out[i].text), out[i].line, out[i].long, out[i].nl, out[i].start, len(w.text), w.line, w.long, w.nl, w.start)
				}
			}
		})
	}
}

func TestContextReader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := NewScanner(ContextReader(ctx, strings.NewReader("a\nb\n")), 10)
	if s.Scan() || s.Err() != context.Canceled {
		t.Fatalf("Scan after cancellation: err %v", s.Err())
	}
}
