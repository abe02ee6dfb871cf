package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gptdev"
)

// The output imitates sgdisk 1.0.9 closely, so that people and scripts
// that know sgdisk can read it.

// ieee formats sectors*sectorSize bytes the way sgdisk's BytesToIeee does,
// single-precision float included, so that sizes print identically.
func ieee(sectors uint64, sectorSize int) string {
	v := float32(float64(sectors) * float64(sectorSize))
	units := " KMGTPEZ"
	i := 0
	for v > 1024 && i < len(units)-1 {
		v = float32(float64(v) / 1024)
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f bytes", v)
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

func printTable(w io.Writer, d *gptdev.Disk, t *gpt.Table) {
	fmt.Fprintf(w, "Disk %s: %d sectors, %s\n", d.Path(), t.Sectors, ieee(t.Sectors, t.SectorSize))
	if d.IsBlockDevice() {
		fmt.Fprintf(w, "Sector size (logical/physical): %d/%d bytes\n", t.SectorSize, d.PhysicalSectorSize())
	} else {
		fmt.Fprintf(w, "Sector size (logical): %d bytes\n", t.SectorSize)
	}
	arr := (uint64(t.Entries)*128 + uint64(t.SectorSize) - 1) / uint64(t.SectorSize)
	free, _, _ := freeSummary(t)
	fmt.Fprintf(w, "Disk identifier (GUID): %s\n", t.DiskGUID.Upper())
	fmt.Fprintf(w, "Partition table holds up to %d entries\n", t.Entries)
	fmt.Fprintf(w, "Main partition table begins at sector 2 and ends at sector %d\n", 1+arr)
	fmt.Fprintf(w, "First usable sector is %d, last usable sector is %d\n", t.FirstUsable, t.LastUsable)
	fmt.Fprintf(w, "Partitions will be aligned on %d-sector boundaries\n", t.Alignment)
	fmt.Fprintf(w, "Total free space is %d sectors (%s)\n", free, ieee(free, t.SectorSize))
	fmt.Fprintf(w, "\nNumber  Start (sector)    End (sector)  Size       Code  Name\n")
	for _, p := range t.Partitions {
		size := ieee(p.Sectors(), t.SectorSize)
		code, _ := gpt.TypeCode(p.Type)
		name := p.Name
		if r := []rune(name); len(r) > 22 {
			name = string(r[:19]) + "..."
		}
		fmt.Fprintf(w, "%4d  %14d  %14d   %s  %s%s  %s\n", p.Number, p.FirstLBA, p.LastLBA,
			size, strings.Repeat(" ", max(0, 10-len(size))), code, name)
	}
}

func printInfo(w io.Writer, t *gpt.Table, p *gpt.Partition) {
	_, typeName := gpt.TypeCode(p.Type)
	fmt.Fprintf(w, "Partition GUID code: %s (%s)\n", p.Type.Upper(), typeName)
	fmt.Fprintf(w, "Partition unique GUID: %s\n", p.GUID.Upper())
	fmt.Fprintf(w, "First sector: %d (at %s)\n", p.FirstLBA, ieee(p.FirstLBA, t.SectorSize))
	fmt.Fprintf(w, "Last sector: %d (at %s)\n", p.LastLBA, ieee(p.LastLBA, t.SectorSize))
	fmt.Fprintf(w, "Partition size: %d sectors (%s)\n", p.Sectors(), ieee(p.Sectors(), t.SectorSize))
	fmt.Fprintf(w, "Attribute flags: %016X\n", p.Attributes)
	fmt.Fprintf(w, "Partition name: '%s'\n", p.Name)
}

// freeSummary returns the free sectors, the number of free runs and the
// largest run.
func freeSummary(t *gpt.Table) (total uint64, runs int, largest uint64) {
	for _, e := range t.Free() {
		n := e.Last - e.First + 1
		total, runs, largest = total+n, runs+1, max(largest, n)
	}
	return total, runs, largest
}

func printVerify(w io.Writer, t *gpt.Table, problems error) {
	for _, p := range t.Partitions {
		if a := max(t.Alignment, 1); (p.LastLBA+1)%a != 0 {
			fmt.Fprintf(w, "\nCaution: Partition %d doesn't end on a %d-sector boundary. This may\n"+
				"result in problems with some disk encryption tools.\n", p.Number, a)
		}
	}
	if problems != nil {
		var list []error
		if j, ok := problems.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		} else {
			list = []error{problems}
		}
		for _, e := range list {
			fmt.Fprintf(w, "\nProblem: %s\n", strings.TrimPrefix(e.Error(), "gpt: "))
		}
		fmt.Fprintf(w, "\nIdentified %d problems!\n", len(list))
		return
	}
	total, runs, largest := freeSummary(t)
	fmt.Fprintf(w, "\nNo problems found. %d free sectors (%s) available in %d\n"+
		"segments, the largest of which is %d (%s) in size.\n", total, ieee(total, t.SectorSize), runs, largest, ieee(largest, t.SectorSize))
}
