// Package sysinfo reads the CPU and memory summary the installer shows.
package sysinfo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Info is a machine summary.
type Info struct {
	CPUModel    string `json:"cpuModel"`
	CPUs        int    `json:"cpus"`
	MemoryBytes int64  `json:"memoryBytes"`
	ProductUUID string `json:"productUUID,omitempty"`
	Vendor      string `json:"vendor,omitempty"`
	Product     string `json:"product,omitempty"`
}

// Read gathers Info from procRoot ("/proc") and sysRoot ("/sys").
func Read(procRoot, sysRoot string) (Info, error) {
	var in Info
	f, err := os.Open(filepath.Join(procRoot, "cpuinfo"))
	if err != nil {
		return in, fmt.Errorf("sysinfo: %w", err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			in.CPUs++
		case "model name":
			if in.CPUModel == "" {
				in.CPUModel = strings.TrimSpace(v)
			}
		}
	}
	f.Close()
	mem, err := os.ReadFile(filepath.Join(procRoot, "meminfo"))
	if err != nil {
		return in, fmt.Errorf("sysinfo: %w", err)
	}
	for _, line := range strings.Split(string(mem), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return in, fmt.Errorf("sysinfo: MemTotal %q: %w", rest, err)
			}
			in.MemoryBytes = kb * 1024
		}
	}
	dmi := filepath.Join(sysRoot, "class", "dmi", "id")
	in.ProductUUID = readTrim(filepath.Join(dmi, "product_uuid"))
	in.Vendor = readTrim(filepath.Join(dmi, "sys_vendor"))
	in.Product = readTrim(filepath.Join(dmi, "product_name"))
	return in, nil
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}
