package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/plinth-os/plinth/initramfs"
)

// busybox returns the busybox-style binary for cmds, from the cache when
// no Go source of the module, go.mod/go.sum or the Go version changed.
// Compiling takes tens of seconds; hashing the tree takes milliseconds.
// With rebuild, it compiles anyway (to check that builds are reproducible).
func busybox(ctx context.Context, moduleDir, cacheDir, name string, cmds []string, rebuild bool) (bin []byte, cached bool, err error) {
	key, err := sourceKey(moduleDir, cmds)
	if err != nil {
		return nil, false, err
	}
	path := filepath.Join(cacheDir, "bb", name+"-"+key)
	if bin, err := os.ReadFile(path); err == nil && !rebuild {
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
	return bin, false, err
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
