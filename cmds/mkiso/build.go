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
	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/install"
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

// step prints a build step with its duration and what it produced.
type step struct {
	log   io.Writer
	name  string
	start time.Time
}

func begin(log io.Writer, name string) *step {
	fmt.Fprintf(log, "==> %s\n", name)
	return &step{log: log, name: name, start: time.Now()}
}

func (s *step) done(format string, args ...any) {
	fmt.Fprintf(s.log, "    %-28s %7s  %s\n", s.name, time.Since(s.start).Round(10*time.Millisecond), fmt.Sprintf(format, args...))
}

// installManifest describes the runtime image for the installer, which
// checks the payload against it before it writes anything.
func installManifest(cfg config, runtimeUKI []byte) ([]byte, error) {
	sum := sha256.Sum256(runtimeUKI)
	m := install.Manifest{
		Product: cfg.Product, Version: cfg.Version,
		RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(runtimeUKI)),
		Config: baseConfig(cfg),
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
	stub, err := os.ReadFile(cfg.Stub)
	if err != nil {
		return fmt.Errorf("systemd-stub %s not found: install it with 'apt-get install systemd-boot-efi' or pass -stub", cfg.Stub)
	}
	cacheDir := cfg.CacheDir
	if cacheDir == "" {
		if cacheDir, err = kernelconfig.DefaultCacheDir(); err != nil {
			return err
		}
	}
	kernels := map[string]string{"installer": cfg.Kernel, "runtime": cfg.RuntimeKernel}
	releases := map[string]string{}
	images := map[string][]byte{}
	for _, kind := range kernelconfig.Kinds {
		s := begin(log, "kernel "+kind)
		path, cached := kernels[kind], "prebuilt"
		if path == "" {
			res, err := kernelconfig.Build(ctx, kernelconfig.Options{Kind: kind, Source: cfg.KernelSrc, CacheDir: cacheDir, Jobs: cfg.Jobs, Log: log})
			if err != nil {
				return err
			}
			path, releases[kind], cached = res.BzImage, res.Release, "built"
			if res.Cached {
				cached = "cached " + res.Key
			}
		}
		img, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("kernel %s: %w", kind, err)
		}
		if releases[kind] == "" {
			if releases[kind], err = kernelRelease(img); err != nil {
				return fmt.Errorf("kernel %s (%s): %w", kind, path, err)
			}
		}
		images[kind] = img
		s.done("%s, %s, %s", mib(len(img)), releases[kind], cached)
	}

	s := begin(log, "brand")
	parts, err := brandFiles(cfg.Brand)
	if err != nil {
		return err
	}
	s.done("%q, splash %dx%d 24-bit BMP %d bytes, %s %d bytes", cfg.Brand.Product, brand.SplashWidth, brand.SplashHeight, len(parts.Splash),
		brand.LogoFile, len(parts.Files[path.Join(brand.Dir, brand.LogoFile)]))

	runtimeUKI, err := buildRuntime(ctx, cfg, log, cacheDir, stub, images["runtime"], releases["runtime"], parts)
	if err != nil {
		return err
	}
	if cfg.DiskPath != "" {
		if err := writeDisk(cfg, log, runtimeUKI); err != nil {
			return err
		}
	}

	manifest, err := installManifest(cfg, runtimeUKI)
	if err != nil {
		return err
	}

	s = begin(log, "installer busybox binary")
	bb, cached, err := busybox(ctx, cfg.ModuleDir, cacheDir, "installer", installerCommands, cfg.RebuildGo)
	if err != nil {
		return err
	}
	s.done("%s, %s, commands: %s", mib(len(bb)), cachedWord(cached), strings.Join(initramfs.CommandNames(installerCommands), " "))

	s = begin(log, "initramfs")
	initImage, err := installerInitramfs(cfg, bb, parts, manifest, runtimeUKI)
	if err != nil {
		return err
	}
	initrd, err := initImage.Build()
	if err != nil {
		return err
	}
	s.done("%s zstd (runtime UKI, manifest%s inside)", mib(len(initrd)), map[bool]string{true: ", answers", false: ""}[cfg.Answers != nil])

	s = begin(log, "installer UKI")
	efi, err := installerUKI(cfg, parts, images["installer"], releases["installer"], initrd).Build(stub)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(cfg.UKIPath, efi); err != nil {
		return err
	}
	s.done("%s -> %s", mib(len(efi)), cfg.UKIPath)

	s = begin(log, "EFI boot image (FAT)")
	espTree := fstest.MapFS{"EFI/BOOT/BOOTX64.EFI": &fstest.MapFile{Data: efi, Mode: 0o644, ModTime: cfg.Epoch}}
	fatOpts := vfat.Options{Label: "PLINTH_EFI", ModTime: cfg.Epoch, Source: espTree}
	size, err := vfat.MinSize(espTree, fatOpts)
	if err != nil {
		return err
	}
	img := &memWriterAt{buf: make([]byte, size)}
	if err := vfat.Format(img, 0, size, fatOpts); err != nil {
		return err
	}
	s.done("%s", mib(len(img.buf)))

	s = begin(log, "ISO")
	isoSize, err := iso.Write(cfg.ISOPath, iso.Options{
		VolumeID:     cfg.VolumeID,
		EFIBootImage: img.buf,
		Files:        map[string][]byte{"/plinth/release.json": releaseJSON(cfg), "/plinth/manifest.json": manifest},
		ModTime:      cfg.Epoch,
		Joliet:       true,
	})
	if err != nil {
		return err
	}
	s.done("%s -> %s", mib(int(isoSize)), cfg.ISOPath)

	if err := writeFileAtomic(filepath.Join(filepath.Dir(cfg.ISOPath), "version"), []byte(cfg.Version+"\n")); err != nil {
		return err
	}
	s = begin(log, "SHA256SUMS")
	sums := filepath.Join(filepath.Dir(cfg.ISOPath), "SHA256SUMS")
	outputs := []string{cfg.ISOPath, cfg.UKIPath, cfg.RuntimeUKIPath}
	if cfg.DiskPath != "" {
		outputs = append(outputs, cfg.DiskPath)
	}
	if err := writeSums(sums, outputs...); err != nil {
		return err
	}
	s.done("%s", sums)
	fmt.Fprintf(log, "mkiso: done in %s\n", time.Since(total).Round(10*time.Millisecond))
	return nil
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

// memWriterAt is an in-memory image for the FAT writer.
type memWriterAt struct{ buf []byte }

func (m *memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.buf)) {
		return 0, fmt.Errorf("write of %d bytes at %d outside the %d-byte image", len(p), off, len(m.buf))
	}
	return copy(m.buf[off:], p), nil
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
func writeSums(path string, files ...string) error {
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		h := sha256.New()
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		_, err = io.Copy(h, in)
		in.Close()
		if err != nil {
			return fmt.Errorf("hash %s: %w", f, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), filepath.Base(f))
	}
	return writeFileAtomic(path, []byte(b.String()))
}
