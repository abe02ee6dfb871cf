//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/vfat"
	kernelconfig "github.com/plinth-os/plinth/kernel-config"
	"github.com/plinth-os/plinth/uki"
)

// testCommands go into the test images: our target tools, a few u-root
// commands to inspect results, and the step runner as uinit.
var testCommands = []string{
	initramfs.InitCommand,
	"github.com/plinth-os/plinth/e2e/cmds/e2e-runner",
	"github.com/plinth-os/plinth/cmds/efibootmgr",
	"github.com/plinth-os/plinth/cmds/mkfs-vfat",
	"github.com/plinth-os/plinth/cmds/mkfs-ext4",
	"github.com/plinth-os/plinth/cmds/gptpart",
	"github.com/plinth-os/plinth/cmds/installer",
	"github.com/u-root/u-root/cmds/core/mount",
	"github.com/u-root/u-root/cmds/core/umount",
	"github.com/u-root/u-root/cmds/core/cat",
	"github.com/u-root/u-root/cmds/core/ls",
	"github.com/u-root/u-root/cmds/core/cp",
	"github.com/u-root/u-root/cmds/core/mkdir",
	"github.com/u-root/u-root/cmds/core/dd",
	"github.com/u-root/u-root/cmds/core/sync",
}

var testBB struct {
	once sync.Once
	bin  []byte
	err  error
}

const stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

// testUKI builds a UKI on the installer kernel whose uinit runs steps.
func testUKI(t *testing.T, steps []([]string), after string) []byte {
	t.Helper()
	return testUKIFiles(t, steps, after, nil)
}

// testUKIFiles is testUKI with more files in the initramfs (absolute
// paths).
func testUKIFiles(t *testing.T, steps []([]string), after string, files map[string][]byte) []byte {
	t.Helper()
	testBB.once.Do(func() {
		out := filepath.Join(os.TempDir(), "plinth-e2e-bb")
		testBB.err = initramfs.BuildBusybox(context.Background(), initramfs.BusyboxOptions{ModuleDir: "..", Commands: testCommands, Output: out})
		if testBB.err == nil {
			testBB.bin, testBB.err = os.ReadFile(out)
		}
	})
	if testBB.err != nil {
		t.Fatal(testBB.err)
	}
	type step struct {
		Argv []string `json:"argv"`
	}
	p := struct {
		Steps []step `json:"steps"`
		After string `json:"after"`
	}{After: after}
	for _, s := range steps {
		p.Steps = append(p.Steps, step{Argv: s})
	}
	stepsJSON, _ := json.Marshal(p)
	initrd, err := initramfs.Image{
		Busybox:  testBB.bin,
		Commands: initramfs.CommandNames(testCommands),
		Uinit:    "e2e-runner",
		Files:    withFile(files, "/etc/plinth/e2e-steps.json", stepsJSON),
	}.Build()
	if err != nil {
		t.Fatal(err)
	}
	return kernelUKI(t, "installer", "Plinth e2e", initrd)
}

// kernelUKI is a UKI of kind's kernel (the cached build mkiso uses) with
// initrd and the default command line.
func kernelUKI(t testing.TB, kind, name string, initrd []byte) []byte {
	t.Helper()
	k, err := kernelconfig.Build(context.Background(), kernelconfig.Options{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := os.ReadFile(k.BzImage)
	if err != nil {
		t.Fatal(err)
	}
	stub, err := os.ReadFile(stubPath)
	if err != nil {
		t.Fatal(err)
	}
	efi, err := uki.Build(stub, uki.Image{
		OSRelease: uki.OSRelease(name, "plinth", "test"),
		Cmdline:   uki.DefaultCmdline(),
		Uname:     k.Release,
		Linux:     kernel,
		Initrd:    initrd,
	}.Sections())
	if err != nil {
		t.Fatal(err)
	}
	return efi
}

// fatImage writes a FAT filesystem holding files to a new file in dir.
func fatImage(t testing.TB, dir, name string, size int64, files map[string][]byte) string {
	t.Helper()
	tree := treeFS(files)
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := vfat.Format(f, 0, size, vfat.Options{Label: "E2E", Source: tree}); err != nil {
		t.Fatal(err)
	}
	return path
}

// treeFS is a file tree for the FAT writer.
func treeFS(files map[string][]byte) fstest.MapFS {
	tree := fstest.MapFS{}
	for p, data := range files {
		tree[p] = &fstest.MapFile{Data: data, Mode: 0o644, ModTime: time.Unix(1700000000, 0)}
	}
	return tree
}

func withFile(files map[string][]byte, path string, data []byte) map[string][]byte {
	out := map[string][]byte{path: data}
	for p, d := range files {
		out[p] = d
	}
	return out
}
