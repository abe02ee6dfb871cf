// Package supervise runs the appliance's payload services: it starts each
// as a child process in its own session, as its own user with only the
// capabilities it was given, once the services it starts after are up;
// restarts it as its restart policy says, with an exponential backoff
// (reset once it has run for a stable period); follows its health
// (internal/health); writes its output to a size-rotated log file and,
// prefixed with its name, to the console; and stops it with its stop
// signal, then SIGKILL, dependents before the services they need.
//
// Reaping: the supervisor is a child subreaper (SetSubreaper), so orphans
// of its services are re-parented to it and must be reaped by it. A single
// Reaper waits for any child (wait4(-1)) and hands each exit to whoever
// started that process; exits of processes it did not start (orphans) are
// simply collected. Because wait4(-1) takes every child's status, all
// children of the process must be started through the Reaper (never
// os/exec), health check commands included, and only one Reaper may run
// per process.
//
// Privileges: a service that is not root runs with its uid, gid and
// supplementary groups, and its listed capabilities as ambient ones
// (effective, permitted, inheritable and ambient: exactly those); its
// bounding set holds only those too and no_new_privs is set, so neither
// a setuid binary nor file capabilities can give it more (see StartAs).
package supervise
