package reports

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"
)

// The fixture report is drawn once and shared by the tests that read its
// charts and page: drawing is the slow part, especially under -race.
var shared struct {
	once sync.Once
	r    *Report
	dir  string
	err  error
}

// sharedReport returns the report of the fixtures, with every format
// written into a directory that lives until the tests end.
func sharedReport(t testing.TB) (*Report, string) {
	t.Helper()
	shared.once.Do(func() {
		files := fixtures
		if raceEnabled {
			// Still every kind of page section and concurrent drawing, in
			// a third of the charts.
			files = []string{"testdata/batch.jsonl", "testdata/service.jsonl", "testdata/sim8.jsonl"}
		}
		s, err := Load(files, nil)
		if err != nil {
			shared.err = err
			return
		}
		if shared.r, shared.err = Build(context.Background(), s, true); shared.err != nil {
			return
		}
		if shared.dir, shared.err = os.MkdirTemp("", "reports-test-"); shared.err != nil {
			return
		}
		shared.err = shared.r.Write(context.Background(), shared.dir, Formats)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.r, shared.dir
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
