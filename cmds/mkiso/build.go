package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sparse"
	"github.com/plinth-os/plinth/internal/vfat"
	"github.com/plinth-os/plinth/iso"
	kernelconfig "github.com/plinth-os/plinth/kernel-config"
)

// installerCommands are compiled into the installer's busybox binary.
var installerCommands = []string{
	initramfs.InitCommand,
	"github.com/plinth-os/plinth/cmds/installer",
	"github.com/plinth-os/plinth/cmds/gptpart",
	"github.com/plinth-os/plinth/cmds/mkfs-vfat",
	"github.com/plinth-os/plinth/cmds/mkfs-ext4",
	"github.com/plinth-os/plinth/cmds/efibootmgr",
}

// step is one stage of the build. A named step is announced ("==> name")
// when it starts and, once it succeeds, printed again with its duration and
// the summary it returns of what it produced. An unnamed step only prepares
// what later steps need and prints nothing.
type step struct {
	name string
	run  func(context.Context) (summary string, err error)
}

// runSteps runs steps in order and stops at the first error.
func runSteps(ctx context.Context, log io.Writer, steps []step) error {
	for _, s := range steps {
		if s.name != "" {
			fmt.Fprintf(log, "==> %s\n", s.name)
		}
		start := time.Now()
		summary, err := s.run(ctx)
		if err != nil {
			return err
		}
		if s.name != "" {
			fmt.Fprintf(log, "    %-28s %7s  %s\n", s.name, time.Since(start).Round(10*time.Millisecond), summary)
		}
	}
	return nil
}

// installManifest describes the runtime image for the installer, which
// checks the payload against it before it writes anything.
func installManifest(cfg config, runtimeUKI []byte) ([]byte, error) {
	sum := sha256.Sum256(runtimeUKI)
	m := install.Manifest{
		Product: cfg.Product, Version: cfg.Version,
		RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(runtimeUKI)),
		Config:    baseConfig(cfg),
		MinMemory: cfg.MinMemory, MinDisk: cfg.MinDisk,
	}
	if cfg.Shim != nil {
		m.Shim, m.MokManager = installplan.DigestOf(cfg.Shim.Shim), installplan.DigestOf(cfg.Shim.MokManager)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return append(b, '\n'), nil
}

func cachedWord(cached bool) string {
	if cached {
		return "cached"
	}
	return "built"
}

func mib(n int) string { return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n) }

func build(ctx context.Context, cfg config, log io.Writer) error {
	total := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a failed step stops the kernel builds
	b := &isoBuild{cfg: cfg, log: log, kernels: map[string][]byte{}, releases: map[string]string{}}
	if err := runSteps(ctx, log, b.steps()); err != nil {
		return err
	}
	fmt.Fprintf(log, "mkiso: done in %s\n", time.Since(total).Round(10*time.Millisecond))
	return nil
}

// isoBuild is one mkiso run: its configuration and what each step
// produces for the steps after it.
type isoBuild struct {
	cfg      config
	log      io.Writer // kernel builds report progress here
	stub     []byte    // systemd-stub, the base of both UKIs
	cacheDir string
	kernels  map[string][]byte // bzImage by kernel kind
	releases map[string]string // uname -r by kernel kind
	// kernelDone delivers each kind's kernel from the builds that run
	// beside the Go steps (startKernels).
	kernelDone map[string]chan builtKernel
	parts      brandParts

	spec          []byte // productspec.Spec as JSON, in both images
	specValue     productspec.Spec
	runtimeCmds   []string          // commands in the runtime busybox binary
	runtimeExecs  map[string][]byte // static payloads by path in the runtime initramfs
	runtimeBB     []byte
	runtimeInitrd []byte
	runtimeEFI    []byte
	manifest      []byte // install.Manifest of runtimeEFI, as JSON

	installerBB     []byte
	installerInitrd []byte
	installerEFI    []byte
	espImage        []byte            // FAT image holding installerEFI as the removable-media loader
	keyFiles        map[string][]byte // Secure Boot enrollment files by name; nil without keys
}

// steps is the build, in order: the kernels start in the background, the
// brand and both Go binaries are compiled meanwhile (they need no kernel,
// and a kernel build leaves a core idle while it unpacks and links), then
// the runtime image (and a disk with it installed), the installer image
// around it, the ISO and the checksums.
func (b *isoBuild) steps() []step {
	steps := []step{{"", b.readStub}, {"", b.findCacheDir}, {"secure boot keys", b.prepareKeys}, {"", b.startKernels},
		{"brand", b.renderBrand},
		{"services", b.compileServices},
		{"product spec", b.describeProduct},
		{"runtime busybox binary", b.compileRuntime},
		{"installer busybox binary", b.compileInstaller},
	}
	for _, kind := range kernelconfig.Kinds {
		steps = append(steps, step{"kernel " + kind, func(ctx context.Context) (string, error) { return b.waitKernel(ctx, kind) }})
	}
	steps = append(steps,
		step{"runtime initramfs", b.packRuntime},
		step{"runtime UKI", b.assembleRuntime},
		step{"update bundle", b.writeBundle},
	)
	if b.cfg.DiskPath != "" {
		steps = append(steps, step{"disk image", b.writeDiskImage})
	}
	return append(steps,
		step{"", b.describeRuntime},
		step{"initramfs", b.packInstaller},
		step{"installer UKI", b.assembleInstaller},
		step{"EFI boot image (FAT)", b.formatESP},
		step{"ISO", b.writeISO},
		step{"", b.writeVersion},
		step{"SHA256SUMS", b.writeChecksums},
	)
}

func (b *isoBuild) readStub(context.Context) (string, error) {
	stub, err := os.ReadFile(b.cfg.Stub)
	if err != nil {
		return "", fmt.Errorf("systemd-stub %s not found: install it with 'apt-get install systemd-boot-efi' or pass -stub", b.cfg.Stub)
	}
	b.stub = stub
	return "", nil
}

func (b *isoBuild) findCacheDir(context.Context) (string, error) {
	b.cacheDir = b.cfg.CacheDir
	if b.cacheDir != "" {
		return "", nil
	}
	var err error
	b.cacheDir, err = kernelconfig.DefaultCacheDir()
	return "", err
}

// builtKernel is one kind's kernel, or why there is none.
type builtKernel struct {
	image   []byte // bzImage
	release string // uname -r
	summary string // for the step's line
	err     error
}

// startKernels builds (or takes from the cache) the kernels one kind
// after the other, in the background: they share one object tree.
func (b *isoBuild) startKernels(ctx context.Context) (string, error) {
	b.kernelDone = map[string]chan builtKernel{}
	for _, kind := range kernelconfig.Kinds {
		b.kernelDone[kind] = make(chan builtKernel, 1)
	}
	go func() {
		for _, kind := range kernelconfig.Kinds {
			b.kernelDone[kind] <- b.kernel(ctx, kind)
		}
	}()
	return "", nil
}

// waitKernel waits for kind's kernel from startKernels.
func (b *isoBuild) waitKernel(ctx context.Context, kind string) (string, error) {
	select {
	case k := <-b.kernelDone[kind]:
		if k.err != nil {
			return "", k.err
		}
		b.kernels[kind], b.releases[kind] = k.image, k.release
		return k.summary, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// kernel reads the prebuilt bzImage of kind, or builds it (from the cache
// when it can), and finds its release.
func (b *isoBuild) kernel(ctx context.Context, kind string) builtKernel {
	prebuilt := map[string]string{"installer": b.cfg.Kernel, "runtime": b.cfg.RuntimeKernel}
	path, how := prebuilt[kind], "prebuilt"
	var k builtKernel
	if path == "" {
		res, err := kernelconfig.Build(ctx, kernelconfig.Options{Kind: kind, Source: b.cfg.KernelSrc, CacheDir: b.cacheDir, Jobs: b.cfg.Jobs, Log: b.log})
		if err != nil {
			return builtKernel{err: err}
		}
		path, k.release, how = res.BzImage, res.Release, fmt.Sprintf("built in %s", res.Duration.Round(time.Second))
		if res.Cached {
			how = "cached " + res.Key
		}
	}
	img, err := os.ReadFile(path)
	if err != nil {
		return builtKernel{err: fmt.Errorf("kernel %s: %w", kind, err)}
	}
	if k.release == "" {
		if k.release, err = kernelRelease(img); err != nil {
			return builtKernel{err: fmt.Errorf("kernel %s (%s): %w", kind, path, err)}
		}
	}
	k.image, k.summary = img, fmt.Sprintf("%s, %s, %s", mib(len(img)), k.release, how)
	return k
}

func (b *isoBuild) renderBrand(context.Context) (string, error) {
	parts, err := brandFiles(b.cfg.Brand)
	if err != nil {
		return "", err
	}
	b.parts = parts
	return fmt.Sprintf("%q, splash %dx%d 24-bit BMP %d bytes, %s %d bytes", b.cfg.Brand.Product, brand.SplashWidth, brand.SplashHeight, len(parts.Splash),
		brand.LogoFile, len(parts.Files[path.Join(brand.Dir, brand.LogoFile)])), nil
}

func (b *isoBuild) writeDiskImage(context.Context) (string, error) {
	return writeDisk(b.cfg, b.runtimeEFI)
}

// describeRuntime writes the manifest the installer checks the runtime
// image against.
func (b *isoBuild) describeRuntime(context.Context) (string, error) {
	m, err := installManifest(b.cfg, b.runtimeEFI)
	b.manifest = m
	return "", err
}

func (b *isoBuild) compileInstaller(ctx context.Context) (string, error) {
	bb, cached, err := busybox(ctx, b.cfg.PlinthDir, b.cacheDir, "installer", installerCommands, b.cfg.RebuildGo)
	if err != nil {
		return "", err
	}
	b.installerBB = bb
	return fmt.Sprintf("%s, %s, commands: %s", mib(len(bb)), cachedWord(cached), strings.Join(initramfs.CommandNames(installerCommands), " ")), nil
}

// packInstaller builds the installer's initramfs, which carries the
// runtime UKI and its manifest.
func (b *isoBuild) packInstaller(context.Context) (string, error) {
	extra := b.keyFilesAt(sbenroll.KeyDir)
	if b.cfg.Shim != nil {
		extra[install.ShimPath], extra[install.MokManagerPath] = b.cfg.Shim.Shim, b.cfg.Shim.MokManager
	}
	im, err := installerInitramfs(b.cfg, b.installerBB, b.parts, b.manifest, b.runtimeEFI, b.spec, extra)
	if err != nil {
		return "", err
	}
	if b.installerInitrd, err = im.Build(); err != nil {
		return "", err
	}
	answers := ""
	if b.cfg.Answers != nil {
		answers = ", answers"
	}
	return fmt.Sprintf("%s zstd (runtime UKI, manifest%s%s inside)", mib(len(b.installerInitrd)), answers, netInstallWords(b.cfg)), nil
}

func (b *isoBuild) assembleInstaller(context.Context) (string, error) {
	efi, err := installerUKI(b.cfg, b.parts, b.kernels["installer"], b.releases["installer"], b.installerInitrd).Build(b.stub)
	if err == nil {
		efi, err = b.sign(efi)
	}
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(b.cfg.UKIPath, efi); err != nil {
		return "", err
	}
	b.installerEFI = efi
	return fmt.Sprintf("%s, %s -> %s", mib(len(efi)), b.signedWord(), b.cfg.UKIPath), nil
}

// formatESP makes the FAT image that El Torito and the ISO's GPT point
// firmware at, holding the installer UKI as the removable-media loader.
func (b *isoBuild) formatESP(context.Context) (string, error) {
	files := map[string][]byte{disklayout.FallbackPath: b.installerEFI}
	if b.cfg.Shim != nil {
		files = b.shimESPFiles()
	}
	for name, data := range b.keyFiles { // for firmware menus that enroll from a file
		files["keys/"+name] = data
	}
	espTree := fstest.MapFS{}
	for name, data := range files {
		espTree[name] = &fstest.MapFile{Data: data, Mode: 0o644, ModTime: b.cfg.Epoch}
	}
	fatOpts := vfat.Options{Label: "PLINTH_EFI", ModTime: b.cfg.Epoch, Source: espTree}
	size, err := vfat.MinSize(espTree, fatOpts)
	if err != nil {
		return "", err
	}
	img := blockdev.NewMem(size, 0)
	if err := vfat.Format(img, 0, size, fatOpts); err != nil {
		return "", err
	}
	b.espImage = img.Bytes()
	return mib(len(b.espImage)), nil
}

func (b *isoBuild) writeISO(context.Context) (string, error) {
	files, err := merge(map[string][]byte{"/plinth/release.json": releaseJSON(b.cfg), "/plinth/manifest.json": b.manifest}, b.keyFilesAt("/keys"))
	if err != nil {
		return "", err
	}
	isoSize, err := iso.Write(b.cfg.ISOPath, iso.Options{
		VolumeID:     b.cfg.VolumeID,
		EFIBootImage: b.espImage,
		Files:        files,
		ModTime:      b.cfg.Epoch,
		Joliet:       true,
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s -> %s", mib(int(isoSize)), b.cfg.ISOPath), nil
}

// writeVersion leaves the version next to the outputs for scripts that
// publish them.
func (b *isoBuild) writeVersion(context.Context) (string, error) {
	return "", writeFileAtomic(filepath.Join(filepath.Dir(b.cfg.ISOPath), "version"), []byte(b.cfg.Version+"\n"))
}

func (b *isoBuild) writeChecksums(context.Context) (string, error) {
	sums := filepath.Join(filepath.Dir(b.cfg.ISOPath), "SHA256SUMS")
	outputs := append([]string{b.cfg.ISOPath, b.cfg.UKIPath, b.cfg.RuntimeUKIPath}, b.bundleOutputs()...)
	if b.cfg.DiskPath != "" {
		outputs = append(outputs, b.cfg.DiskPath)
	}
	if err := writeSums(sums, outputs...); err != nil {
		return "", err
	}
	return sums, nil
}

// kernelRelease reads the version string a bzImage carries (boot protocol
// header field kernel_version, at 0x20E, relative to 0x200).
func kernelRelease(bz []byte) (string, error) {
	if len(bz) < 0x210 || string(bz[0x202:0x206]) != "HdrS" {
		return "", fmt.Errorf("not a bzImage (no HdrS boot header)")
	}
	off := int(bz[0x20E]) | int(bz[0x20F])<<8
	start := off + 0x200
	if off == 0 || start >= len(bz) {
		return "", fmt.Errorf("bzImage has no version string")
	}
	end := start
	for end < len(bz) && bz[end] != 0 && bz[end] != ' ' {
		end++
	}
	return string(bz[start:end]), nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeSums writes a sha256sum-compatible file naming files by base name.
// Holes are hashed without being read (internal/sparse).
func writeSums(path string, files ...string) error {
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		h := sha256.New()
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		_, err = sparse.Copy(h, in) // the disk image is gigabytes of holes
		in.Close()
		if err != nil {
			return fmt.Errorf("hash %s: %w", f, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), filepath.Base(f))
	}
	return writeFileAtomic(path, []byte(b.String()))
}
