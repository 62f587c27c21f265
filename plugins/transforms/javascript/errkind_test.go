package javascript

import (
	"context"
	"errors"
	"testing"
)

// TestErrorsSayTheirKind: the host's metrics tell a script that ran out of
// time (Timeout()) and one that returned no message (InvalidOutput())
// from a thrown exception (neither), through the Permanent wrapper.
func TestErrorsSayTheirKind(t *testing.T) {
	tests := []struct {
		name, code       string
		timeout, invalid bool
	}{
		{"exception", `function transform(e) { throw new Error("boom"); }`, false, false},
		{"timeout", `function transform(e) { while (true) {} }`, true, false},
		{"invalid_output", `function transform(e) { return function() {}; }`, false, true},
		{"split_of_split", `function transform(e) { return split([split([1])]); }`, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newT(t, tc.code, map[string]any{"timeout": "50ms"})
			_, err := tr.Transform(context.Background(), jsonMsg(`{}`))
			if err == nil {
				t.Fatal("no error")
			}
			var to interface{ Timeout() bool }
			var io interface{ InvalidOutput() bool }
			if got := errors.As(err, &to) && to.Timeout(); got != tc.timeout {
				t.Errorf("Timeout() = %v, want %v (err: %v)", got, tc.timeout, err)
			}
			if got := errors.As(err, &io) && io.InvalidOutput(); got != tc.invalid {
				t.Errorf("InvalidOutput() = %v, want %v (err: %v)", got, tc.invalid, err)
			}
		})
	}
}
