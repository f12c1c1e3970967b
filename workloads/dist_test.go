package workloads

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSizeMoments checks every distribution's sampler against its stated
// mean and second moment. With 400,000 samples the standard error of the
// mean is sqrt(scv/400000) ≤ 0.5% for scv ≤ 10, so 2% is four or more
// standard errors; the second moment converges more slowly (it needs the
// fourth moment), so its tolerance is 6%, and heavy tails are left out.
func TestSizeMoments(t *testing.T) {
	cases := []struct {
		spec      string
		checkM2   bool
		wantMean  float64
		wantSCV   float64 // NaN: don't check
		tolerance float64
	}{
		{"exp", true, 1, 1, 0.02},
		{"exp:mean=3", true, 3, 1, 0.02},
		{"det", true, 1, 0, 1e-12},
		{"det:mean=0.25", true, 0.25, 0, 1e-12},
		{"lognormal:sigma=0.5", true, 1, math.Exp(0.25) - 1, 0.02},
		{"lognormal:sigma=1,mean=2", true, 2, math.E - 1, 0.02},
		{"pareto:alpha=2.5", false, 1, math.NaN(), 0.03},
		{"pareto:alpha=4", true, 1, 1.0 / (4 * 2), 0.02},
		{"bimodal:p=0.1,ratio=10", true, 1, math.NaN(), 0.02},
		{"hyperexp:scv=4", true, 1, 4, 0.02},
		{"hyperexp:scv=1", true, 1, 1, 0.02},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			d, err := ParseSize(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if d.Mean() != tc.wantMean {
				t.Errorf("Mean() = %v, want %v", d.Mean(), tc.wantMean)
			}
			if !math.IsNaN(tc.wantSCV) && math.Abs(d.SCV()-tc.wantSCV) > 1e-9 {
				t.Errorf("SCV() = %v, want %v", d.SCV(), tc.wantSCV)
			}
			s := d.Sampler(NewSource(1, 2))
			const n = 400_000
			var sum, sum2 float64
			for range n {
				x := s.Sample()
				if x < 0 {
					t.Fatalf("negative sample %v", x)
				}
				sum += x
				sum2 += x * x
			}
			if m := sum / n; math.Abs(m-d.Mean())/d.Mean() > tc.tolerance {
				t.Errorf("sample mean %v, want %v ± %.0f%%", m, d.Mean(), 100*tc.tolerance)
			}
			if tc.checkM2 {
				if m2 := sum2 / n; math.Abs(m2-d.SecondMoment())/d.SecondMoment() > 3*tc.tolerance+1e-12 {
					t.Errorf("sample E[S²] %v, want %v", m2, d.SecondMoment())
				}
			}
		})
	}
}

// TestParseSizeErrors checks that bad specs are rejected with a message
// naming the problem and, where useful, what is allowed.
func TestParseSizeErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"gamma", `unknown distribution "gamma"`},
		{"", `unknown distribution ""`},
		{"pareto:alpha=1", "alpha must be > 1"},
		{"pareto:alpha=0.5", "alpha must be > 1"},
		{"pareto", "pareto needs alpha"},
		{"lognormal", "lognormal needs sigma"},
		{"lognormal:sigma=-1", "sigma must be in (0, 10]"},
		{"exp:mean=0", "mean must be in [1e-09, 1e+12]"},
		{"exp:mean=-2", "mean must be in"},
		{"exp:mean=1e-308", "mean must be in"},
		{"empirical:x,mean=0", "mean must be in"},
		{"exp:mean=abc", "mean must be a finite number"},
		{"exp:mean=NaN", "mean must be a finite number"},
		{"exp:sigma=1", `unknown parameter "sigma" (allowed: mean)`},
		{"bimodal:p=0.1", "bimodal needs p and ratio"},
		{"bimodal:p=1,ratio=2", "p must be in (0, 1)"},
		{"hyperexp:scv=0.5", "scv must be in [1, 1e6]"},
		{"lognormal:sigma", `parameter "sigma" is not key=value`},
		{"empirical:", "empirical needs a file"},
		{"empirical:/no/such/file", "no such file"},
	} {
		_, err := ParseSize(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSize(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}

// TestEmpirical checks the empirical distribution: rescaled to the mean,
// and malformed files reported with their line.
func TestEmpirical(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("# sizes\n1\n2\n\n3\n"), 0o644)
	d, err := ParseSize("empirical:" + good)
	if err != nil {
		t.Fatal(err)
	}
	if d.Mean() != 1 || math.Abs(d.SecondMoment()-(0.25+1+2.25)/3) > 1e-12 {
		t.Errorf("mean %v, E[S²] %v: want the sample rescaled to mean 1", d.Mean(), d.SecondMoment())
	}
	d, err = ParseSize("empirical:" + good + ",mean=4")
	if err != nil || d.Mean() != 4 {
		t.Fatalf("mean=4: %v %v", d, err)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("1\n2\nx\n"), 0o644)
	if _, err := ParseSize("empirical:" + bad); err == nil || !strings.Contains(err.Error(), "bad.txt:3:") {
		t.Errorf("err = %v, want one naming bad.txt:3", err)
	}
}

// FuzzParseSize checks that no spec makes the parser panic, and that every
// accepted distribution has a positive finite mean and samples >= 0.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"exp", "det:mean=2", "lognormal:sigma=1", "pareto:alpha=1.5", "bimodal:p=0.2,ratio=9", "hyperexp:scv=3", "exp:mean=1e308", "pareto:alpha=1.0000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if strings.HasPrefix(spec, "empirical:") {
			return // reads files
		}
		d, err := ParseSize(spec)
		if err != nil {
			return
		}
		if !(d.Mean() > 0) || math.IsInf(d.Mean(), 0) {
			t.Fatalf("%q: mean %v", spec, d.Mean())
		}
		s := d.Sampler(NewSource(1, 1))
		for range 10 {
			if x := s.Sample(); x < 0 || math.IsNaN(x) {
				t.Fatalf("%q: sample %v", spec, x)
			}
		}
	})
}

// TestEmpiricalExtremes: values near the largest float are rescaled, not
// summed to +Inf (two 1e308 values made every service time 0).
func TestEmpiricalExtremes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		body string
		want []float64
	}{
		{"1e308\n1e308\n", []float64{1, 1}},
		{"1e308\n1.7e308\n0\n", []float64{3e308 / 2.7e308 * 1, 5.1e308 / 2.7e308, 0}},
		{"5e-324\n5e-324\n", []float64{1, 1}},
	} {
		p := filepath.Join(dir, "e.txt")
		os.WriteFile(p, []byte(tc.body), 0o644)
		d, err := ParseSize("empirical:" + p)
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		for i, v := range d.values {
			if math.Abs(v-tc.want[i]) > 1e-12 {
				t.Errorf("%q: values %v, want %v", tc.body, d.values, tc.want)
				break
			}
		}
	}
}
