package reports

import (
	"bytes"
	"context"
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

// TestE2EChromium opens the fixture report's index.html in headless
// Chromium, checks that every image loaded and that the page shows no
// error, and keeps a full-page screenshot in out/e2e/screenshot.png.
// Without Chromium it skips, unless STRATBENCH_REQUIRE_CHROMIUM=1 (CI).
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
	page := "file://" + filepath.Join(report, "index.html")
	chrome := func(args ...string) (string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), args...)
		cmd := exec.CommandContext(ctx, browser, append(all, page)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", browser, err, e.String())
		}
		return o.String(), e.String()
	}

	// The DOM after the load event (--dump-dom waits for it): the page's
	// own script wrote how many images decoded and how tall the page is.
	dom, logs := chrome("--window-size=1280,900", "--dump-dom")
	m := regexp.MustCompile(`data-images="(\d+)/(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's load script did not run; DOM starts %.300q", dom)
	}
	if m[1] != m[2] || m[2] == "0" {
		t.Errorf("%s of %s images loaded", m[1], m[2])
	}
	if n, _ := strconv.Atoi(m[2]); n != strings.Count(dom, "<figure") {
		t.Errorf("%d images for %d figures", n, strings.Count(dom, "<figure"))
	}
	text := regexp.MustCompile(`data:image/png;base64,[^"]*`).ReplaceAllString(dom, "")
	for _, bad := range []string{`class="problems"`, "NaN", "+Inf", "<no value>", "%!"} {
		if strings.Contains(text, bad) {
			t.Errorf("the page shows %q", bad)
		}
	}
	if strings.Contains(logs, "Uncaught") {
		t.Errorf("a script error: %s", logs)
	}

	// The screenshot, the whole page tall.
	height := 8000
	if h := regexp.MustCompile(`data-height="(\d+)"`).FindStringSubmatch(dom); h != nil {
		height, _ = strconv.Atoi(h[1])
	}
	height = min(max(height, 900), 30000)
	shot := filepath.Join(out, "screenshot.png")
	chrome("--window-size=1280,"+strconv.Itoa(height), "--screenshot="+shot)
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
