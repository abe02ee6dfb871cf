package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/product"
)

// productFlags are the flags that describe the product. plinth.yaml has
// a field for each; the flag, when given on the command line, wins.
var productFlags = []string{"product", "version", "brand", "cmdline", "runtime-cmdline", "payload", "answers"}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// applyProduct reads -config and fills in what the command line left
// open. Relative paths in plinth.yaml are relative to its directory,
// which is also the vendor's Go module.
func applyProduct(cfg *config, raw *rawFlags, set map[string]bool) error {
	if raw.configFile == "" {
		return nil
	}
	file, err := filepath.Abs(raw.configFile)
	if err != nil {
		return fmt.Errorf("-config: %w", err)
	}
	p, err := product.Load(file)
	if err != nil {
		return fmt.Errorf("-config %s: %w", raw.configFile, err)
	}
	cfg.ProductFile, cfg.ProductDir = p, filepath.Dir(file)
	if !set["product"] {
		cfg.Product = p.Name
	}
	if !set["version"] && !p.Version.FromGit {
		cfg.Version = p.Version.Text
	}
	if !set["brand"] && p.Brand != "" {
		raw.brandDir = filepath.Join(cfg.ProductDir, filepath.FromSlash(p.Brand))
	}
	if !set["cmdline"] {
		cfg.Cmdline = joinCmdline(cfg.Cmdline, p.Cmdline.Installer)
	}
	if !set["runtime-cmdline"] {
		cfg.RuntimeCmdline = joinCmdline(cfg.RuntimeCmdline, p.Cmdline.Runtime)
	}
	if !set["answers"] && p.Installer.Answers != nil {
		cfg.Answers = p.Installer.AnswersYAML
	}
	cfg.Network = p.Network.Config()
	cfg.MinMemory, cfg.MinDisk = p.Installer.MinMemory, p.Installer.MinDisk
	return nil
}

func joinCmdline(base, extra string) string {
	if extra == "" {
		return base
	}
	if base == "" {
		return extra
	}
	return base + " " + extra
}
