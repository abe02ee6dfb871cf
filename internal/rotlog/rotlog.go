// Package rotlog is a log file that rotates by size: when a write would
// take <name> past MaxSize it becomes <name>.1, <name>.1 becomes <name>.2
// and so on, and the oldest beyond Keep is removed. Writes are never split
// across files, so a caller writing whole lines gets whole lines per file.
package rotlog

import (
	"fmt"
	"os"
	"sync"
)

// Defaults: 10 MiB per file, the live file plus 5 rotated ones.
const (
	DefaultMaxSize = 10 << 20
	DefaultKeep    = 5
)

// File is a size-rotated log file. It is safe for concurrent use.
type File struct {
	path    string
	maxSize int64
	keep    int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (appending to) or creates path. maxSize <= 0 means
// DefaultMaxSize; keep < 0 means DefaultKeep, and 0 keeps no old files.
func Open(path string, maxSize int64, keep int) (*File, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if keep < 0 {
		keep = DefaultKeep
	}
	l := &File{path: path, maxSize: maxSize, keep: keep}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("rotlog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("rotlog: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends p, rotating first if p would not fit. A single write
// larger than MaxSize goes whole into a fresh file.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, fmt.Errorf("rotlog: %s is closed", l.path)
	}
	if l.size > 0 && l.size+int64(len(p)) > l.maxSize {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("rotlog: write %s: %w", l.path, err)
	}
	return n, nil
}

func (l *File) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("rotlog: close %s: %w", l.path, err)
	}
	l.f = nil
	if l.keep == 0 {
		os.Remove(l.path)
	} else {
		os.Remove(l.name(l.keep))
		for i := l.keep - 1; i >= 1; i-- {
			os.Rename(l.name(i), l.name(i+1)) // a gap (missing .i) is fine
		}
		if err := os.Rename(l.path, l.name(1)); err != nil {
			return fmt.Errorf("rotlog: rotate %s: %w", l.path, err)
		}
	}
	return l.open()
}

func (l *File) name(i int) string { return fmt.Sprintf("%s.%d", l.path, i) }

// Sync flushes the file to disk.
func (l *File) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	return l.f.Sync()
}

// Close closes the file; later writes fail.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
