package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/netanswers"
	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/product"
)

// resolveNetInstall takes the URL templates and the CA of installs over
// the network from plinth.yaml's installer: section, lets -answers-url,
// -report-url and -answers-ca win, and checks them before anything is
// written. plinth.yaml's own values were checked when it was parsed.
func resolveNetInstall(cfg *config, raw rawFlags) error {
	var in product.Installer
	if cfg.ProductFile != nil {
		in = cfg.ProductFile.Installer
	}
	c := netinstall.Config{AnswersURL: in.AnswersURL, ReportURL: in.ReportURL}
	for _, f := range []struct {
		flag, value string
		dst         *string
	}{{"-answers-url", raw.answersURL, &c.AnswersURL}, {"-report-url", raw.reportURL, &c.ReportURL}} {
		if f.value == "" {
			continue
		}
		if err := netanswers.CheckTemplate(f.value); err != nil {
			return fmt.Errorf("%s: %w", f.flag, err)
		}
		*f.dst = strings.TrimSpace(f.value)
	}
	cfg.NetInstall = c
	ca, err := readNetInstallCA(cfg, raw.answersCA, in.CA)
	cfg.NetInstallCA = ca
	return err
}

// readNetInstallCA reads -answers-ca (relative to the working
// directory), else plinth.yaml's installer: ca: (relative to its
// directory), and checks that it holds CA certificates and nothing else.
func readNetInstallCA(cfg *config, flagPath, filePath string) ([]byte, error) {
	path, source := flagPath, "-answers-ca"
	if path == "" && filePath != "" {
		path, source = filepath.Join(cfg.ProductDir, filepath.FromSlash(filePath)), product.FileName+" installer.ca"
	}
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = netinstall.CheckCA(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", source, path, err)
	}
	return b, nil
}

// netInstallFiles are the installer initramfs's files of installs over
// the network: the config and the CA certificates, each when there is
// one.
func netInstallFiles(cfg config) (map[string][]byte, error) {
	files := map[string][]byte{}
	if !cfg.NetInstall.IsZero() {
		b, err := netinstall.Marshal(cfg.NetInstall)
		if err != nil {
			return nil, fmt.Errorf("mkiso: %w", err)
		}
		files[netinstall.Path] = b
	}
	if cfg.NetInstallCA != nil {
		files[netinstall.CAPath] = cfg.NetInstallCA
	}
	return files, nil
}

// netInstallWords says in the build log what the initramfs carries for
// installs over the network.
func netInstallWords(cfg config) string {
	var w []string
	for _, x := range []struct {
		set  bool
		word string
	}{{cfg.NetInstall.AnswersURL != "", "answers URL"}, {cfg.NetInstall.ReportURL != "", "report URL"}, {cfg.NetInstallCA != nil, "answers CA"}} {
		if x.set {
			w = append(w, ", "+x.word)
		}
	}
	return strings.Join(w, "")
}
