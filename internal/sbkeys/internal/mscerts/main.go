// Command mscerts writes the Microsoft UEFI certificates that an OVMF VARS
// image holds (the KEK and db entries enrolled under Microsoft's owner
// GUID) as DER files into a directory, one subdirectory per variable, with
// a README.md that records where they came from. `go generate
// ./internal/sbkeys` runs it on Debian's OVMF_VARS_4M.ms.fd; the sbkeys
// tests check the committed files against that file again.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/ovmfvars"
)

// DefaultVars is the VARS image of Debian's ovmf package with Microsoft's
// keys enrolled.
const DefaultVars = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

func main() {
	vars := flag.String("vars", DefaultVars, "OVMF VARS image with Microsoft's keys enrolled")
	out := flag.String("out", "microsoft", "directory to write KEK/*.der, db/*.der and README.md into")
	flag.Parse()
	if err := run(*vars, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mscerts:", err)
		os.Exit(1)
	}
}

func run(varsPath, outDir string) error {
	image, err := os.ReadFile(varsPath)
	if err != nil {
		return err
	}
	files, err := ovmfvars.MicrosoftCertificates(image)
	if err != nil {
		return fmt.Errorf("%s: %w", varsPath, err)
	}
	src, err := describeSource(varsPath, image)
	if err != nil {
		return err
	}
	if err := writeCerts(outDir, files); err != nil {
		return err
	}
	readme, err := renderREADME(src, files)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "README.md"), readme, 0o644)
}

// source is what the README records about the VARS image.
type source struct {
	Path, Package, Version, SHA256 string
}

// describeSource asks dpkg which package ships the image, and its version.
func describeSource(path string, image []byte) (source, error) {
	sum := sha256.Sum256(image)
	src := source{Path: path, SHA256: hex.EncodeToString(sum[:])}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return src, err
	}
	out, err := exec.Command("dpkg-query", "-S", real).Output()
	if err != nil {
		return src, fmt.Errorf("dpkg-query -S %s: %w (the README must name the package the file came from)", real, err)
	}
	pkg, _, ok := strings.Cut(strings.TrimSpace(string(out)), ": ")
	if !ok || strings.Contains(pkg, ",") {
		return src, fmt.Errorf("dpkg-query -S %s: cannot tell one package from %q", real, out)
	}
	src.Package, _, _ = strings.Cut(pkg, ":") // drop an architecture qualifier
	v, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", src.Package).Output()
	if err != nil {
		return src, fmt.Errorf("dpkg-query -W %s: %w", src.Package, err)
	}
	src.Version = string(bytes.TrimSpace(v))
	return src, nil
}

// writeCerts replaces the .der files of outDir/KEK and outDir/db, so that
// a certificate the image no longer holds does not stay behind.
func writeCerts(outDir string, files []ovmfvars.CertFile) error {
	for _, v := range []string{"KEK", "db"} {
		dir := filepath.Join(outDir, v)
		old, err := filepath.Glob(filepath.Join(dir, "*.der"))
		if err != nil {
			return err
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	for _, f := range files {
		p := filepath.Join(outDir, f.Var, f.Name)
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("two certificates of %s are both named %s", f.Var, f.Name)
		}
		if err := os.WriteFile(p, f.DER, 0o644); err != nil {
			return err
		}
	}
	return nil
}
