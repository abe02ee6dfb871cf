package qemu

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// QMP runs one QMP command (e.g. "system_powerdown") on a machine
// started with Config.QMP.
func (m *Machine) QMP(command string) error { return m.QMPArgs(command, nil) }

// Screendump writes what the machine's display shows to path as PNG.
func (m *Machine) Screendump(path string) error {
	return m.QMPArgs("screendump", map[string]any{"filename": path, "format": "png"})
}

// QMPArgs runs one QMP command with arguments.
func (m *Machine) QMPArgs(command string, args map[string]any) error {
	conn, err := net.DialTimeout("unix", m.qmpPath, 5*time.Second)
	if err != nil {
		return fmt.Errorf("qmp: connect: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := r.ReadBytes('\n'); err != nil { // greeting
		return fmt.Errorf("qmp: greeting: %w", err)
	}
	for _, cmd := range []string{"qmp_capabilities", command} {
		req := map[string]any{"execute": cmd}
		if cmd == command && args != nil {
			req["arguments"] = args
		}
		if err := json.NewEncoder(conn).Encode(req); err != nil {
			return fmt.Errorf("qmp: send %s: %w", cmd, err)
		}
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return fmt.Errorf("qmp: %s: %w", cmd, err)
			}
			var reply map[string]any
			if json.Unmarshal(line, &reply) != nil {
				continue
			}
			if e, ok := reply["error"]; ok {
				return fmt.Errorf("qmp: %s: %v", cmd, e)
			}
			if _, ok := reply["return"]; ok {
				break
			}
		}
	}
	return nil
}
