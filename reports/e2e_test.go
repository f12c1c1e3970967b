package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromiumFlags make a headless run quiet, private and offline: no
// sandbox (CI containers run as root), no GPU, and none of the
// background network traffic of a first run.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	"--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--disable-quic", "--hide-scrollbars",
}

// findChromium returns the browser to test with: $STRATBENCH_CHROMIUM, or
// Debian's chromium on PATH.
func findChromium() string {
	if p := os.Getenv("STRATBENCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// outDir is DIR under the module's ignored out/ folder, where the E2E
// test keeps its report and screenshot as CI artifacts.
func outDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "out", name)
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// probeScript is appended to a copy of the page by TestE2EChromium: it
// clicks the first legend entry of the first chart with a legend, hovers
// a value, clicks the entry again, and writes what it saw on the body
// (data-probe), which --dump-dom shows.
const probeScript = `<script>
window.addEventListener("load", function () {
  var out = {};
  try {
    var lg = document.querySelector("svg.chart g.lg:not([data-folded])");
    var svg = lg.ownerSVGElement, key = lg.getAttribute("data-key");
    function count() {
      var n = {hidden: 0, shown: 0, others: 0};
      svg.querySelectorAll("g.sr, g.hv").forEach(function (el) {
        if (el.getAttribute("data-key") !== key) { if (getComputedStyle(el).display !== "none") { n.others++; } return; }
        if (getComputedStyle(el).display === "none") { n.hidden++; } else { n.shown++; }
      });
      return n;
    }
    out.before = count();
    lg.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    out.after = count();
    out.off = lg.classList.contains("off");
    lg.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    out.again = count();
    var c = svg.querySelector("g.hv [data-tip]");
    var r = c.getBoundingClientRect();
    c.dispatchEvent(new MouseEvent("mouseover", {bubbles: true, clientX: r.x + 1, clientY: r.y + 1}));
    var tip = document.querySelector(".tip");
    out.tip = tip.hidden ? "" : tip.textContent;
    out.titles = document.querySelectorAll("svg.chart g.hv title, svg.flame g.f title").length;
    // A flame graph's frame shows its name, samples and share.
    var fr = document.querySelector("svg.flame g.f[data-tip]");
    if (fr) {
      fr.closest("details").open = true;
      var fb = fr.getBoundingClientRect();
      fr.dispatchEvent(new MouseEvent("mouseover", {bubbles: true, clientX: fb.x + 1, clientY: fb.y + 1}));
      out.flameTip = tip.hidden ? "" : tip.textContent;
    }
    // Folded series start hidden, their legend entries off.
    out.folded = 0;
    document.querySelectorAll("svg.chart g.lg[data-folded]").forEach(function (f) {
      var k = f.getAttribute("data-key");
      f.ownerSVGElement.querySelectorAll("g.sr").forEach(function (el) {
        if (el.getAttribute("data-key") === k && getComputedStyle(el).display !== "none") { out.folded = -1e9; }
      });
      if (f.classList.contains("off")) { out.folded++; }
    });
  } catch (e) {
    out.error = String(e);
  }
  document.body.setAttribute("data-probe", JSON.stringify(out));
});
</script>`

// TestE2EChromium opens the fixture report's index.html in headless
// Chromium: every chart is drawn and the page shows no error; clicking a
// legend entry hides its series (and only its series) and a second click
// brings it back; hovering a value shows its tooltip. It keeps a
// full-page screenshot in out/e2e/screenshot.png. Without Chromium it
// skips, unless STRATBENCH_REQUIRE_CHROMIUM=1 (CI).
func TestE2EChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Chromium end-to-end test")
	}
	browser := findChromium()
	if browser == "" {
		msg := "chromium not found: install it (apt-get install chromium) or set STRATBENCH_CHROMIUM; CI installs it in .ci/steps/10-chromium.sh"
		if os.Getenv("STRATBENCH_REQUIRE_CHROMIUM") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out := outDir(t, "e2e")
	report := filepath.Join(out, "report")
	r, _ := sharedReport(t)
	if len(r.Set.Problems) > 0 {
		t.Fatalf("the fixtures have problems: %v", r.Set.Problems)
	}
	if err := r.Write(context.Background(), report, Formats); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(report, "index.html")
	chrome := func(page string, args ...string) (string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0"), args...)
		cmd := exec.CommandContext(ctx, browser, append(all, "file://"+page)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", browser, err, e.String())
		}
		return o.String(), e.String()
	}

	// The DOM after the load event (--dump-dom waits for it): the page's
	// own script wrote how many charts it found and how tall the page is.
	dom, logs := chrome(index, "--window-size=1280,900", "--dump-dom")
	m := regexp.MustCompile(`data-charts="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's script did not run; DOM starts %.300q", dom)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 || n != strings.Count(dom, "<figure") {
		t.Errorf("%s charts for %d figures", m[1], strings.Count(dom, "<figure"))
	}
	for _, bad := range []string{`class="problems"`, "NaN", "+Inf", "<no value>", "%!"} {
		if strings.Contains(dom, bad) {
			t.Errorf("the page shows %q", bad)
		}
	}
	if strings.Contains(logs, "Uncaught") {
		t.Errorf("a script error: %s", logs)
	}

	// A legend entry clicked, a value hovered, in a copy of the page with
	// the probe script.
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(out, "probe.html")
	if err := os.WriteFile(probe, append(page, probeScript...), 0o644); err != nil {
		t.Fatal(err)
	}
	pdom, plogs := chrome(probe, "--window-size=1280,900", "--dump-dom")
	pm := regexp.MustCompile(`data-probe="([^"]*)"`).FindStringSubmatch(pdom)
	if pm == nil {
		t.Fatalf("the probe did not run: %s", plogs)
	}
	var got struct {
		Before, After, Again struct{ Hidden, Shown, Others int }
		Off                  bool
		Tip                  string
		Titles               int
		Folded               int
		FlameTip             string
		Error                string
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(pm[1])), &got); err != nil {
		t.Fatalf("probe %q: %v", pm[1], err)
	}
	switch {
	case got.Error != "":
		t.Errorf("the probe failed: %s", got.Error)
	case got.Before.Hidden != 0 || got.Before.Shown == 0:
		t.Errorf("before the click: %+v, want the series shown", got.Before)
	case got.After.Hidden != got.Before.Shown || got.After.Shown != 0 || !got.Off:
		t.Errorf("after a click on the legend entry: %+v (entry off %v), want its %d groups hidden", got.After, got.Off, got.Before.Shown)
	case got.After.Others != got.Before.Others:
		t.Errorf("the click hid other series: %d groups shown before, %d after", got.Before.Others, got.After.Others)
	case got.Again != got.Before:
		t.Errorf("a second click: %+v, want %+v", got.Again, got.Before)
	case got.Tip == "":
		t.Error("hovering a value showed no tooltip")
	case got.Titles != 0:
		t.Errorf("%d native titles left beside the tooltips", got.Titles)
	case !strings.Contains(got.FlameTip, "samples") || !strings.Contains(got.FlameTip, "%"):
		t.Errorf("hovering a flame graph's frame shows %q, want its samples and share", got.FlameTip)
	case got.Folded < 0 || got.Folded != strings.Count(string(page), `data-folded="1"`):
		t.Errorf("folded series: %d hidden at load, %d folded legend entries", got.Folded, strings.Count(string(page), `data-folded="1"`))
	}
	t.Logf("probe: %+v", got)

	// The screenshot, the whole page tall.
	height := 8000
	if h := regexp.MustCompile(`data-height="(\d+)"`).FindStringSubmatch(dom); h != nil {
		height, _ = strconv.Atoi(h[1])
	}
	height = min(max(height, 900), 30000)
	shot := filepath.Join(out, "screenshot.png")
	chrome(index, "--window-size=1280,"+strconv.Itoa(height), "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ink, colors := inkAndColors(img); ink < 0.02 || colors < 10 {
		t.Errorf("the screenshot looks blank: %.1f%% ink, %d colors", 100*ink, colors)
	}
	t.Logf("screenshot: %s (%dx%d)", shot, img.Bounds().Dx(), img.Bounds().Dy())
}
