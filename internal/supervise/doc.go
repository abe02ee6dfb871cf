// Package supervise runs the appliance's payload services: it starts each
// as a child process in its own session, restarts it when it exits with
// an exponential backoff (reset once it has run for a stable period),
// writes its output to a size-rotated log file and, prefixed with its
// name, to the console, and stops it with SIGTERM then SIGKILL.
//
// Reaping: the supervisor is a child subreaper (SetSubreaper), so orphans
// of its services are re-parented to it and must be reaped by it. A single
// Reaper waits for any child (wait4(-1)) and hands each exit to whoever
// started that process; exits of processes it did not start (orphans) are
// simply collected. Because wait4(-1) takes every child's status, all
// children of the process must be started through the Reaper (never
// os/exec), and only one Reaper may run per process.
package supervise
