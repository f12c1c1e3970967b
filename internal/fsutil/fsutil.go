// Package fsutil writes files atomically: output appears complete under its
// final name or not at all, never half-written.
package fsutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an output file being written under a temporary name in the
// destination's directory. Commit renames it into place; Abort removes it.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path atomically. The caller must call Commit or
// Abort (Abort after Commit is a no-op, so `defer f.Abort()` is safe).
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	return &File{File: tmp, path: path}, nil
}

// Commit closes the file and renames it to its final name. It does not
// fsync: the rename makes the file appear whole or not at all to every
// reader, even if this process dies; only an operating-system crash could
// lose it, and syncing each of a report's files cost seconds on a busy disk.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	if err := f.File.Close(); err != nil {
		os.Remove(f.File.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Chmod(f.File.Name(), 0o644); err != nil {
		os.Remove(f.File.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Rename(f.File.Name(), f.path); err != nil {
		os.Remove(f.File.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// Abort discards the file, unless it was committed.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFile writes path atomically with the bytes that write produces; on
// any error nothing is left at path (an older file there is kept).
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
