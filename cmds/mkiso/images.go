package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/uki"
)

// releasePath is where both images say which product and version they are.
const releasePath = "/etc/plinth/release.json"

// loadBrand resolves -brand and -product: the brand directory (or the
// built-in brand), with -product, when given, replacing its product name
// so the screens, os-release and the boot entry all say the same.
func loadBrand(dir, product string) (brand.Brand, error) {
	b := brand.Default()
	if dir != "" {
		var err error
		if b, err = brand.Load(dir); err != nil {
			return b, fmt.Errorf("-brand: %w", err)
		}
		_, errJSON := os.Stat(filepath.Join(dir, brand.JSONFile))
		_, errLogo := os.Stat(filepath.Join(dir, brand.LogoFile))
		if errJSON != nil && errLogo != nil {
			return b, fmt.Errorf("-brand %s: neither %s nor %s is there: put them in that directory (see README, Branding) or leave -brand out for the built-in brand",
				dir, brand.JSONFile, brand.LogoFile)
		}
	}
	if product != "" {
		b.Product = product
		if err := b.Validate(); err != nil {
			return b, fmt.Errorf("-product: %w", err)
		}
	}
	return b, nil
}

// brandParts is what a brand adds to both images.
type brandParts struct {
	Splash []byte            // the UKIs' .splash section
	Files  map[string][]byte // initramfs files, by absolute path under brand.Dir
}

// brandFiles renders a brand for the images: the splash BMP and the
// brand directory the target reads with brand.Load(brand.Dir).
func brandFiles(b brand.Brand) (brandParts, error) {
	splash, err := b.Splash(brand.SplashWidth, brand.SplashHeight)
	if err != nil {
		return brandParts{}, err
	}
	files, err := b.Files()
	if err != nil {
		return brandParts{}, err
	}
	p := brandParts{Splash: splash, Files: map[string][]byte{}}
	for name, data := range files {
		p.Files[path.Join(brand.Dir, name)] = data
	}
	return p, nil
}

// releaseJSON is /etc/plinth/release.json, and /plinth/release.json on the ISO.
func releaseJSON(cfg config) []byte {
	rel, _ := json.Marshal(map[string]string{"product": cfg.Product, "version": cfg.Version})
	return rel
}

// merge returns one map with the files of all sets; a path in two sets is
// a bug in mkiso.
func merge(sets ...map[string][]byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, s := range sets {
		for p, data := range s {
			if _, dup := out[p]; dup {
				return nil, fmt.Errorf("mkiso: %s would be written twice into an initramfs", p)
			}
			out[p] = data
		}
	}
	return out, nil
}

// installerInitramfs describes the installer's initramfs: the runtime UKI
// and its manifest, the answers if any, the URLs and CA of installs over
// the network if any, the release, the brand, and extra files (Secure
// Boot keys, the shim chain) by path.
func installerInitramfs(cfg config, bb []byte, parts brandParts, manifest, runtimeUKI, spec []byte, extra map[string][]byte) (initramfs.Image, error) {
	own := map[string][]byte{install.ManifestPath: manifest, install.RuntimeUKIPath: runtimeUKI, releasePath: releaseJSON(cfg), productspec.Path: spec}
	if cfg.Answers != nil {
		own[install.AnswersPath] = cfg.Answers
	}
	net, err := netInstallFiles(cfg)
	if err != nil {
		return initramfs.Image{}, err
	}
	files, err := merge(own, net, parts.Files, extra)
	if err != nil {
		return initramfs.Image{}, err
	}
	return initramfs.Image{
		Busybox:  bb,
		Commands: initramfs.CommandNames(installerCommands),
		Uinit:    "installer",
		Files:    files,
	}, nil
}

// installerUKI describes the installer UKI around its initramfs.
func installerUKI(cfg config, parts brandParts, kernel []byte, release string, initrd []byte) uki.Image {
	return uki.Image{
		OSRelease: uki.OSRelease(cfg.Product+" installer", "plinth", cfg.Version),
		Cmdline:   cfg.Cmdline,
		Uname:     release,
		Linux:     kernel,
		Initrd:    initrd,
		Splash:    parts.Splash,
	}
}

// runtimeContent is what the runtime initramfs holds besides the
// brand and the release.
type runtimeContent struct {
	Busybox  []byte
	Commands []string          // import paths compiled into Busybox
	Execs    map[string][]byte // the services' own binaries, by path
	Spec     []byte            // productspec.Spec as JSON
	Accounts map[string][]byte // /etc/passwd and /etc/group
	Files    map[string][]byte // plinth.yaml's files:
	Owners   map[string]initramfs.FileMeta
}

// runtimeInitramfs describes the runtime initramfs: the release, the
// brand, the product spec and accounts, the product's files and the
// services' binaries.
func runtimeInitramfs(cfg config, c runtimeContent, parts brandParts) (initramfs.Image, error) {
	files, err := merge(map[string][]byte{releasePath: releaseJSON(cfg), productspec.Path: c.Spec}, c.Accounts, c.Files, parts.Files)
	if err != nil {
		return initramfs.Image{}, err
	}
	return initramfs.Image{
		Busybox:     c.Busybox,
		Commands:    initramfs.CommandNames(c.Commands),
		Uinit:       "appliance",
		Files:       files,
		Executables: c.Execs,
		Owners:      c.Owners,
	}, nil
}

// runtimeUKI describes the runtime UKI around its initramfs.
func runtimeUKI(cfg config, parts brandParts, kernel []byte, release string, initrd []byte) uki.Image {
	return uki.Image{
		OSRelease: uki.OSRelease(cfg.Product, "plinth", cfg.Version),
		Cmdline:   cfg.RuntimeCmdline,
		Uname:     release,
		Linux:     kernel,
		Initrd:    initrd,
		Splash:    parts.Splash,
	}
}
