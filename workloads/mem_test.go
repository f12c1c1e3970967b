package workloads

import (
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true},
		{"64K", 64 << 10, true},
		{"107520K", 107520 << 10, true}, // the format of /sys/.../cache/index3/size
		{"256M", 256 << 20, true},
		{"1G", 1 << 30, true},
		{"1.5MiB", 3 << 19, true},
		{"2mb", 2 << 20, true},
		{"", 0, false},
		{"-1K", 0, false},
		{"lots", 0, false},
	}
	for _, tc := range cases {
		got, err := ParseBytes(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDefaultMemBuffer(t *testing.T) {
	b := DefaultMemBuffer()
	if b&(b-1) != 0 || b < 2*LLCBytes() || b <= 0 {
		t.Errorf("DefaultMemBuffer() = %d: want a power of two at least twice the LLC (%d)", b, LLCBytes())
	}
}

// TestMemBatches: the mem and mix workloads run every task once, with
// sizes from the distribution; a small buffer keeps the test fast.
func TestMemBatches(t *testing.T) {
	size, _ := ParseSize("exp")
	for _, name := range []string{"mem", "mix"} {
		b, err := NewBatch(name, BatchConfig{Tasks: 50, Size: size, Unit: 2 * time.Microsecond, Seed: 1,
			Args: map[string]string{"buffer": "1M"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < b.Len(); i++ {
			b.Run(i)
		}
		if err := b.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		b.Reset()
		if err := b.Check(); err == nil {
			t.Errorf("%s: Check passed after Reset with no task run", name)
		}
	}
	if c := CalibrateMem(1 << 20); !(c.NsPerRead > 0) || c.Rounds == 0 || c.Buffer != 1<<20 {
		t.Errorf("CalibrateMem(1M) = %+v", c)
	}
	bad := []map[string]string{{"buffer": "1"}, {"mem": "2"}, {"other": "1"}}
	for _, args := range bad {
		if _, err := NewBatch("mix", BatchConfig{Tasks: 1, Unit: time.Microsecond, Args: args}); err == nil {
			t.Errorf("mix accepted args %v", args)
		}
	}
}

// FuzzParseBytes: --args buffer=SIZE never panics, and what it accepts is a
// size in [0, 1 TiB].
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"4096", "64K", "107520K", "1.5MiB", "1G", "", "-1", "1e9", "NaN", "Inf", "0x10M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err == nil && (n < 0 || n > 1<<40) {
			t.Errorf("ParseBytes(%q) = %d: out of range", s, n)
		}
	})
}
