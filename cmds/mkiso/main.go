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
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/product"
	"github.com/plinth-os/plinth/internal/sbkeys"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/updatekey"
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
	PlinthDir     string // Plinth's Go module: its commands make the busybox binaries
	Jobs          int

	// ProductFile is the -config plinth.yaml, nil without one;
	// ProductDir is its directory, the vendor's Go module (else the
	// directory mkiso runs in).
	ProductFile *product.Product
	ProductDir  string
	Network     appconfig.Network // installed network unless the answers give one
	MinMemory   int64             // installer minimums; 0: the installer's own
	MinDisk     int64
	// Settings are the -disk image's setting values: the embedded
	// answers', else the defaults.
	Settings map[string]setting.Value

	RuntimeUKIPath string
	RuntimeCmdline string
	DiskPath       string
	DiskSize       int64
	RebuildGo      bool
	Answers        []byte      // install.yaml to embed, validated
	Brand          brand.Brand // -brand, with -product's name if given
	payloads       []payload
	// payloadsFromFlag: -payload replaced plinth.yaml's services.
	payloadsFromFlag bool
	// Keys sign every EFI binary and are enrolled by the installer; nil:
	// the images are not signed.
	Keys *sbkeys.Set
	// Shim, when set, puts Microsoft-signed shim in front of the UKIs on
	// the media and on installed disks (-shim).
	Shim *shimChain
	// NewKeysDir: generate a key set there and build nothing.
	NewKeysDir string

	// UpdateKey signs the update bundle (-update-key, plinth.yaml's
	// updates: key:); nil: the db key of Keys does, and without either
	// there is no bundle.
	UpdateKey *updatekey.Key
	// Updates is plinth.yaml's updates: (the defaults without one),
	// with -update-channel's URL when given.
	Updates product.Updates
	// UpdateCA is the PEM text of Updates.CA, for the runtime.
	UpdateCA []byte
	// NewUpdateKeyDir: generate an update key there and build nothing.
	NewUpdateKeyDir string

	// NetInstall are the URL templates of installs over the network
	// (plinth.yaml's installer: answers-url: and report-url:, the
	// -answers-url and -report-url flags winning), validated; zero: none.
	NetInstall netinstall.Config
	// NetInstallCA is the PEM text of the CA certificates the installer
	// trusts for them (-answers-ca, else installer: ca:); nil: none.
	NetInstallCA []byte
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
	if cfg.generatingKeys() {
		if err := newKeyFiles(cfg, os.Stdout); err != nil {
			fmt.Fprintf(log, "mkiso: %v\n", err)
			os.Exit(1)
		}
		return
	}
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
		fmt.Fprintf(out, "Usage: mkiso [flags]   (go run github.com/plinth-os/plinth/cmds/mkiso, or go tool mkiso in a product module)\n\nBuilds the Plinth installer ISO, UKI and SHA256SUMS. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	cfg.Network = appconfig.Network{Mode: appconfig.ModeDHCP}
	if err := applyProduct(&cfg, &raw, setFlags(fs)); err != nil {
		return cfg, err
	}
	resolvers := []func(*config, rawFlags) error{resolveOutputs, resolveInputs, resolveNetInstall, resolveBrand, resolveSourceTree}
	if !cfg.generatingKeys() { // the keys to make are not there yet
		resolvers = append(resolvers, resolveKeys, resolveShim, resolveUpdates)
	}
	for _, resolve := range resolvers {
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
	configFile, keysDir, shimDir           string
	updateKeyDir, updateChannel            string
	answersURL, reportURL, answersCA       string
	shim                                   bool
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
	fs.StringVar(&raw.answersURL, "answers-url", "", "URL `template` (http or https; ${mac}, ${uuid}, ${serial}) the installer fetches its answers from when it has no others: installs over the network (see README); wins over plinth.yaml's installer: answers-url:")
	fs.StringVar(&raw.reportURL, "report-url", "", "URL `template` (as -answers-url) the installer posts its events to, and its logs after a failure; wins over plinth.yaml's installer: report-url:")
	fs.StringVar(&raw.answersCA, "answers-ca", "", "PEM `file` of CA certificates the installer trusts for the answers and report URLs' HTTPS besides the system's; wins over plinth.yaml's installer: ca:")
	fs.BoolVar(&cfg.RebuildGo, "rebuild-go", false, "compile the busybox binaries even when the cache has them for these sources")
	fs.StringVar(&raw.configFile, "config", "", "the product file, `plinth.yaml` (see README): services, settings, files, brand, version; a flag that describes the product (-"+strings.Join(productFlags, ", -")+") wins over its field")
	fs.StringVar(&raw.keysDir, "secureboot-keys", "", "sign the images for UEFI Secure Boot with the PK, KEK and db keys in this `directory` (see README); wins over plinth.yaml's secure-boot: keys")
	fs.BoolVar(&raw.shim, "shim", false, "boot the media and installed disks through Microsoft-signed shim and MokManager, for machines whose firmware trusts only Microsoft (needs -secureboot-keys; see README); plinth.yaml: secure-boot: shim: true")
	fs.StringVar(&raw.shimDir, "shim-dir", defaultShimDir, "`directory` holding shimx64.efi and mmx64.efi (or their .signed names) for -shim")
	fs.StringVar(&cfg.NewKeysDir, "new-secureboot-keys", "", "write a fresh Secure Boot key set (PK, KEK, db) to this `directory` and exit")
	fs.StringVar(&raw.updateKeyDir, "update-key", "", "sign the update bundle with the update key (update.crt, update.key) in this `directory` (see README); wins over plinth.yaml's updates: key:; default: the Secure Boot db key signs, and without keys there is no bundle")
	fs.StringVar(&raw.updateChannel, "update-channel", "", "`URL` of the channel file (http or https) installed appliances check for updates; wins over plinth.yaml's updates: channel:")
	fs.StringVar(&cfg.NewUpdateKeyDir, "new-update-key", "", "write a fresh update signing key (update.crt, update.key) to this `directory` and exit")
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

// resolveInputs checks the disk size, the services and the answers file.
func resolveInputs(cfg *config, raw rawFlags) error {
	size, err := parseSize(raw.diskSize)
	if err != nil {
		return fmt.Errorf("-disk-size: %w", err)
	}
	cfg.DiskSize = size
	cfg.payloadsFromFlag = len(raw.payloads) > 0
	if cfg.ProductFile == nil || cfg.payloadsFromFlag {
		if cfg.payloads, err = loadPayloads(raw.payloads); err != nil {
			return err
		}
	} else if cfg.payloads, err = productPayloads(cfg.ProductFile, cfg.ProductDir); err != nil {
		return err
	}
	if raw.answersFile != "" {
		data, err := os.ReadFile(raw.answersFile)
		if err != nil {
			return fmt.Errorf("-answers: %w", err)
		}
		cfg.Answers = data
	}
	return resolveSettings(cfg, raw)
}

// resolveSettings checks the embedded answers, their settings against
// the product's declarations included, and takes the settings a -disk
// image is made with from them (or the defaults).
func resolveSettings(cfg *config, raw rawFlags) error {
	var decls []setting.Decl
	if cfg.ProductFile != nil {
		decls = cfg.ProductFile.Settings
	}
	source := "-answers " + raw.answersFile
	if raw.answersFile == "" {
		source = product.FileName + " installer.answers"
	}
	var a *answers.Answers
	if cfg.Answers != nil {
		var err error
		if a, err = answers.Parse(cfg.Answers); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	values, err := a.CheckSettings(decls)
	if err != nil && cfg.Answers != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if err != nil && cfg.DiskPath != "" {
		return fmt.Errorf("-disk: the disk image needs every setting's value: %w (declare a default, or give them in -answers under settings:)", err)
	}
	cfg.Settings = values
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

// resolveSourceTree finds Plinth's module and takes the version and the
// timestamp of every file from the product's git history unless given.
func resolveSourceTree(cfg *config, raw rawFlags) error {
	if cfg.ProductDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		cfg.ProductDir = wd
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	mod, err := plinthModuleDir(cfg.ProductDir, wd)
	if err != nil {
		return err
	}
	cfg.PlinthDir = mod
	if cfg.Version == "" {
		cfg.Version = gitOutput(cfg.ProductDir, "describe", "--always", "--dirty")
		if cfg.Version == "" {
			cfg.Version = "dev"
		}
	}
	epoch := raw.epoch
	if epoch == "" {
		epoch = gitOutput(cfg.ProductDir, "log", "-1", "--format=%ct")
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

// plinthModule is Plinth's Go module path.
const plinthModule = "github.com/plinth-os/plinth"

// plinthModuleDir finds the source of Plinth's module as the Go
// toolchain resolves it from the first of dirs that knows it (the
// product's directory, then the one mkiso runs in): the checkout itself,
// the directory a vendor's go.mod replaces it with, or the module cache.
// gobusybox compiles Plinth's target commands against its go.mod.
func plinthModuleDir(dirs ...string) (string, error) {
	var why []string
	for _, dir := range dirs {
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", plinthModule)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if mod := strings.TrimSpace(string(out)); err == nil && mod != "" {
			return mod, nil
		}
		why = append(why, fmt.Sprintf("from %s: %s", dir, strings.TrimSpace(stderr.String())))
	}
	return "", fmt.Errorf("cannot find the source of %s (%s): run mkiso in Plinth's checkout or in a Go module that requires %s (with a replace directive or go.work pointing at a checkout)",
		plinthModule, strings.Join(why, "; "), plinthModule)
}

func gitOutput(dir string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
