//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/provision"
)

var (
	benchBoots = flag.Int("boots", 5, "measured boots of each image in BenchmarkBoot (after one warm-up boot each)")
	// The e2e machines keep QEMU's default CPU, which has no RDRAND, so
	// that they cover a machine whose kernel must gather entropy itself;
	// the benchmark measures what every server CPU since 2012 has.
	benchCPU = flag.String("bench-cpu", "qemu64,+rdrand", "QEMU CPU model for BenchmarkBoot's machines (-cpu); "+
		"qemu64 alone has no RDRAND, and the kernel then seeds its random number generator from timing jitter, over a second under TCG")
)

// benchImage is one disk BenchmarkBoot boots: its name, the event that
// ends a boot, and the UKI it starts.
type benchImage struct {
	name, event string
	ukiSize     int
	disk        string
	vars        string // the VARS file, kept from the warm-up boot on
	// shutDown powers the machine off through ACPI after each boot, so
	// that the next boots after a clean shutdown, as an appliance does;
	// killed, it would replay the data partition's journal every time.
	shutDown bool
}

// bootSample is one boot, in seconds since QEMU started (the phases
// are durations). The kernel's own clock splits what follows the
// firmware: uptime at the event, and when PID 1 began.
type bootSample struct {
	total     float64 // power-on to the event
	firmware  float64 // power-on to "BdsDxe: loading": firmware up, boot option chosen
	load      float64 // "loading" to "starting": the firmware reads the UKI
	stub      float64 // "starting" to the kernel's clock: systemd-stub, kernel decompression
	kernel    float64 // the kernel's clock to PID 1: kernel init, initramfs unpacked
	userspace float64 // PID 1 to the event: init and what it starts
}

// BenchmarkBoot boots, in one run, the installer UKI and a UKI of the
// same kernel whose init only prints ready, and the runtime disk and a
// UKI of the runtime kernel whose init only prints runtime-ready: one
// warm-up boot each, then -boots rounds with every image once, one VM at
// a time. It prints the median of each phase and the ratios of the
// medians to ready. Run it with make bench, or:
//
//	go test -tags e2e -run '^$' -bench Boot -benchtime 1x ./e2e/
func BenchmarkBoot(b *testing.B) {
	dir, err := filepath.Abs(filepath.Join(*artifacts, "BenchmarkBoot"))
	if err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	images := benchImages(b, dir)
	samples := map[string][]bootSample{}
	for round := 0; round <= *benchBoots; round++ {
		for _, img := range images {
			s := benchBootOnce(b, dir, img)
			if round > 0 {
				samples[img.name] = append(samples[img.name], s)
			}
		}
	}
	printBootTable(b, images, samples)
}

// benchImages makes the four disks: the installer UKI and its baseline
// as FAT disks, a copy of mkiso's runtime disk image and the runtime
// baseline on a disk laid out as that one.
func benchImages(b *testing.B, dir string) []*benchImage {
	installer, err := os.ReadFile("../out/plinth-installer.efi")
	if err != nil {
		b.Fatalf("%v: run make iso first", err)
	}
	runtimeUKI, err := os.ReadFile("../out/plinth-runtime.efi")
	if err != nil {
		b.Fatalf("%v: run make iso first", err)
	}
	runtimeDisk := filepath.Join(dir, "runtime.img")
	if out, err := exec.Command("cp", "--sparse=always", "../out/plinth-disk.img", runtimeDisk).CombinedOutput(); err != nil {
		b.Fatalf("copy the runtime disk: %v\n%s", err, out)
	}
	trivialBin := buildTrivialInit(b, dir)
	fat := func(name string, efi []byte) *benchImage {
		return &benchImage{name: name, ukiSize: len(efi), disk: fatImage(b, dir, name+".img", 64<<20, map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi})}
	}
	inst, instBase := fat("installer", installer), fat("installer-baseline", trivialUKI(b, trivialBin, "installer", "ready"))
	inst.event, instBase.event = "ready", "ready"
	rtBaseUKI := trivialUKI(b, trivialBin, "runtime", "runtime-ready")
	rtBase := &benchImage{name: "runtime-baseline", event: "runtime-ready", ukiSize: len(rtBaseUKI),
		disk: runtimeBaselineDisk(b, filepath.Join(dir, "runtime-baseline.img"), runtimeDisk, rtBaseUKI)}
	rt := &benchImage{name: "runtime", event: "runtime-ready", ukiSize: len(runtimeUKI), disk: runtimeDisk, shutDown: true}
	return []*benchImage{inst, instBase, rt, rtBase}
}

// runtimeBaselineDisk writes at path a disk of the runtime disk's size
// and layout (GPT, ESP, data partition), by the code that writes the
// runtime disk, with uki wherever that has the runtime UKI. The
// firmware then finds, reads and starts the baseline as it does the
// runtime: on a superfloppy FAT image it skipped the partitions and
// its firmware phase was 0.19 to 0.45 s shorter in every run measured,
// which is not the runtime's doing.
func runtimeBaselineDisk(b *testing.B, path, runtimeDisk string, uki []byte) string {
	st, err := os.Stat(runtimeDisk)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	_, err = provision.WriteImage(f, provision.Image{Size: st.Size(), Seed: []byte("plinth runtime baseline"), RuntimeUKI: uki, ModTime: time.Unix(0, 0),
		Base: appconfig.Config{Product: "Plinth baseline", Version: "baseline", Network: appconfig.Network{Mode: appconfig.ModeDHCP}}})
	if err != nil {
		b.Fatalf("runtime baseline disk: %v", err)
	}
	return path
}

// buildTrivialInit compiles e2e/trivialinit, static.
func buildTrivialInit(b *testing.B, dir string) []byte {
	out := filepath.Join(dir, "trivialinit")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./trivialinit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build trivialinit: %v\n%s", err, msg)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return bin
}

// trivialUKI is a UKI of kind's kernel (the same cached build mkiso
// used) whose only program is trivialinit, printing event.
func trivialUKI(b *testing.B, bin []byte, kind, event string) []byte {
	initrd, err := initramfs.Image{Busybox: bin, Commands: []string{"init"}, Files: map[string][]byte{"/event": []byte(event)}}.Build()
	if err != nil {
		b.Fatal(err)
	}
	return kernelUKI(b, kind, "Plinth baseline", initrd)
}

// benchBootOnce boots img until its event and measures the phases.
func benchBootOnce(b *testing.B, dir string, img *benchImage) bootSample {
	mdir := filepath.Join(dir, img.name)
	os.MkdirAll(mdir, 0o755)
	// A NIC on QEMU's user network, as an appliance has: runtime-ready
	// waits a while for an address, which DHCP there gives at once.
	cfg := qemu.Config{Dir: mdir, Vars: img.vars, MAC: "52:54:00:12:34:56", QMP: img.shutDown,
		Drives: []qemu.Drive{{Kind: qemu.Virtio, File: img.disk, BootIndex: 1}}}
	if *benchCPU != "" {
		cfg.Extra = []string{"-cpu", *benchCPU}
	}
	m, err := qemu.Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Stop()
	img.vars = m.Vars
	ctx, cancel := context.WithTimeout(context.Background(), *bootLimit)
	defer cancel()
	ev, _, err := m.WaitEvent(ctx, img.event, 0)
	if err != nil {
		b.Fatalf("%s: %v\n%s", img.name, err, m.Tail(30))
	}
	loading, ok1 := m.LineElapsed("BdsDxe: loading")
	starting, ok2 := m.LineElapsed("BdsDxe: starting")
	if !ok1 || !ok2 {
		b.Fatalf("%s: no BdsDxe lines on the console", img.name)
	}
	if img.shutDown {
		powerOff(b, m)
	}
	total, uptime, initStarted := num(ev["_elapsed"]), num(ev["uptime"]), num(ev["initStarted"])
	return bootSample{total: total, firmware: loading, load: starting - loading, stub: total - starting - uptime,
		kernel: initStarted, userspace: uptime - initStarted}
}

func num(v any) float64 { f, _ := v.(float64); return f }

// printBootTable prints the medians and reports the two ratios.
func printBootTable(b *testing.B, images []*benchImage, samples map[string][]bootSample) {
	med := map[string]bootSample{}
	for _, img := range images {
		med[img.name] = medianSample(samples[img.name])
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "image\tUKI MiB\tfirmware\tload UKI\tstub+decompress\tkernel\tinit to event\ttotal\t\n")
	for _, img := range images {
		s := med[img.name]
		fmt.Fprintf(w, "%s\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", img.name, float64(img.ukiSize)/(1<<20), s.firmware, s.load, s.stub, s.kernel, s.userspace, s.total)
	}
	w.Flush()
	inst := pairedRatio(samples["installer"], samples["installer-baseline"])
	rt := pairedRatio(samples["runtime"], samples["runtime-baseline"])
	fmt.Printf("boot to the event, median of %d boots each, seconds (TCG: %v, CPU: %s):\n%s"+
		"installer/baseline %.3f×, runtime/baseline %.3f× (median of the rounds' ratios; ratios of the medians above %.3f× and %.3f×)\n",
		*benchBoots, os.Getenv(qemu.KVMEnv) != "1", *benchCPU, sb.String(), inst, rt,
		med["installer"].total/med["installer-baseline"].total, med["runtime"].total/med["runtime-baseline"].total)
	b.ReportMetric(inst, "installer-ratio")
	b.ReportMetric(rt, "runtime-ratio")
	b.ReportMetric(med["installer"].total, "installer-s")
	b.ReportMetric(med["runtime"].total, "runtime-s")
}

// pairedRatio is the median, over the rounds, of a boot's total over
// its baseline's in the same round. The host's speed drifts during a
// run by more than the difference measured (the firmware phase, the same
// code in every image, moved by up to 0.8 s between images): two boots
// of one round, a minute apart at most, share most of that drift.
func pairedRatio(image, baseline []bootSample) float64 {
	var r []float64
	for i := range min(len(image), len(baseline)) {
		r = append(r, image[i].total/baseline[i].total)
	}
	return median(r)
}

// median is the middle of v once sorted (the upper one of an even
// count), 0 for none; v is left as it is.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	return s[len(s)/2]
}

// medianSample is the median of each phase on its own.
func medianSample(s []bootSample) bootSample {
	pick := func(f func(bootSample) float64) float64 {
		v := make([]float64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		return median(v)
	}
	return bootSample{
		total:     pick(func(x bootSample) float64 { return x.total }),
		firmware:  pick(func(x bootSample) float64 { return x.firmware }),
		load:      pick(func(x bootSample) float64 { return x.load }),
		stub:      pick(func(x bootSample) float64 { return x.stub }),
		kernel:    pick(func(x bootSample) float64 { return x.kernel }),
		userspace: pick(func(x bootSample) float64 { return x.userspace }),
	}
}
