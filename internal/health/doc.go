// Package health decides whether an appliance service does its job.
//
// A Check is one of: an HTTP GET of http://127.0.0.1:<port><path> that
// must answer a given status, a TCP connection to 127.0.0.1:<port>, or
// a command that must exit 0 (run as the service's user, through the
// supervisor's Reaper: the supervisor collects every child's exit with
// wait4(-1), so this package never starts processes itself).
//
// A Monitor follows one service from start to stop and keeps its
// health (servicestate.Health):
//
//   - starting: started (or waiting to be) and not yet found healthy.
//     Checks run every second (every Interval if that is shorter) until
//     the first passes while the start period lasts; failures within
//     the start period do not count unless the service was healthy
//     before in this run.
//   - healthy: a check passed, and fewer than Retries checks failed in
//     a row since. Without a check: the process has run for MinUp.
//   - unhealthy: Retries checks failed in a row, or the process is not
//     running (it crashed and waits for its restart, or it ended in
//     failure). A service that ended as its restart policy allows (exit
//     status 0 with restart on-failure or never) is healthy.
//
// Every change of health is a "service-health" event; the supervisor
// combines the services' health into the appliance's.
package health
