package power

import (
	"errors"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// DetachTerminal gives up the controlling terminal that u-root's init
// gave the supervisor, so that nothing typed on the console (Ctrl-C,
// Ctrl-\) and no hangup turns into a signal: signals then come only from
// kill(2), and SIGHUP can mean "reboot". Detaching makes the kernel send
// SIGHUP to us (we lead the session), so SIGHUP is left ignored: call
// signal.Notify for Signals() afterwards. No terminal is not an error.
func DetachTerminal() error {
	signal.Ignore(unix.SIGHUP)
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil // ENXIO: no controlling terminal
	}
	defer f.Close()
	if err := unix.IoctlSetInt(int(f.Fd()), unix.TIOCNOTTY, 0); err != nil && !errors.Is(err, unix.ENOTTY) {
		return fmt.Errorf("power: give up the controlling terminal: %w", err)
	}
	return nil
}
