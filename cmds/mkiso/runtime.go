package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/product"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/provision"
)

// runtimeCommands are always in the runtime image; payloads come on top.
var runtimeCommands = []string{
	initramfs.InitCommand,
	"github.com/plinth-os/plinth/cmds/appliance",
	"github.com/plinth-os/plinth/cmds/plinth-update",
}

// demoPayload is the service included when no -payload is given.
const demoPayload = "github.com/plinth-os/plinth/cmds/plinth-demo"

// payload is the program of one service of the runtime image.
type payload struct {
	Name   string
	GoPkg  string // -payload: a Plinth package compiled into the busybox binary
	Binary []byte // a static binary stored as /payload/<name>
	// Build is a main package of the product's own module (plinth.yaml's
	// go:), compiled with that module's go.mod into Binary.
	Build string
}

// productPayloads are plinth.yaml's services' programs. Files are read
// now (Check has made sure they are static x86-64 executables); Go
// packages are compiled by the build.
func productPayloads(p *product.Product, dir string) ([]payload, error) {
	var out []payload
	for i, s := range p.Services {
		pl := payload{Name: s.Name}
		switch s.Program.Kind {
		case product.StaticFile:
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(s.Program.Path)))
			if err != nil {
				return nil, fmt.Errorf("%s: services[%d].file: %w", product.FileName, i, err)
			}
			pl.Binary = b
		case product.GoPackage:
			pl.Build = s.Program.Path
		}
		out = append(out, pl)
	}
	return out, nil
}

// loadPayloads resolves -payload values: a path to an existing file is a
// static binary; anything else is a Go package path for the busybox build.
func loadPayloads(values []string) ([]payload, error) {
	if len(values) == 0 {
		values = []string{demoPayload}
	}
	var out []payload
	seen := map[string]bool{}
	for _, v := range values {
		p := payload{Name: path.Base(v)}
		if st, err := os.Stat(v); err == nil && st.Mode().IsRegular() {
			if err := checkStatic(v); err != nil {
				return nil, err
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return nil, err
			}
			p.Binary = b
		} else {
			p.GoPkg = v
		}
		if seen[p.Name] || p.Name == "appliance" || p.Name == "init" {
			return nil, fmt.Errorf("payload name %q is used twice or reserved: rename the binary or package", p.Name)
		}
		seen[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}

// checkStatic refuses binaries that need a dynamic loader: the runtime
// image has no libc.
func checkStatic(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return checkStaticBytes(file, b)
}

// checkStaticBytes is checkStatic for a binary in memory, named name in
// errors; what makes a binary fit is package product's rule.
func checkStaticBytes(name string, bin []byte) error {
	if !bytes.HasPrefix(bin, []byte(elf.ELFMAG)) {
		return fmt.Errorf("payload %s is not an ELF binary", name)
	}
	if msg := product.StaticELFProblem(bytes.NewReader(bin), "payload "+name); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// runtimeContents splits the payloads into the commands compiled into the
// runtime busybox binary and the static binaries stored beside it.
func runtimeContents(payloads []payload) (cmds []string, execs map[string][]byte) {
	cmds = append([]string(nil), runtimeCommands...)
	execs = map[string][]byte{}
	for _, p := range payloads {
		if p.GoPkg != "" {
			cmds = append(cmds, p.GoPkg)
		} else {
			execs[payloadPath(p.Name)] = p.Binary
		}
	}
	return cmds, execs
}

// compileServices builds the services' Go packages in the product's
// module (plinth.yaml's go:).
func (b *isoBuild) compileServices(ctx context.Context) (string, error) {
	g := goBuilder{moduleDir: b.cfg.ProductDir, cacheDir: b.cacheDir}
	var done []string
	for i := range b.cfg.payloads {
		p := &b.cfg.payloads[i]
		if p.Build == "" {
			continue
		}
		bin, cached, err := g.build(ctx, p.Build)
		if err != nil {
			return "", fmt.Errorf("service %s: %w", p.Name, err)
		}
		if err := checkStaticBytes(p.Name, bin); err != nil {
			return "", err
		}
		p.Binary = bin
		done = append(done, fmt.Sprintf("%s %s %s", p.Name, mib(len(bin)), cachedWord(cached)))
	}
	if len(done) == 0 {
		return "no Go services", nil
	}
	return strings.Join(done, ", "), nil
}

// describeProduct compiles plinth.yaml into the spec both images carry.
func (b *isoBuild) describeProduct(context.Context) (string, error) {
	spec, err := productSpec(b.cfg)
	if err != nil {
		return "", err
	}
	if b.spec, err = productspec.Marshal(&spec); err != nil {
		return "", err
	}
	b.specValue = spec
	return fmt.Sprintf("%d service(s), %d setting(s), %d user(s)", len(spec.Services), len(spec.Settings), len(spec.Users)), nil
}

func (b *isoBuild) compileRuntime(ctx context.Context) (string, error) {
	b.runtimeCmds, b.runtimeExecs = runtimeContents(b.cfg.payloads)
	bb, cached, err := busybox(ctx, b.cfg.PlinthDir, b.cacheDir, "runtime", b.runtimeCmds, b.cfg.RebuildGo)
	if err != nil {
		return "", err
	}
	b.runtimeBB = bb
	return fmt.Sprintf("%s, %s, commands: %s", mib(len(bb)), cachedWord(cached), strings.Join(initramfs.CommandNames(b.runtimeCmds), " ")), nil
}

func (b *isoBuild) packRuntime(context.Context) (string, error) {
	files, owners, err := productFiles(b.cfg, b.specValue, func(rel string) ([]byte, error) {
		return os.ReadFile(filepath.Join(b.cfg.ProductDir, filepath.FromSlash(rel)))
	})
	if err != nil {
		return "", err
	}
	im, err := runtimeInitramfs(b.cfg, runtimeContent{
		Busybox: b.runtimeBB, Commands: b.runtimeCmds, Execs: b.runtimeExecs,
		Spec: b.spec, Accounts: accountFiles(b.specValue), Files: files, Owners: owners,
	}, b.parts)
	if err != nil {
		return "", err
	}
	if b.runtimeInitrd, err = im.Build(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s zstd, %d static payload(s)", mib(len(b.runtimeInitrd)), len(b.runtimeExecs)), nil
}

func (b *isoBuild) assembleRuntime(context.Context) (string, error) {
	efi, err := runtimeUKI(b.cfg, b.parts, b.kernels["runtime"], b.releases["runtime"], b.runtimeInitrd).Build(b.stub)
	if err == nil {
		efi, err = b.sign(efi)
	}
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(b.cfg.RuntimeUKIPath, efi); err != nil {
		return "", err
	}
	b.runtimeEFI = efi
	return fmt.Sprintf("%s, %s -> %s", mib(len(efi)), b.signedWord(), b.cfg.RuntimeUKIPath), nil
}

// baseConfig is the installed config before a disk gives it identity.
func baseConfig(cfg config) appconfig.Config {
	return appconfig.Config{
		Product:  cfg.Product,
		Version:  cfg.Version,
		Network:  cfg.Network,
		Settings: cfg.Settings,
	}
}

// writeDisk writes a ready-to-boot sparse disk image: what an installer
// would leave on a disk, and what a user uploads as a VM image. It returns
// a summary of the image for the build log.
func writeDisk(cfg config, runtimeUKI []byte) (string, error) {
	// Same inputs, same image: GUIDs and identity come from the content.
	seed := sha256.New()
	fmt.Fprintf(seed, "%s\x00%s\x00%d\x00", cfg.Product, cfg.Version, cfg.DiskSize)
	seed.Write(runtimeUKI)
	if err := os.MkdirAll(filepath.Dir(cfg.DiskPath), 0o755); err != nil {
		return "", err
	}
	tmp := cfg.DiskPath + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	defer os.Remove(tmp)
	img := provision.Image{Size: cfg.DiskSize, Seed: seed.Sum(nil), Base: baseConfig(cfg), RuntimeUKI: runtimeUKI, ModTime: cfg.Epoch}
	if cfg.Shim != nil {
		img.Shim, img.MokManager = cfg.Shim.Shim, cfg.Shim.MokManager
	}
	l, err := provision.WriteImage(f, img)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	if err := os.Rename(tmp, cfg.DiskPath); err != nil {
		return "", fmt.Errorf("disk image: %w", err)
	}
	st, _ := os.Stat(cfg.DiskPath)
	var used int64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		used = sys.Blocks * 512 // st_blocks counts 512-byte units
	}
	return fmt.Sprintf("%s sparse (%s allocated), ESP %s, data %s -> %s", humanBytes(cfg.DiskSize), humanBytes(used), l.ESP.GUID, l.Data.GUID, cfg.DiskPath), nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
