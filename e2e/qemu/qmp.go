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
func (m *Machine) QMP(command string) error {
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
		if err := json.NewEncoder(conn).Encode(map[string]string{"execute": cmd}); err != nil {
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
