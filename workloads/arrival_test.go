package workloads

import (
	"math"
	"strings"
	"testing"
)

// TestArrivalRates checks that every generated process has mean rate λ.
func TestArrivalRates(t *testing.T) {
	for _, spec := range []string{"poisson", "det", "onoff", "onoff:on=5,off=20"} {
		t.Run(spec, func(t *testing.T) {
			a, err := ParseArrival(spec)
			if err != nil {
				t.Fatal(err)
			}
			p := a.Process(4, 1, NewSource(3, 4))
			const n = 400_000
			total := 0.0
			for range n {
				gap, size := p.Next()
				if gap < 0 || size >= 0 {
					t.Fatalf("gap %v size %v", gap, size)
				}
				total += gap
			}
			// On/off periods of mean 20 make the rate converge slowly: 3%.
			if rate := n / total; math.Abs(rate-4)/4 > 0.03 {
				t.Errorf("rate %v, want 4 ± 3%%", rate)
			}
		})
	}
}

// TestReadTrace checks trace parsing, including a header and errors that
// name the file and line.
func TestReadTrace(t *testing.T) {
	tr, err := ReadTrace("t.csv", strings.NewReader("time,size\n0,1\n\n# note\n1.5, 2\n3,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Times) != 3 || tr.Sizes[1] != 2 || tr.MeanSize() != 1 || tr.Rate() != 2.0/3 {
		t.Errorf("got %+v", tr)
	}
	for _, tc := range []struct{ in, want string }{
		{"0,1\n2,1\n1,1\n", "t.csv:3: arrival times must not decrease"},
		{"0,1\n1\n", "t.csv:2: want 2 comma-separated fields"},
		{"0,1\n1,x\n", "t.csv:2: size must be a finite number"},
		{"0,1\n-1,1\n", "t.csv:2: arrival time must be a finite number >= 0"},
		{"0,1\n1,NaN\n", "t.csv:2: size must be"},
		{"0,1\n", "at least 2 jobs"},
		{"1,1\n1,1\n", "span a positive duration"},
		{"0,0\n1,0\n", "every size is 0"},
		{"time,size\nfoo,bar\n", "t.csv:2: arrival time must be"},
	} {
		_, err := ReadTrace("t.csv", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestParseArrivalErrors checks spec errors.
func TestParseArrivalErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"bursty", `unknown arrival process "bursty"`},
		{"poisson:rate=2", "takes no parameters"},
		{"onoff:on=0", "on must be a positive number"},
		{"onoff:on=1e-300,off=1e300", "on must be in [1e-06, 1e+06] mean service times, got 1e-300"},
		{"onoff:on=1,off=1e300", "off must be in [1e-06, 1e+06]"},
		{"onoff:on=1e-3,off=1e4", "on is 1e-07 of the time, below 1e-06"},
		{"onoff:up=2", `unknown parameter "up"`},
		{"trace:", "trace needs a file"},
		{"trace:/no/such", "no such file"},
	} {
		_, err := ParseArrival(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.spec, err, tc.want)
		}
	}
}

// TestCheckRate: loads whose gaps the clock cannot resolve are refused
// (--load 5e-324 warned "the arrival trace ran out" with no trace given).
func TestCheckRate(t *testing.T) {
	for _, tc := range []struct {
		load, capacity float64
		ok             bool
	}{
		{0.5, 2, true}, {1e-12, 1, true}, {2, 1 << 24, true},
		{5e-324, 2, false}, {1e308, 2, false}, {1e-13, 1, false}, {math.Inf(1), 1, false}, {math.NaN(), 1, false},
	} {
		err := CheckRate(tc.load, tc.capacity)
		if (err == nil) != tc.ok {
			t.Errorf("CheckRate(%g, %g) = %v, want ok %v", tc.load, tc.capacity, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "change the load") {
			t.Errorf("%v: does not say what to change", err)
		}
	}
}

// FuzzReadTrace checks that no input makes the trace parser panic and that
// accepted traces satisfy their invariants.
func FuzzReadTrace(f *testing.F) {
	f.Add("time,size\n0,1\n1,2\n")
	f.Add("0,1\n0.5,0\n2,3\n")
	f.Add("1e308,1\n1e309,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ReadTrace("fuzz", strings.NewReader(in))
		if err != nil {
			return
		}
		for i := range tr.Times {
			if tr.Sizes[i] < 0 || (i > 0 && tr.Times[i] < tr.Times[i-1]) {
				t.Fatalf("accepted bad trace %q", in)
			}
		}
		if !(tr.Rate() > 0) {
			t.Fatalf("accepted trace with rate %v", tr.Rate())
		}
	})
}

// FuzzParseArrival checks that no spec makes the parser panic.
func FuzzParseArrival(f *testing.F) {
	for _, s := range []string{"poisson", "det", "onoff", "onoff:on=1,off=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if strings.HasPrefix(spec, "trace:") {
			return // reads files
		}
		a, err := ParseArrival(spec)
		if err != nil {
			return
		}
		gap, _ := a.Process(1, 1, NewSource(1, 1)).Next()
		if gap < 0 || math.IsNaN(gap) {
			t.Fatalf("%q: gap %v", spec, gap)
		}
	})
}
