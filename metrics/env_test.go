package metrics

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSetHost(t *testing.T) {
	calls := 0
	SetHost(func() Host { calls++; return Host{CPU: "test cpu", Commit: "abc"} })
	defer hostFunc.Store(nil)
	for range 3 {
		if e := CurrentEnv(7); e.CPU != "test cpu" || e.Commit != "abc" || e.Seed != 7 {
			t.Fatalf("env %+v", e)
		}
	}
	if calls != 1 {
		t.Fatalf("host gathered %d times, want once", calls)
	}
}

// The record is a leaf: metrics runs no commands and reads no system
// files; the command gathers the host and passes it in.
func TestNoExecNoProc(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "os/exec" || p == "runtime/debug" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
