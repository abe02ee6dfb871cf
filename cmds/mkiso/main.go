// Command mkiso builds Plinth's installer: kernels (cached), the
// busybox-style Go binary, the initramfs, the installer UKI and a hybrid
// ISO that boots from CD, USB stick or disk on UEFI machines.
//
//	go run ./cmds/mkiso            # writes out/plinth-installer.iso
//	go run ./cmds/mkiso -h         # every flag
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/brand"
	kernelconfig "github.com/plinth-os/plinth/kernel-config"
	"github.com/plinth-os/plinth/uki"
)

// config is everything a build depends on.
type config struct {
	ISOPath       string
	UKIPath       string
	Kernel        string // prebuilt installer bzImage; empty = build
	RuntimeKernel string // prebuilt runtime bzImage; empty = build
	KernelSrc     string
	CacheDir      string
	Stub          string
	Cmdline       string
	Product       string
	Version       string
	VolumeID      string
	Epoch         time.Time
	ModuleDir     string
	Jobs          int

	RuntimeUKIPath string
	RuntimeCmdline string
	DiskPath       string
	DiskSize       int64
	RebuildGo      bool
	Answers        []byte      // install.yaml to embed, validated
	Brand          brand.Brand // -brand, with -product's name if given
	payloads       []payload
}

const defaultStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

func main() {
	log := os.Stderr
	cfg, err := parseFlags(os.Args[1:], log)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(log, "mkiso: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := build(ctx, cfg, log); err != nil {
		fmt.Fprintf(log, "mkiso: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, out io.Writer) (config, error) {
	fs := flag.NewFlagSet("mkiso", flag.ContinueOnError)
	fs.SetOutput(out)
	var cfg config
	var raw rawFlags
	defineFlags(fs, &cfg, &raw)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: go run ./cmds/mkiso [flags]\n\nBuilds the Plinth installer ISO, UKI and SHA256SUMS. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	for _, resolve := range []func(*config, rawFlags) error{
		resolveOutputs,
		resolveInputs,
		resolveBrand,
		resolveSourceTree,
	} {
		if err := resolve(&cfg, raw); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// rawFlags are flag values that are checked, loaded or derived before
// they go into config.
type rawFlags struct {
	epoch, diskSize, answersFile, brandDir string
	payloads                               multiFlag
}

func defineFlags(fs *flag.FlagSet, cfg *config, raw *rawFlags) {
	fs.StringVar(&cfg.ISOPath, "o", "out/plinth-installer.iso", "output `ISO` path; the UKI and SHA256SUMS go next to it")
	fs.StringVar(&cfg.UKIPath, "uki", "", "output path of the installer UKI (default: <dir of -o>/plinth-installer.efi)")
	fs.StringVar(&cfg.Kernel, "kernel", "", "prebuilt installer `bzImage` (default: build from kernel-config/installer.config, cached)")
	fs.StringVar(&cfg.RuntimeKernel, "runtime-kernel", "", "prebuilt runtime `bzImage` (default: build from kernel-config/runtime.config, cached)")
	fs.StringVar(&cfg.KernelSrc, "kernel-src", envOr("KERNEL_SRC", kernelconfig.DefaultSource()), "kernel source tarball or tree (env KERNEL_SRC)")
	fs.StringVar(&cfg.CacheDir, "cache-dir", "", "cache for built kernels and the busybox source tree (default ~/.cache/plinth)")
	fs.StringVar(&cfg.Stub, "stub", defaultStub, "systemd-stub EFI `file` the UKI is built on (package systemd-boot-efi)")
	fs.StringVar(&cfg.Cmdline, "cmdline", uki.DefaultCmdline(), "kernel command line of the installer UKI")
	fs.StringVar(&cfg.Product, "product", "", "product name shown to users and in os-release; wins over the -brand product (default: the brand's, \"Plinth\" for the built-in brand)")
	fs.StringVar(&raw.brandDir, "brand", "", "brand `directory`: brand.json (product, background, foreground, accent) and logo.png, both optional; gives the UKI boot splash and the screens' look (default: the built-in Plinth brand; see README)")
	fs.StringVar(&cfg.Version, "version", "", "product version (default: git describe of the source tree, else \"dev\")")
	fs.StringVar(&cfg.VolumeID, "volid", "PLINTH", "ISO volume label")
	fs.StringVar(&raw.epoch, "source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "timestamp of every file, in Unix seconds (env SOURCE_DATE_EPOCH; default: time of the last git commit)")
	fs.StringVar(&cfg.RuntimeUKIPath, "runtime-uki", "", "output path of the runtime UKI (default: <dir of -o>/plinth-runtime.efi)")
	fs.StringVar(&cfg.RuntimeCmdline, "runtime-cmdline", uki.DefaultCmdline(), "kernel command line of the runtime UKI")
	fs.StringVar(&cfg.DiskPath, "disk", "", "also write a ready-to-boot raw disk `image` of the installed appliance (sparse)")
	fs.StringVar(&raw.diskSize, "disk-size", "4G", "size of the -disk image: bytes or with a K, M, G or T suffix")
	fs.Var(&raw.payloads, "payload", "a service for the runtime image: a Go package path (compiled in) or a static binary; repeatable (default: the demo service)")
	fs.StringVar(&raw.answersFile, "answers", "", "embed this install.yaml: the installer then installs unattended (see README)")
	fs.BoolVar(&cfg.RebuildGo, "rebuild-go", false, "compile the busybox binaries even when the cache has them for these sources")
	fs.IntVar(&cfg.Jobs, "j", 0, "parallel jobs for kernel builds (default: number of CPUs)")
}

// resolveOutputs puts the UKIs next to the ISO unless told otherwise.
func resolveOutputs(cfg *config, _ rawFlags) error {
	if cfg.UKIPath == "" {
		cfg.UKIPath = filepath.Join(filepath.Dir(cfg.ISOPath), "plinth-installer.efi")
	}
	if cfg.RuntimeUKIPath == "" {
		cfg.RuntimeUKIPath = filepath.Join(filepath.Dir(cfg.ISOPath), "plinth-runtime.efi")
	}
	return nil
}

// resolveInputs checks the disk size, payloads and answers file.
func resolveInputs(cfg *config, raw rawFlags) error {
	size, err := parseSize(raw.diskSize)
	if err != nil {
		return fmt.Errorf("-disk-size: %w", err)
	}
	cfg.DiskSize = size
	if cfg.payloads, err = loadPayloads(raw.payloads); err != nil {
		return err
	}
	if raw.answersFile != "" {
		data, err := os.ReadFile(raw.answersFile)
		if err != nil {
			return fmt.Errorf("-answers: %w", err)
		}
		if _, err := answers.Parse(data); err != nil {
			return fmt.Errorf("-answers %s: %w", raw.answersFile, err)
		}
		cfg.Answers = data
	}
	return nil
}

func resolveBrand(cfg *config, raw rawFlags) error {
	b, err := loadBrand(raw.brandDir, cfg.Product)
	cfg.Brand = b
	if err != nil {
		return err
	}
	cfg.Product = cfg.Brand.Product
	return nil
}

// resolveSourceTree finds the module and takes the version and the
// timestamp of every file from its git history unless given.
func resolveSourceTree(cfg *config, raw rawFlags) error {
	mod, err := moduleDir()
	if err != nil {
		return err
	}
	cfg.ModuleDir = mod
	if cfg.Version == "" {
		cfg.Version = gitOutput(mod, "describe", "--always", "--dirty")
		if cfg.Version == "" {
			cfg.Version = "dev"
		}
	}
	epoch := raw.epoch
	if epoch == "" {
		epoch = gitOutput(mod, "log", "-1", "--format=%ct")
	}
	cfg.Epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) // FAT cannot store earlier times
	if epoch != "" {
		sec, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("source date epoch %q is not a number of seconds", epoch)
		}
		if t := time.Unix(sec, 0).UTC(); t.After(cfg.Epoch) {
			cfg.Epoch = t
		}
	}
	return nil
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseSize reads "4G", "512M", "1T" or a byte count.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := strings.TrimSpace(s)
	if n := len(num); n > 0 {
		switch strings.ToUpper(num[n-1:]) {
		case "K":
			mult = 1 << 10
		case "M":
			mult = 1 << 20
		case "G":
			mult = 1 << 30
		case "T":
			mult = 1 << 40
		}
		if mult > 1 {
			num = num[:n-1]
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 4G, 512M or 8589934592", s)
	}
	return v * mult, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// moduleDir finds the Plinth source tree: gobusybox compiles the target
// commands against its go.mod.
func moduleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/plinth-os/plinth\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the Plinth source tree: run mkiso from the repository (go run ./cmds/mkiso)")
		}
		dir = parent
	}
}

func gitOutput(dir string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
