package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindAndMessage(t *testing.T) {
	var f Fields
	f.Add("email", "Enter an email address")
	tests := []struct {
		err  error
		kind Kind
		msg  string
	}{
		{New(NotFound, "No %s", "thing"), NotFound, "No thing"},
		{fmt.Errorf("wrapped: %w", New(Conflict, "Clash")), Conflict, "Clash"},
		{f, Invalid, "email: Enter an email address"},
		{errors.New("disk on fire"), Internal, ""},
		{&Error{Kind: Invalid, Fields: f}, Invalid, "email: Enter an email address"},
	}
	for _, tc := range tests {
		if KindOf(tc.err) != tc.kind || Message(tc.err) != tc.msg {
			t.Errorf("%v: kind %d message %q; want %d %q", tc.err, KindOf(tc.err), Message(tc.err), tc.kind, tc.msg)
		}
	}
	if (Fields{}).Err() != nil || len(FieldsOf(&Error{Kind: Invalid, Fields: f})) != 1 {
		t.Error("Fields helpers are wrong")
	}
}
