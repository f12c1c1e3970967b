// Package fsutil writes output files without ever leaving one half-written
// and without destroying what is not a regular file.
//
// A regular file (or a name that does not exist yet) is written under a
// temporary name in the same directory and renamed into place: it appears
// complete or not at all. Anything else is written directly, because
// renaming over it would destroy it:
//
//   - a device (/dev/null, a terminal), a FIFO or a socket is opened and
//     written in place;
//   - "-" is standard output;
//   - a symbolic link is followed: when it leads to a regular file, that
//     file (the link's real target, in the target's directory) is replaced
//     atomically and the link is kept; when it leads to anything else
//     (/proc/self/fd/1 on a pipe, a device) that is written directly.
//     A link to a name that does not exist is refused: we would have to
//     guess whether to create the target or replace the link.
//
// Temporary files carry the writer's process id (.NAME.tmp-PID-RANDOM);
// Create removes those of processes that no longer exist, so a crash
// (SIGKILL, power loss) leaves at most one stale file per name until the
// next write of that name.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// File is an output file being written. Commit makes it final; Abort
// discards it (for a file written directly, Abort only closes it: what was
// written to a device or pipe cannot be taken back).
type File struct {
	*os.File
	path   string // the name given
	final  string // the file renamed over (path, or a symlink's target)
	direct bool   // written in place, no rename
	stdout bool   // "-": never closed
	mode   fs.FileMode
	done   bool
}

// Direct reports whether f is written in place (device, FIFO, "-", a link
// to one of those) rather than under a temporary name.
func (f *File) Direct() bool { return f.direct }

// Create starts writing path: see the package documentation for what
// happens with each kind of file. The caller must call Commit or Abort
// (Abort after Commit is a no-op, so `defer f.Abort()` is safe).
func Create(path string) (*File, error) {
	if path == "-" {
		return &File{File: os.Stdout, path: path, direct: true, stdout: true}, nil
	}
	final := path
	lst, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new file.
	case err != nil:
		return nil, fmt.Errorf("creating %s: %w", path, err)
	case lst.Mode()&fs.ModeSymlink != 0:
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("creating %s: it is a symbolic link to a missing file (%s); create the target or remove the link", path, linkTarget(path))
		}
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", path, err)
		}
		if st.Mode().IsRegular() {
			// Replace the real file the link leads to, keeping the link.
			// A magic link (/proc/self/fd/N of a deleted file) does not
			// resolve to a name: write it directly.
			if real, err := filepath.EvalSymlinks(path); err == nil {
				final = real
				break
			}
		}
		if st.IsDir() {
			return nil, fmt.Errorf("creating %s: it is a directory", path)
		}
		return openDirect(path)
	case lst.IsDir():
		return nil, fmt.Errorf("creating %s: it is a directory", path)
	case !lst.Mode().IsRegular():
		return openDirect(path)
	}
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base)
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm() // replacing a file keeps its permissions
	}
	return &File{File: tmp, path: path, final: final, mode: mode}, nil
}

func linkTarget(path string) string {
	t, err := os.Readlink(path)
	if err != nil {
		return "?"
	}
	return t
}

// openDirect opens a device, FIFO or socket for writing in place. No
// O_TRUNC: it means nothing to those and would be wrong on anything else.
func openDirect(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	return &File{File: f, path: path, final: path, direct: true}, nil
}

func tempPrefix(base string) string { return "." + base + ".tmp-" }

// removeStale removes the temporary files of base in dir left by processes
// that no longer exist. Those of live processes (another writer of the same
// name) are kept.
func removeStale(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pidStr, _, ok := strings.Cut(name, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if !processExists(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// processExists reports whether pid names a live process (EPERM: it
// exists but belongs to someone else).
func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// Commit closes the file and, for a temporary file, renames it to its
// final name. It does not fsync: the rename makes the file appear whole or
// not at all to every reader, even if this process dies; only an
// operating-system crash could lose it, and syncing each of a report's
// files cost seconds on a busy disk.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.stdout {
		return nil
	}
	if f.direct {
		if err := f.File.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
		return nil
	}
	fail := func(err error) error {
		os.Remove(f.File.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.File.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(f.File.Name(), f.mode); err != nil {
		return fail(err)
	}
	if err := os.Rename(f.File.Name(), f.final); err != nil {
		return fail(err)
	}
	return nil
}

// Abort discards the file, unless it was committed. A file written
// directly is only closed.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.stdout {
		return
	}
	f.File.Close()
	if !f.direct {
		os.Remove(f.File.Name())
	}
}

// WriteFile writes path with the bytes that write produces, as Create
// does; on any error nothing new is left at a regular file's path (an
// older file there is kept).
func WriteFile(path string, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}
