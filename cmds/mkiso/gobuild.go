package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goTarget is the environment every service binary is built for: the
// runtime image has no C library and runs on x86-64.
var goTarget = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}

// goBuilder compiles main packages of the product's module with that
// module's go.mod (the vendor's dependency versions, not Plinth's).
type goBuilder struct {
	moduleDir string // where go.mod is: plinth.yaml's directory
	cacheDir  string // binaries by the hash of everything they are built from
}

// build returns the static binary of pkg and whether it came from the
// cache. Go caches compiled packages but not linked binaries; linking a
// large server takes seconds, so binaries are cached by a key over the
// package's dependencies (go list -deps), which changes whenever a
// source file, a module version or the toolchain does.
func (g goBuilder) build(ctx context.Context, pkg string) ([]byte, bool, error) {
	key, err := g.key(ctx, pkg)
	if err != nil {
		return nil, false, err
	}
	path := filepath.Join(g.cacheDir, "go", key)
	if bin, err := os.ReadFile(path); err == nil {
		return bin, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	defer os.Remove(tmp)
	// -trimpath and an empty build ID make the binary depend on the
	// sources only, so images stay reproducible.
	if _, err := g.goCmd(ctx, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", tmp, pkg); err != nil {
		return nil, false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, false, err
	}
	bin, err := os.ReadFile(path)
	return bin, false, err
}

// depsFormat prints, for each non-standard package pkg depends on, its
// module version (none for the main module and for modules replaced by
// a directory)
// and the files it is compiled from.
const depsFormat = `{{if not .Standard}}{{.ImportPath}}|{{with .Module}}{{if not .Replace}}{{.Path}}@{{.Version}}{{else if .Replace.Version}}{{.Replace.Path}}@{{.Replace.Version}}{{end}}{{end}}|{{.Dir}}|{{join .GoFiles ","}},{{join .SFiles ","}},{{join .EmbedFiles ","}}{{end}}`

// key hashes the toolchain and every dependency of pkg: a module from
// the module cache by its version (its files cannot change), anything
// else (the vendor's own packages, replaced directories) by content.
func (g goBuilder) key(ctx context.Context, pkg string) (string, error) {
	name, err := g.goCmd(ctx, "list", "-f", "{{.Name}}", pkg)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(name) != "main" {
		return "", fmt.Errorf("go package %s is package %s, not a main package: point go: at the directory of a command", pkg, strings.TrimSpace(name))
	}
	deps, err := g.goCmd(ctx, "list", "-deps", "-f", depsFormat, pkg)
	if err != nil {
		return "", err
	}
	version, err := g.goCmd(ctx, "env", "GOVERSION")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", strings.TrimSpace(version), pkg, strings.Join(goTarget, " "))
	sc := bufio.NewScanner(strings.NewReader(deps))
	for sc.Scan() {
		if err := hashDep(h, sc.Text()); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// hashDep adds one line of depsFormat to h.
func hashDep(h io.Writer, line string) error {
	if line == "" {
		return nil
	}
	fmt.Fprintln(h, line)
	parts := strings.Split(line, "|")
	if len(parts) != 4 || strings.Contains(parts[1], "@v") {
		return nil // from the module cache: the version says it all
	}
	for _, f := range strings.Split(parts[3], ",") {
		if f == "" {
			continue
		}
		in, err := os.Open(filepath.Join(parts[2], f))
		if err != nil {
			return fmt.Errorf("hash Go sources: %w", err)
		}
		_, err = io.Copy(h, in)
		in.Close()
		if err != nil {
			return fmt.Errorf("hash Go sources: %w", err)
		}
	}
	return nil
}

// goCmd runs the go command in the product's module for the target and
// returns its output; a failure carries what go printed.
func (g goBuilder) goCmd(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = g.moduleDir
	cmd.Env = append(os.Environ(), goTarget...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), g.moduleDir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
