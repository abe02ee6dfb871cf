// Package power turns power requests into a clean shutdown: it watches
// the ACPI power button (an evdev device with KEY_POWER), maps signals to
// actions, and runs the shutdown sequence: stop the services (SIGTERM,
// then SIGKILL after their timeout), end stray processes, sync, unmount
// the data partition and the ESP, then reboot(2) with POWER_OFF or
// RESTART.
//
// How to ask for each action (the target has no shell, so a signal to the
// supervisor, the power button, or a payload API that sends such a signal
// are the only ways in):
//
//	power off: ACPI power button (QEMU: system_powerdown), SIGTERM, SIGINT, SIGPWR
//	reboot:    SIGHUP
//
// SIGHUP is safe as a reboot request only because the supervisor gives up
// its controlling terminal at start (DetachTerminal), so a console hangup
// or a Ctrl-C / Ctrl-\ typed on the console never reaches it.
package power
