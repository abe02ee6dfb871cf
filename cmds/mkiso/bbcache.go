package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/initramfs"
)

// bbKeep is how many binaries of one name the cache keeps: the newest
// used. Each change of the sources makes a new one, about 10 MiB; a
// product with compiled-in payloads has its own, so a few are in use at
// once.
const bbKeep = 8

// busybox returns the busybox-style binary for cmds, from the cache when
// no Go source of the module, go.mod/go.sum or the Go version changed.
// Compiling takes tens of seconds; hashing the tree takes milliseconds.
// With rebuild, it compiles anyway (to check that builds are reproducible).
// A binary taken from the cache is marked used; a new one makes the
// cache forget the least recently used beyond bbKeep.
func busybox(ctx context.Context, moduleDir, cacheDir, name string, cmds []string, rebuild bool) (bin []byte, cached bool, err error) {
	key, err := sourceKey(moduleDir, cmds)
	if err != nil {
		return nil, false, err
	}
	path := filepath.Join(cacheDir, "bb", name+"-"+key)
	if bin, err := os.ReadFile(path); err == nil && !rebuild {
		markUsed(path)
		return bin, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, err
	}
	// Concurrent mkiso runs share the generated-source directory: one at a time.
	lock, err := os.OpenFile(filepath.Join(cacheDir, "bb-src-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, false, fmt.Errorf("lock busybox build: %w", err)
	}
	if bin, err := os.ReadFile(path); err == nil && !rebuild {
		return bin, true, nil // built by the run we waited for
	}
	// The generated source stays in the cache until the next build: a
	// failed build can be looked into.
	genDir := filepath.Join(cacheDir, "bb-src-"+name)
	if err := os.RemoveAll(genDir); err != nil {
		return nil, false, fmt.Errorf("clean %s: %w", genDir, err)
	}
	tmp := path + ".tmp"
	if err := initramfs.BuildBusybox(ctx, initramfs.BusyboxOptions{ModuleDir: moduleDir, Commands: cmds, Output: tmp, GenSrcDir: genDir}); err != nil {
		return nil, false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, false, err
	}
	bin, err = os.ReadFile(path)
	if err == nil {
		err = pruneBusyboxes(filepath.Dir(path), name, bbKeep)
	}
	return bin, false, err
}

// markUsed sets path's modification time to now: the cache forgets the
// binaries used least recently. Failing to is harmless (the binary may
// be forgotten sooner), so it is not an error.
func markUsed(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

// pruneBusyboxes removes from dir the binaries of name (name-<key>)
// beyond the keep most recently used. A run that is reading one just
// removed finds it gone and builds it again.
func pruneBusyboxes(dir, name string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("prune busybox cache: %w", err)
	}
	type cached struct {
		path string
		used time.Time
	}
	var bins []cached
	for _, e := range entries {
		key, ok := strings.CutPrefix(e.Name(), name+"-")
		if !ok || strings.ContainsAny(key, ".-") || e.IsDir() {
			continue // another name's, or a build's .tmp
		}
		if info, err := e.Info(); err == nil {
			bins = append(bins, cached{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].used.After(bins[j].used) })
	for _, b := range bins[min(keep, len(bins)):] {
		if err := os.Remove(b.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("prune busybox cache: %w", err)
		}
	}
	return nil
}

// sourceKey hashes everything a busybox build depends on inside the module.
func sourceKey(moduleDir string, cmds []string) (string, error) {
	var files []string
	err := filepath.WalkDir(moduleDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != moduleDir && (strings.HasPrefix(name, ".") || name == "out" || name == "artifacts" || name == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && p != moduleDir {
				return filepath.SkipDir // another module (examples/*): not part of the build
			}
			return nil
		}
		if (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) || name == "go.mod" || name == "go.sum" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash sources: %w", err)
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", runtime.Version(), strings.Join(cmds, "\n"))
	for _, f := range files {
		rel, _ := filepath.Rel(moduleDir, f)
		fmt.Fprintf(h, "%s\n", rel)
		in, err := os.Open(f)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, in)
		in.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
