// Package initramfs builds Plinth's initramfs: one static busybox-style Go
// binary (gobusybox) holding u-root's init and our target commands, plus
// the symlinks that pick a command by argv[0], written as a reproducible
// newc cpio archive and compressed with zstd.
package initramfs

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path"
	"path/filepath"

	"github.com/u-root/gobusybox/src/pkg/bb"
	"github.com/u-root/gobusybox/src/pkg/bb/findpkg"
	"github.com/u-root/gobusybox/src/pkg/golang"
)

// InitCommand is PID 1 of every Plinth image: our quiet init on u-root's
// libinit (see cmds/init for why not u-root's own init).
const InitCommand = "github.com/plinth-os/plinth/cmds/init"

// BusyboxOptions configure BuildBusybox.
type BusyboxOptions struct {
	ModuleDir string   // directory of the go.mod that pins every command's dependencies
	Commands  []string // Go import paths of the commands, InitCommand included
	Output    string   // path of the binary to write
	GenSrcDir string   // where the generated source goes; a fixed path keeps Go's build cache warm (default: a temporary directory)
	Log       *log.Logger
}

// BuildBusybox compiles Commands into one static binary for linux/amd64.
// The binary is stripped and built with -trimpath, so the same sources
// give the same bytes.
//
// gobusybox only generates the source here (one GOPATH tree holding the
// commands rewritten as packages and their dependencies): its own build
// passes -a, which recompiles every package, the standard library
// included, on every build (45 s of two cores for the installer's
// binary). goBuild compiles the tree with gobusybox's flags but through
// Go's build cache, so the second binary, and any later build, compiles
// only what changed.
func BuildBusybox(ctx context.Context, opts BusyboxOptions) error {
	if len(opts.Commands) == 0 {
		return fmt.Errorf("initramfs: no commands to build")
	}
	seen := map[string]string{}
	for _, c := range opts.Commands {
		name := path.Base(c)
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("initramfs: commands %s and %s share the name %q", prev, c, name)
		}
		seen[name] = c
	}
	l := opts.Log
	if l == nil {
		l = log.New(os.Stderr, "bb: ", 0)
	}
	genDir := opts.GenSrcDir
	if genDir == "" {
		tmp, err := os.MkdirTemp("", "plinth-bb-")
		if err != nil {
			return fmt.Errorf("initramfs: %w", err)
		}
		defer os.RemoveAll(tmp)
		genDir = tmp
	}
	env := golang.Default(golang.DisableCGO(), golang.WithGOOS("linux"), golang.WithGOARCH("amd64"), golang.WithWorkingDir(opts.ModuleDir))
	err := bb.BuildBusybox(l, &bb.Opts{
		Env:          env,
		LookupEnv:    &findpkg.Env{},
		CommandPaths: opts.Commands,
		GenSrcDir:    genDir,
		GenerateOnly: true,
	})
	if err != nil {
		return fmt.Errorf("initramfs: generate busybox source: %w", err)
	}
	return goBuild(ctx, genDir, opts.Output)
}

// goBuild compiles the busybox tree gobusybox generated in genDir into
// out: stripped, no build ID, trimmed paths. gobusybox also turns
// inlining off (-gcflags=all=-l) for a smaller binary; Plinth keeps it on.
// Without it every small function of the runtime, the standard library
// and ours is a call, and each of the boot's processes (init, the
// appliance, a Go service) runs more code: the runtime image's time from
// /init to runtime-ready went from 0.68-0.81 s to 0.61-0.67 s under
// emulation, for a binary 8 % larger (9.2 to 9.9 MB; its initramfs 3.7
// to 4.2 MiB compressed) whose larger unpacking the kernel's time to
// /init did not show.
func goBuild(ctx context.Context, genDir, out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "-ldflags=-s -w -buildid=", "-trimpath", ".")
	cmd.Dir = filepath.Join(genDir, "src", "bb.u-root.com", "bb")
	// The tree is a GOPATH, not a module: module settings (GOFLAGS=-mod=mod) do not apply.
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOPATH="+genDir, "GOFLAGS=", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initramfs: build busybox binary: %w\n%s", err, b)
	}
	return nil
}

// CommandNames returns the argv[0] names of commands (the last path element).
func CommandNames(commands []string) []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = path.Base(c)
	}
	return names
}
