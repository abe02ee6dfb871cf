package httpretry

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"999999", time.Hour}, // capped
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.v, now, time.Hour); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestTransient(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 403: false, 404: false, 408: true, 429: true, 500: true, 503: true} {
		if Transient(code) != want {
			t.Errorf("Transient(%d) = %v", code, !want)
		}
	}
}

func TestUntrusted(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), true},
		{fmt.Errorf("get: %w", x509.HostnameError{Host: "x"}), true},
		{fmt.Errorf("get: %w", x509.CertificateInvalidError{Reason: x509.Expired}), true},
		{fmt.Errorf("dial: connection refused"), false},
	}
	for _, tt := range tests {
		if got := Untrusted(tt.err); got != tt.want {
			t.Errorf("Untrusted(%v) = %v", tt.err, got)
		}
	}
}
