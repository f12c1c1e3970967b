package chart

import (
	"math"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func TestShortNumber(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{1.5, "1.5"},
		{12345, "12.3k"}, // three significant digits above 10^4
		{3.5e6, "3.5M"},
		{2e9, "2G"},
		{0.0001234, "0.00012"}, // two significant digits below 10^-3
	} {
		if got := ShortNumber(c.v); got != c.want {
			t.Errorf("ShortNumber(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

// Downsampling keeps the ends, at most n points, in order, and the peak
// of a spike (the point that shapes the line most).
func TestDownsample(t *testing.T) {
	xys := make(plotter.XYs, 1000)
	for i := range xys {
		xys[i].X = float64(i)
		xys[i].Y = math.Sin(float64(i) / 50)
	}
	xys[501].Y = 10
	out := Downsample(xys, 100)
	if len(out) != 100 {
		t.Fatalf("len = %d, want 100", len(out))
	}
	if out[0] != xys[0] || out[len(out)-1] != xys[len(xys)-1] {
		t.Errorf("ends not kept: %v %v", out[0], out[len(out)-1])
	}
	peak := false
	for i, p := range out {
		if i > 0 && !(p.X > out[i-1].X) {
			t.Fatalf("not in order at %d", i)
		}
		peak = peak || p.Y == 10
	}
	if !peak {
		t.Error("the spike was dropped")
	}
	if got := Downsample(xys[:50], 100); len(got) != 50 {
		t.Errorf("a short series changed: %d points", len(got))
	}
}

// A figure renders to a PNG, and a panic of gonum on degenerate data
// becomes an error.
func TestFigureRender(t *testing.T) {
	p := NewPlot("t", "x (s)", "y (s)")
	l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}})
	p.Add(l)
	png, err := New("A title — a scenario", []*plot.Plot{p}, Height(300)).Render()
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("render: %v, %d bytes", err, len(png))
	}
}
