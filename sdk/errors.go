package sdk

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RejectError rejects an inbound request with an HTTP status. Public is
// what the sender sees (keep it free of detail that helps an attacker); the
// wrapped error is logged by the host.
type RejectError struct {
	Status int
	Public string
	Err    error
}

func (e *RejectError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("rejected with %d: %s: %v", e.Status, e.Public, e.Err)
	}
	return fmt.Sprintf("rejected with %d: %s", e.Status, e.Public)
}

func (e *RejectError) Unwrap() error { return e.Err }

// Reject builds a *RejectError.
func Reject(status int, public string, err error) error {
	return &RejectError{Status: status, Public: public, Err: err}
}

// Unauthorized rejects a request that failed authentication with 401 and a
// fixed public message; detail goes to the host's log only.
func Unauthorized(detail error) error {
	return &RejectError{Status: 401, Public: "unauthorized", Err: detail}
}

// PermanentError marks an error that no retry can fix (a script exception,
// a message the destination will never accept).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that delivery does not retry it. nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err (or anything it wraps) is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// BusyError marks a component that is out of capacity for the moment (a
// transform whose runtimes are all in use): nothing was attempted, so the
// host waits and tries again without spending a delivery attempt and
// without blaming the destination. Built-in components only: over the
// plugin wire it arrives as an ordinary retryable error.
type BusyError struct{ Err error }

func (e *BusyError) Error() string { return e.Err.Error() }
func (e *BusyError) Unwrap() error { return e.Err }

// Busy wraps err as a *BusyError. nil stays nil.
func Busy(err error) error {
	if err == nil {
		return nil
	}
	return &BusyError{Err: err}
}

// IsBusy reports whether err (or anything it wraps) is a *BusyError.
func IsBusy(err error) bool {
	var b *BusyError
	return errors.As(err, &b)
}

// Severity of a Diagnostic.
type Severity int

// Diagnostic severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// Diagnostic is a configuration problem a component found. The host shows
// it at the source location of Attribute in the user's config file, or at
// File:Line:Column when the problem is in a file the attribute names (a
// script).
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	// Attribute is the dotted path of the attribute at fault
	// ("url", "signing.secret"); empty means the whole block.
	Attribute string
	// File, Line and Column (1-based) locate the problem inside a file the
	// component read, or, with File empty, inside the attribute's value
	// (line 1 is the value's first line).
	File   string
	Line   int
	Column int
}

// Diagnostics is a list of problems; it is an error when it has any.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		s := d.Summary
		if d.Attribute != "" {
			s = d.Attribute + ": " + s
		}
		if d.Detail != "" {
			s += ": " + d.Detail
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// AttributeError is a one-diagnostic error about attribute path.
func AttributeError(path, summary, detail string) error {
	return Diagnostics{{Severity: SeverityError, Summary: summary, Detail: detail, Attribute: path}}
}

// RetryAfterError is a retryable error with the earliest time a retry can
// succeed: a rate limit met while rendering (a token exchange answered
// 429 with Retry-After). Delivery waits at least After before the next
// attempt, exactly as for a destination's Retry-After.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter wraps err so that delivery retries it no sooner than after
// (capped at MaxRetryAfter). nil stays nil.
func RetryAfter(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryAfterError{Err: err, After: min(max(after, 0), MaxRetryAfter)}
}

// RetryAfterOf reports the delay err (or anything it wraps) asks for.
func RetryAfterOf(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}
