// Package watchdog drives a Linux watchdog device (the kernel's
// Documentation/watchdog/watchdog-api.rst) and feeds it while the
// appliance is healthy.
//
// A watchdog is a timer, in hardware or in the kernel (softdog), that
// resets the machine unless it is fed within its timeout. Opening the
// device starts it. The appliance opens it at boot, sets the timeout
// (SetTimeout) and runs a Feeder, which feeds the dog only while the
// supervisor says the appliance is healthy. So a machine that hangs (the
// kernel, the supervisor, or a trial boot of an update that never gets
// healthy) is reset when the timeout runs out. A trial boot is started
// with BootNext, which the firmware deletes before it runs the option:
// the reset then boots the committed version, and that is how a bad
// update rolls back without anyone at the machine.
//
// # Stopping
//
// Only a clean, intended stop (the appliance shuts down or reboots on
// purpose) should disarm the watchdog: Disarm writes the magic character
// 'V' and closes the device. Anything else must leave it armed: Close
// without 'V', a crash of the process (the kernel closes the device
// without 'V'), a Feeder that stopped. Two things limit this:
//
//   - Drivers that do not report FlagMagicClose stop on any close, 'V'
//     or not, so for them a crash of the process that holds the device
//     disarms the watchdog. Check Identity and prefer drivers with it.
//   - With the kernel's nowayout setting (CONFIG_WATCHDOG_NOWAYOUT, or
//     the driver's nowayout=1 parameter) nothing disarms the watchdog
//     once it is open: Disarm closes the device, and the machine resets
//     when the timeout runs out unless it has rebooted by then. The
//     device's sysfs directory, /sys/class/watchdog/watchdogN, says
//     whether nowayout is set ("nowayout") and whether the dog still
//     runs ("state").
//
// The device has one opener at a time: a second Open fails with EBUSY.
package watchdog
