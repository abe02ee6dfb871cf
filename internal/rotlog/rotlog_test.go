package rotlog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

func TestRotation(t *testing.T) {
	p := filepath.Join(t.TempDir(), "svc.log")
	l, err := Open(p, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		write                string
		cur, one, two, three string
	}{
		{"aaaa\n", "aaaa\n", "<missing>", "<missing>", "<missing>"},
		{"bbbb\n", "aaaa\nbbbb\n", "<missing>", "<missing>", "<missing>"}, // exactly 10: fits
		{"c\n", "c\n", "aaaa\nbbbb\n", "<missing>", "<missing>"},
		{"dddddddddddd\n", "dddddddddddd\n", "c\n", "aaaa\nbbbb\n", "<missing>"}, // oversized write: whole, in a fresh file
		{"e\n", "e\n", "dddddddddddd\n", "c\n", "<missing>"},                     // keep 2: the oldest is dropped
	}
	for i, s := range steps {
		if n, err := l.Write([]byte(s.write)); err != nil || n != len(s.write) {
			t.Fatalf("step %d: Write = %d, %v", i, n, err)
		}
		got := []string{read(t, p), read(t, p+".1"), read(t, p+".2"), read(t, p+".3")}
		want := []string{s.cur, s.one, s.two, s.three}
		for j := range got {
			if got[j] != want[j] {
				t.Errorf("step %d: file %d = %q, want %q", i, j, got[j], want[j])
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestReopenAppends(t *testing.T) {
	p := filepath.Join(t.TempDir(), "svc.log")
	l, _ := Open(p, 10, 1)
	l.Write([]byte("12345678\n"))
	l.Close()
	l, err := Open(p, 10, 1) // size is remembered across reboots: next write rotates
	if err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("ab\n"))
	l.Close()
	if read(t, p) != "ab\n" || read(t, p+".1") != "12345678\n" {
		t.Errorf("got %q / %q", read(t, p), read(t, p+".1"))
	}
}

func TestKeepZero(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "svc.log")
	l, _ := Open(p, 4, 0)
	l.Write([]byte("abc\n"))
	l.Write([]byte("def\n"))
	l.Close()
	entries, _ := os.ReadDir(dir)
	if read(t, p) != "def\n" || len(entries) != 1 {
		t.Errorf("keep 0: %q, %d files", read(t, p), len(entries))
	}
}

func TestConcurrentWholeLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "svc.log")
	l, _ := Open(p, 1000, 50)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				l.Write([]byte(fmt.Sprintf("goroutine %d line %03d\n", g, i)))
			}
		}()
	}
	wg.Wait()
	l.Close()
	total := 0
	for _, f := range append([]string{p}, func() (s []string) {
		for i := 1; i <= 50; i++ {
			s = append(s, fmt.Sprintf("%s.%d", p, i))
		}
		return
	}()...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if len(b) > 1000 {
			t.Errorf("%s is %d bytes, over the limit", f, len(b))
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if !strings.HasPrefix(line, "goroutine ") || len(line) != len("goroutine 0 line 000") {
				t.Fatalf("split line %q in %s", line, f)
			}
			total++
		}
	}
	if total != 800 {
		t.Errorf("%d lines, want 800", total)
	}
}

func TestOpenError(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "dir", "x.log"), 0, -1); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
