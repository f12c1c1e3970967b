package reports

import (
	"bytes"
	"context"
	"fmt"
	"github.com/stratbench/stratbench/reports/internal/chart"
	"image"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/stratbench/stratbench/metrics"
)

func loadFixtures(t testing.TB, files ...string) *Set {
	t.Helper()
	s, err := Load(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChartKinds checks which charts each input gets: a chart whose data
// is absent is skipped, never drawn empty.
func TestChartKinds(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  []string
	}{
		// A load sweep of the simulator: everything about latency and
		// balance, nothing about workers or profiles.
		{"sim sweep", []string{"testdata/sim.jsonl"}, []string{"cdf", "crossover", "per-server", "percentiles", "response-vs-load"}},
		// Batch runs at two worker counts, with a profile named by the
		// records: bars, speedup, per-worker work and the profile.
		{"batch", []string{"testdata/batch.jsonl"}, []string{"bars", "per-server", "profile-categories", "speedup"}},
		// Service mode beside the simulator's runs of the same cases: the
		// model check joins the latency charts.
		{"model", []string{"testdata/service.jsonl", "testdata/sim8.jsonl"}, []string{"cdf", "crossover", "model", "per-server", "percentiles", "response-vs-load"}},
		// Runs with a fault: the traffic share over time joins them.
		{"faults", []string{"testdata/faults.jsonl"}, []string{"cdf", "per-server", "percentiles", "traffic-share"}},
		// Go benchmark text: only bars of the headline metric.
		{"go bench", []string{"testdata/gobench.txt"}, []string{"bars"}},
		// One strategy at one load: nothing to compare, no chart.
		{"single", []string{"-"}, nil},
	}
	single := `{"engine":"sim","name":"policy=p2c/servers=4/load=0.5","params":{"policy":"p2c","servers":4,"load":0.5},"metrics":{"response_mean":1.2},"env":{"go_version":"","goos":"","goarch":"","num_cpu":0,"gomaxprocs":0,"seed":0}}`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.files, strings.NewReader(single))
			if err != nil {
				t.Fatal(err)
			}
			r, err := build(context.Background(), s, true, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Charts {
				k, _, _ := strings.Cut(c.ID, "-sim")
				k, _, _ = strings.Cut(k, "-batch")
				k, _, _ = strings.Cut(k, "-kernels")
				k, _, _ = strings.Cut(k, "-service")
				k, _, _ = strings.Cut(k, "-vs-real")
				if c.ID == "profile-categories" {
					k = c.ID
				}
				if !slices.Contains(got, k) {
					got = append(got, k)
				}
			}
			slices.Sort(got)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("charts %v, want %v", got, tc.want)
			}
		})
	}
}

// TestChartsArePictures decodes every PNG of the full fixture report and
// checks its size, that it is not blank, and that every chart has a title
// and two lines of caption.
func TestChartsArePictures(t *testing.T) {
	r, _ := sharedReport(t)
	if len(r.Charts) < 8 {
		t.Fatalf("only %d charts", len(r.Charts))
	}
	for _, c := range r.Charts {
		t.Run(c.ID, func(t *testing.T) {
			if c.Title == "" || c.What == "" || c.How == "" {
				t.Errorf("title %q what %q how %q: every chart needs all three", c.Title, c.What, c.How)
			}
			img, err := png.Decode(bytes.NewReader(c.PNG))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if b.Dx() < 600 || b.Dy() < 300 || b.Dx() > 2000 || b.Dy() > 2000 {
				t.Errorf("size %dx%d, want a readable chart", b.Dx(), b.Dy())
			}
			if ink, colors := inkAndColors(img); ink < 0.02 || colors < 3 {
				t.Errorf("%.1f%% of pixels drawn in %d colors: looks blank", 100*ink, colors)
			}
		})
	}
}

// inkAndColors returns the share of non-white pixels and the number of
// distinct colors, on a sample of every third pixel of every third row.
func inkAndColors(img image.Image) (float64, int) {
	b := img.Bounds()
	ink, n := 0, 0
	colors := map[[3]uint8]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			var r, g, bl uint8
			switch im := img.(type) {
			case *image.RGBA:
				i := im.PixOffset(x, y)
				r, g, bl = im.Pix[i], im.Pix[i+1], im.Pix[i+2]
			case *image.NRGBA:
				i := im.PixOffset(x, y)
				r, g, bl = im.Pix[i], im.Pix[i+1], im.Pix[i+2]
			default:
				rr, gg, bb, _ := img.At(x, y).RGBA()
				r, g, bl = uint8(rr>>8), uint8(gg>>8), uint8(bb>>8)
			}
			n++
			if r < 0xf0 || g < 0xf0 || bl < 0xf0 {
				ink++
			}
			if len(colors) < 1000 {
				colors[[3]uint8{r >> 4, g >> 4, bl >> 4}] = true
			}
		}
	}
	return float64(ink) / float64(n), len(colors)
}

// TestDownsample checks that long series are cut to the limit and keep
// their ends and their peak.
func TestDownsample(t *testing.T) {
	var xys plotter.XYs
	for i := range 10000 {
		y := math.Sin(float64(i) / 500)
		if i == 7777 {
			y = 50 // a spike that must survive
		}
		xys = append(xys, plotter.XY{X: float64(i), Y: y})
	}
	got := chart.Downsample(xys, 400)
	if len(got) != 400 {
		t.Fatalf("%d points, want 400", len(got))
	}
	if got[0] != xys[0] || got[len(got)-1] != xys[len(xys)-1] {
		t.Error("the first and last points must be kept")
	}
	if !slices.ContainsFunc(got, func(p plotter.XY) bool { return p.Y == 50 }) {
		t.Error("the spike was lost")
	}
	if short := xys[:10]; len(chart.Downsample(short, 400)) != 10 {
		t.Error("short series must be kept as they are")
	}
}

// TestLogTicks checks the labels of log axes: 1-2-5 on a narrow range,
// powers of ten on a wide one, and never fewer than two labels.
func TestLogTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   string
	}{
		{0.85, 12, "1,2,5,10"},                // narrow: 1, 2, 5 steps
		{1, 1e6, "1,10,100,1000,10k,100k,1M"}, // wide: powers of ten only
		{1.2, 1.8, "1.2,1.8"},                 // no round number inside: the ends
	}
	for _, tc := range cases {
		var labels []string
		for _, tk := range (chart.LogTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, ","); got != tc.want {
			t.Errorf("ticks(%v, %v) = %s, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestLogAxisWithNegativeInterval pins a crash: an interval reaching below
// zero on a log axis made gonum panic. It now ends at the axis.
func TestLogAxisWithNegativeInterval(t *testing.T) {
	var rs []metrics.Result
	for _, p := range []string{"random", "jsq"} {
		for i, ld := range []float64{0.5, 0.9, 0.99} {
			mean := []float64{1, 10, 100}[i]
			if p == "jsq" {
				mean /= 2
			}
			rs = append(rs, metrics.Result{Engine: "sim", Family: "Sim",
				Name:    metrics.Name("policy", p, "servers", 4, "load", ld),
				Params:  map[string]any{"policy": p, "servers": 4.0, "load": ld},
				Metrics: map[string]float64{"response_mean": mean},
				CI95:    map[string][2]float64{"response_mean": {-mean, 2 * mean}}})
		}
	}
	r, err := Build(context.Background(), &Set{Results: rs}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Charts) == 0 || r.Charts[0].PNG == nil {
		t.Fatal("no chart drawn")
	}
}

// TestResponseVsLoadSeries checks that a sweep of 12 deployable policies
// and a bound draws the best 8 in the first chart and the other 4 in a
// folded second one, each with the bound, which is never a colored
// series.
func TestResponseVsLoadSeries(t *testing.T) {
	var rs []metrics.Result
	pols := []string{"random", "rr", "wrr", "jsq", "p2c", "jiq", "sed", "ewma", "hash", "maglev", "leastreq", "prequal", "central"}
	for i, p := range pols {
		for _, load := range []float64{0.5, 0.9} {
			v := (1 + float64(i)) * load
			if p == "central" {
				v = 0.5 * load
			}
			rs = append(rs, metrics.Result{Engine: "sim", Family: "Sim", Name: fmt.Sprintf("policy=%s/servers=10/load=%g", p, load),
				Params:  map[string]any{"policy": p, "servers": 10.0, "load": load},
				Metrics: map[string]float64{"response_mean": v}, CI95: map[string][2]float64{"response_mean": {v * 0.98, v * 1.02}}})
		}
	}
	m := newModel(rs, Units{}, nil)
	cs := chartResponseVsLoad(m)
	if len(cs) != 2 || cs[0].More || !cs[1].More {
		t.Fatalf("%d charts (want 2, the second folded)", len(cs))
	}
	count := func(c *Chart) (colored int, bound bool) {
		for _, it := range c.fig.Legend() {
			switch {
			case strings.HasPrefix(it.Label, "central"):
				bound = strings.Contains(it.Label, "(bound)")
			case !strings.HasPrefix(it.Label, "theory"):
				colored++
			}
		}
		return
	}
	if n, b := count(cs[0]); n != 8 || !b {
		t.Errorf("first chart: %d colored series (want 8), bound shown %v", n, b)
	}
	if n, b := count(cs[1]); n != 4 || !b {
		t.Errorf("second chart: %d colored series (want 4), bound shown %v", n, b)
	}
	if l := cs[0].fig.Legend()[0].Label; !strings.HasPrefix(l, "random") {
		t.Errorf("first series %q, want the best (random, lowest here)", l)
	}
}

// TestCrossover checks the crossover chart of a sweep where jsq wins at
// low load and p2c (clearly) at high load, and the bound never appears.
func TestCrossover(t *testing.T) {
	var rs []metrics.Result
	vals := map[string][2]float64{"jsq": {1.0, 3.0}, "p2c": {1.5, 2.0}, "random": {2, 10}, "central": {0.5, 1}}
	for p, v := range vals {
		for k, load := range []float64{0.5, 0.9} {
			rs = append(rs, metrics.Result{Engine: "sim", Family: "Sim", Name: fmt.Sprintf("policy=%s/servers=10/load=%g", p, load),
				Params:  map[string]any{"policy": p, "servers": 10.0, "load": load},
				Metrics: map[string]float64{"response_mean": v[k]}, CI95: map[string][2]float64{"response_mean": {v[k] * 0.99, v[k] * 1.01}}})
		}
	}
	cs := chartCrossover(newModel(rs, Units{}, nil))
	if len(cs) != 1 {
		t.Fatalf("%d crossover charts, want 1", len(cs))
	}
	var got []string
	for _, it := range cs[0].fig.Legend() {
		got = append(got, it.Label)
	}
	if !slices.Equal(got, []string{"jsq", "p2c"}) {
		t.Errorf("winners %v, want [jsq p2c]", got)
	}
	if _, err := cs[0].fig.Render(); err != nil {
		t.Fatal(err)
	}
}
