// Package httpretry holds what Plinth's HTTP clients that retry agree on
// (the installer's answers and reports, the appliance's updates): how long
// a server's Retry-After asks for, which failures a retry can mend, and
// the error for an HTTP status. Each client keeps its own loop and policy
// (package backoff); this is only the reading of the server's answer.
package httpretry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// StatusError is an HTTP status the client does not take as success.
type StatusError struct {
	StatusCode int
	Status     string // as the server sent it, e.g. "403 Forbidden"
}

func (e *StatusError) Error() string { return "server answered " + e.Status }

// Transient reports whether a status says "try again later": 408, 429
// and 5xx (RFC 9110 §15.5.9, RFC 6585 §4, §15.6).
func Transient(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// RetryAfter reads a Retry-After header (RFC 9110 §10.2.3: seconds, or an
// HTTP date) as a wait from now, at most limit; 0 when the header is
// absent, malformed or in the past.
func RetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	var d time.Duration
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(s, 0), int64(limit/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), limit)
}

// Untrusted reports whether err is a TLS certificate the client does not
// trust: waiting does not mend it, a person must (the CA bundle, the
// server's certificate, the clock).
func Untrusted(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}
