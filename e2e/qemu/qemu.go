// Package qemu runs Plinth images in QEMU with OVMF for end-to-end tests:
// it builds the command line for each kind of boot medium, keeps the
// serial console in a log, and waits for Plinth's "@plinth" events.
package qemu

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/event"
)

// OVMF firmware from Debian's ovmf package.
const (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	// OVMFCodeSecureBoot verifies what it starts when Secure Boot is on;
	// it needs SMM (Config.SecureBoot sets the machine up for it).
	OVMFCodeSecureBoot = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
	// OVMFVarsMicrosoft holds Microsoft's KEK and db with Secure Boot on,
	// as most PCs ship; OVMFVars is empty: Setup Mode.
	OVMFVarsMicrosoft = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
)

// KVMEnv, set to 1, makes machines use KVM (GitHub Actions); TCG otherwise.
const KVMEnv = "PLINTH_E2E_KVM"

// MediaKind is how a disk image is attached.
type MediaKind string

// Media kinds that OVMF boots from.
const (
	CD     MediaKind = "cd"     // ATAPI CD on q35's AHCI
	USB    MediaKind = "usb"    // usb-storage on an xHCI controller
	Virtio MediaKind = "virtio" // virtio-blk-pci
	NVMe   MediaKind = "nvme"
	SATA   MediaKind = "sata" // ide-hd on q35's AHCI
)

// Drive is one disk image attached to the machine.
type Drive struct {
	Kind      MediaKind
	File      string
	Serial    string // disk serial (nvme needs one)
	BootIndex int    // 0 = not a boot device
	ReadOnly  bool
	Snapshot  bool // writes go to a temporary overlay, the file stays unchanged
	// SectorSize sets the logical and physical block size the guest sees
	// (virtio, nvme): 4096 makes a 4Kn disk. 0 keeps QEMU's 512.
	SectorSize int
	// FailWrites makes every write to the disk fail with EIO (QEMU's
	// blkdebug); reads work. For testing how failures are handled.
	FailWrites bool
}

// Config describes a machine.
type Config struct {
	Drives   []Drive
	Vars     string // OVMF VARS file to use (and keep); empty = fresh copy in Dir
	Dir      string // where the VARS copy and serial log go
	MemoryMB int
	CPUs     int
	NoReboot bool // exit QEMU when the guest reboots
	// HostForwards maps host loopback ports to guest TCP ports through
	// user-mode networking on a virtio NIC; nil means no network at all.
	HostForwards map[int]int
	// MAC is the NIC's MAC address (QEMU picks one when empty); with
	// MAC or HTTPBoot the machine has a NIC even without forwards.
	MAC string
	// HTTPBoot is a URL the firmware's UEFI HTTP boot loads and starts:
	// QEMU's DHCP server hands it out as the bootfile, and the NIC
	// comes first in the boot order. The NIC has no option ROM, so that
	// OVMF's own HTTP boot does it: QEMU's iPXE ROM loads a UKI too, but
	// the kernel it starts hangs after the stub loads the initrd.
	HTTPBoot string
	QMP      bool // open a QMP socket in Dir (for system_powerdown)
	// SecureBoot runs the Secure Boot firmware (OVMFCodeSecureBoot, SMM).
	SecureBoot bool
	// VarsTemplate is the VARS file a fresh copy is made of when Vars is
	// empty (default OVMFVars).
	VarsTemplate string
	Extra        []string // more QEMU arguments
}

// Machine is a running QEMU.
type Machine struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	LogPath string
	Vars    string
	qmpPath string
	Started time.Time

	mu    sync.Mutex
	lines []string
	// lineTimes are when each of lines was complete, in seconds since
	// Started (LineElapsed).
	lineTimes []float64
	output    []byte // everything the serial console printed
	events    []map[string]any
	// invalid are the event lines that are not as internal/event
	// defines them (CheckEvents).
	invalid []error
	notify  chan struct{}
	exited  chan struct{}
	err     error
}

// Args returns the QEMU command line for cfg (vars is the VARS file).
func Args(cfg Config, vars string) ([]string, error) {
	mem, cpus := cfg.MemoryMB, cfg.CPUs
	if mem == 0 {
		mem = 1024
	}
	if cpus == 0 {
		cpus = 2
	}
	accel := "tcg"
	if os.Getenv(KVMEnv) == "1" {
		accel = "kvm"
	}
	machine, code := "q35", OVMFCode
	if cfg.SecureBoot {
		machine, code = "q35,smm=on", OVMFCodeSecureBoot
	}
	args := []string{
		"-machine", machine, "-accel", accel, "-m", fmt.Sprint(mem), "-smp", fmt.Sprint(cpus),
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars,
		"-display", "none", "-serial", "stdio", "-monitor", "none",
	}
	args = append(args, nicArgs(cfg)...)
	if cfg.SecureBoot {
		// Only SMM code may write the variable store: what makes the
		// authenticated variables (PK, KEK, db) trustworthy.
		args = append(args, "-global", "driver=cfi.pflash01,property=secure,value=on")
	}
	if cfg.QMP {
		args = append(args, "-qmp", "unix:"+filepath.Join(cfg.Dir, "qmp.sock")+",server=on,wait=off")
	}
	if cfg.NoReboot {
		args = append(args, "-no-reboot")
	}
	usb := false
	for i, d := range cfg.Drives {
		if d.Kind == USB && !usb {
			args = append(args, "-device", "qemu-xhci,id=xhci")
			usb = true
		}
		drive, dev, err := driveArgs(i, d)
		if err != nil {
			return nil, err
		}
		args = append(args, "-drive", drive, "-device", dev)
	}
	return append(args, cfg.Extra...), nil
}

// nicArgs are the network arguments: none, or user-mode networking
// with the host forwards in port order, the MAC address and the HTTP
// boot URL the config asks for.
func nicArgs(cfg Config) []string {
	if cfg.HostForwards == nil && cfg.MAC == "" && cfg.HTTPBoot == "" {
		return []string{"-nic", "none"}
	}
	netdev := "user,id=net0"
	ports := make([]int, 0, len(cfg.HostForwards))
	for h := range cfg.HostForwards {
		ports = append(ports, h)
	}
	sort.Ints(ports)
	for _, h := range ports {
		netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", h, cfg.HostForwards[h])
	}
	dev := "virtio-net-pci,netdev=net0"
	if cfg.MAC != "" {
		dev += ",mac=" + cfg.MAC
	}
	if cfg.HTTPBoot != "" {
		netdev += ",bootfile=" + cfg.HTTPBoot
		dev += ",bootindex=0,romfile="
	}
	return []string{"-netdev", netdev, "-device", dev}
}

// driveArgs are the -drive and -device values for drive i (a USB drive
// needs the xHCI controller, which Args adds).
func driveArgs(i int, d Drive) (drive, dev string, err error) {
	id := fmt.Sprintf("drive%d", i)
	drive = fmt.Sprintf("if=none,id=%s,format=raw,file=%s", id, d.File)
	if d.FailWrites {
		drive = fmt.Sprintf("if=none,id=%s,format=raw,file.driver=blkdebug,file.image.filename=%s,"+
			"file.inject-error.0.event=pwritev,file.inject-error.0.errno=5", id, d.File)
	}
	if d.ReadOnly {
		drive += ",readonly=on"
	}
	if d.Snapshot {
		drive += ",snapshot=on"
	}
	switch d.Kind {
	case CD:
		dev = "ide-cd,drive=" + id
	case SATA:
		dev = "ide-hd,drive=" + id
	case Virtio:
		dev = "virtio-blk-pci,drive=" + id
	case NVMe:
		serial := d.Serial
		if serial == "" {
			serial = fmt.Sprintf("PLINTH%04d", i)
		}
		dev = "nvme,serial=" + serial + ",drive=" + id
	case USB:
		dev = "usb-storage,bus=xhci.0,drive=" + id
	default:
		return "", "", fmt.Errorf("qemu: unknown media kind %q", d.Kind)
	}
	if d.Serial != "" && d.Kind != NVMe {
		dev += ",serial=" + d.Serial
	}
	if d.SectorSize > 0 {
		dev += fmt.Sprintf(",logical_block_size=%d,physical_block_size=%d", d.SectorSize, d.SectorSize)
	}
	if d.BootIndex > 0 {
		dev += fmt.Sprintf(",bootindex=%d", d.BootIndex)
	}
	return drive, dev, nil
}

// Start boots a machine. The caller must Stop it.
func Start(cfg Config) (*Machine, error) {
	for _, f := range []string{OVMFCode, OVMFVars} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("qemu: %s missing: apt-get install ovmf", f)
		}
	}
	bin, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, fmt.Errorf("qemu: qemu-system-x86_64 missing: apt-get install qemu-system-x86")
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("qemu: Config.Dir is required")
	}
	vars := cfg.Vars
	if vars == "" {
		// A fresh VARS per machine: OVMF remembers boot entries in it.
		vars = filepath.Join(cfg.Dir, "OVMF_VARS.fd")
		data, err := os.ReadFile(cmp.Or(cfg.VarsTemplate, OVMFVars))
		if err != nil {
			return nil, fmt.Errorf("qemu: %w", err)
		}
		if err := os.WriteFile(vars, data, 0o644); err != nil {
			return nil, fmt.Errorf("qemu: %w", err)
		}
	}
	args, err := Args(cfg, vars)
	if err != nil {
		return nil, err
	}
	m := &Machine{qmpPath: filepath.Join(cfg.Dir, "qmp.sock"), LogPath: filepath.Join(cfg.Dir, "serial.log"), Vars: vars, notify: make(chan struct{}), exited: make(chan struct{})}
	logFile, err := os.Create(m.LogPath)
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(args, " "))
	m.cmd = exec.Command(bin, args...)
	m.cmd.Stderr = logFile
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	m.Started = time.Now()
	if err := m.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("qemu: start: %w", err)
	}
	go m.read(out, logFile)
	return m, nil
}

func (m *Machine) read(out io.Reader, logFile *os.File) {
	buf := make([]byte, 1<<16)
	var partial []byte
	for {
		n, err := out.Read(buf)
		if n > 0 {
			logFile.Write(buf[:n])
			m.addOutput(buf[:n])
			partial = append(partial, buf[:n]...)
			for {
				i := bytes.IndexByte(partial, '\n')
				if i < 0 {
					break
				}
				m.addLine(string(partial[:i+1]))
				partial = partial[i+1:]
			}
		}
		if err != nil {
			break
		}
	}
	if len(partial) > 0 {
		m.addLine(string(partial))
	}
	m.err = m.cmd.Wait()
	logFile.Close()
	close(m.exited)
}

// addOutput keeps the raw console output: firmware menus draw their
// screens with cursor movements and no newlines (WaitOutput).
func (m *Machine) addOutput(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.output = append(m.output, b...)
	close(m.notify)
	m.notify = make(chan struct{})
}

// WaitOutput waits until the raw console output after byte offset from
// holds s, and returns the offset just past it.
func (m *Machine) WaitOutput(ctx context.Context, s string, from int) (int, error) {
	for {
		m.mu.Lock()
		if from <= len(m.output) {
			if i := bytes.Index(m.output[from:], []byte(s)); i >= 0 {
				m.mu.Unlock()
				return from + i + len(s), nil
			}
		}
		notify := m.notify
		m.mu.Unlock()
		select {
		case <-notify:
		case <-m.exited:
			return 0, fmt.Errorf("qemu exited (%v) before the console showed %q", m.err, s)
		case <-ctx.Done():
			return 0, fmt.Errorf("the console did not show %q: %w", s, ctx.Err())
		}
	}
}

// addLine records one line of the serial console, and the event in it
// (checked against its definition), and wakes up the waiters.
func (m *Machine) addLine(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, line)
	m.lineTimes = append(m.lineTimes, time.Since(m.Started).Seconds())
	if ev, ok := event.Parse(strings.TrimRight(line, "\r\n")); ok {
		if err := event.Validate(line); err != nil {
			m.invalid = append(m.invalid, fmt.Errorf("%w\n  in %s", err, strings.TrimSpace(line)))
		}
		ev["_elapsed"] = time.Since(m.Started).Seconds()
		m.events = append(m.events, ev)
	}
	close(m.notify)
	m.notify = make(chan struct{})
}

// LineElapsed returns when the first console line holding s was
// complete, in seconds since QEMU started: the firmware's and the
// kernel's milestones have no events, only lines.
func (m *Machine) LineElapsed(s string) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, l := range m.lines {
		if strings.Contains(l, s) {
			return m.lineTimes[i], true
		}
	}
	return 0, false
}

// Exited is closed when QEMU has exited.
func (m *Machine) Exited() <-chan struct{} { return m.exited }

// WaitEvent waits for the first event called name at or after index from
// (use 0 for any), returning it and its index.
func (m *Machine) WaitEvent(ctx context.Context, name string, from int) (map[string]any, int, error) {
	for {
		m.mu.Lock()
		for i := from; i < len(m.events); i++ {
			if m.events[i]["event"] == name {
				ev := m.events[i]
				m.mu.Unlock()
				return ev, i, nil
			}
		}
		notify := m.notify
		m.mu.Unlock()
		select {
		case <-notify:
		case <-m.exited:
			// Drain what arrived before exit once more.
			m.mu.Lock()
			for i := from; i < len(m.events); i++ {
				if m.events[i]["event"] == name {
					ev := m.events[i]
					m.mu.Unlock()
					return ev, i, nil
				}
			}
			m.mu.Unlock()
			return nil, 0, fmt.Errorf("qemu exited (%v) before event %q", m.err, name)
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("no event %q: %w", name, ctx.Err())
		}
	}
}

// Events returns the events seen so far.
func (m *Machine) Events() []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.events...)
}

// CheckEvents reports every event line seen so far whose event is
// unknown or whose fields are not those docs/events.md documents (see
// event.Validate). Lines that hold no whole event (console noise cut
// into one) are not events and are not checked.
func (m *Machine) CheckEvents() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.invalid) == 0 {
		return nil
	}
	return fmt.Errorf("qemu: %d event lines not as documented in docs/events.md:\n%w", len(m.invalid), errors.Join(m.invalid...))
}

// Tail returns the last n lines of the serial console.
func (m *Machine) Tail(n int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	start := len(m.lines) - n
	if start < 0 {
		start = 0
	}
	return strings.Join(m.lines[start:], "")
}

// SendKeys types s on the serial console.
func (m *Machine) SendKeys(s string) error {
	_, err := io.WriteString(m.stdin, s)
	return err
}

// Wait waits for QEMU to exit on its own.
func (m *Machine) Wait(ctx context.Context) error {
	select {
	case <-m.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("qemu still running: %w", ctx.Err())
	}
}

// Stop kills QEMU if it still runs.
func (m *Machine) Stop() {
	select {
	case <-m.exited:
		return
	default:
	}
	m.cmd.Process.Kill()
	<-m.exited
}
