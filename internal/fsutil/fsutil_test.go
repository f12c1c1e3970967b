package fsutil

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCreateKinds writes through every kind of name -o may be given and
// checks that nothing that is not a regular file is replaced.
func TestCreateKinds(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the path to write
		direct bool
		check  func(t *testing.T, dir, path string)
	}{
		{
			name:  "new file",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "out.json") },
			check: func(t *testing.T, dir, path string) { wantContent(t, path, "new\n") },
		},
		{
			name: "existing regular file keeps its mode",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "out.json")
				must(t, os.WriteFile(p, []byte("old\n"), 0o600))
				must(t, os.Chmod(p, 0o600))
				return p
			},
			check: func(t *testing.T, dir, path string) {
				wantContent(t, path, "new\n")
				st, _ := os.Stat(path)
				if st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", st.Mode().Perm())
				}
			},
		},
		{
			name: "symlink to a regular file: the target is replaced, the link kept",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
				target := filepath.Join(dir, "real", "t.json")
				must(t, os.WriteFile(target, []byte("old\n"), 0o644))
				link := filepath.Join(dir, "link.json")
				must(t, os.Symlink("real/t.json", link))
				return link
			},
			check: func(t *testing.T, dir, path string) {
				st, err := os.Lstat(path)
				if err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("link replaced: %v %v", st.Mode(), err)
				}
				wantContent(t, filepath.Join(dir, "real", "t.json"), "new\n")
				noTemps(t, filepath.Join(dir, "real"))
			},
		},
		{
			name:   "device",
			setup:  func(t *testing.T, dir string) string { return os.DevNull },
			direct: true,
			check: func(t *testing.T, dir, path string) {
				st, err := os.Lstat(path)
				if err != nil || st.Mode()&os.ModeCharDevice == 0 {
					t.Fatalf("%s is no longer a device: %v %v", path, st.Mode(), err)
				}
			},
		},
		{
			name: "symlink to a device",
			setup: func(t *testing.T, dir string) string {
				link := filepath.Join(dir, "null")
				must(t, os.Symlink(os.DevNull, link))
				return link
			},
			direct: true,
			check: func(t *testing.T, dir, path string) {
				if st, err := os.Lstat(path); err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("link replaced")
				}
			},
		},
		{
			name: "fifo",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "fifo")
				must(t, syscall.Mkfifo(p, 0o644))
				got := make(chan string, 1)
				go func() {
					f, err := os.Open(p)
					if err != nil {
						got <- err.Error()
						return
					}
					b, _ := io.ReadAll(f)
					f.Close()
					got <- string(b)
				}()
				t.Cleanup(func() {
					if s := <-got; s != "new\n" {
						t.Errorf("read %q from the fifo, want %q", s, "new\n")
					}
				})
				return p
			},
			direct: true,
			check: func(t *testing.T, dir, path string) {
				st, err := os.Lstat(path)
				if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
					t.Fatalf("fifo replaced: %v %v", st.Mode(), err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Direct() != tt.direct {
				t.Errorf("Direct() = %v, want %v", f.Direct(), tt.direct)
			}
			if _, err := f.WriteString("new\n"); err != nil {
				t.Fatal(err)
			}
			if err := f.Commit(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, dir, path)
			noTemps(t, dir)
		})
	}
}

// TestCreateRefuses: names that cannot be written give an error naming them.
func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	dangling := filepath.Join(dir, "dangling")
	must(t, os.Symlink("missing/file", dangling))
	for _, tt := range []struct{ path, want string }{
		{dir, "is a directory"},
		{dangling, "symbolic link to a missing file (missing/file)"},
		{filepath.Join(dir, "no", "such", "dir", "f"), "no such file"},
	} {
		_, err := Create(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("Create(%s) = %v, want an error naming it with %q", tt.path, err, tt.want)
		}
	}
}

// TestAbortAndFailedWrite: an aborted file and a failing writer leave the
// old file and no temporary file.
func TestAbortAndFailedWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	must(t, os.WriteFile(p, []byte("old\n"), 0o644))
	f, err := Create(p)
	must(t, err)
	f.WriteString("half")
	f.Abort()
	err = WriteFile(p, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("WriteFile returned nil for a failing writer")
	}
	wantContent(t, p, "old\n")
	noTemps(t, dir)
}

// TestStaleTemps: temporary files of dead processes are removed by the
// next write of that name; those of live processes are kept.
func TestStaleTemps(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	must(t, cmd.Run())
	dead := cmd.Process.Pid
	stale := filepath.Join(dir, ".r.json.tmp-"+strconv.Itoa(dead)+"-123")
	live := filepath.Join(dir, ".r.json.tmp-1-456") // pid 1 always exists
	other := filepath.Join(dir, ".x.json.tmp-"+strconv.Itoa(dead)+"-789")
	for _, p := range []string{stale, live, other} {
		must(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	must(t, WriteFile(filepath.Join(dir, "r.json"), func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }))
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file of dead pid %d kept", dead)
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Errorf("%s holds %q (%v), want %q", path, b, err, want)
	}
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}
