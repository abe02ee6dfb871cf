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
	"path"

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
	env := golang.Default(golang.DisableCGO(), golang.WithGOOS("linux"), golang.WithGOARCH("amd64"), golang.WithWorkingDir(opts.ModuleDir))
	err := bb.BuildBusybox(l, &bb.Opts{
		Env:          env,
		LookupEnv:    &findpkg.Env{},
		CommandPaths: opts.Commands,
		BinaryPath:   opts.Output,
		GenSrcDir:    opts.GenSrcDir,
		GoBuildOpts:  &golang.BuildOpts{},
	})
	if err != nil {
		return fmt.Errorf("initramfs: build busybox binary: %w", err)
	}
	return ctx.Err()
}

// CommandNames returns the argv[0] names of commands (the last path element).
func CommandNames(commands []string) []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = path.Base(c)
	}
	return names
}
