package vfs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckName(t *testing.T) {
	cases := []struct {
		name string
		want error
	}{
		{"a", nil},
		{"...", nil},
		{".hidden", nil},
		{strings.Repeat("x", 255), nil},
		{"", ErrInvalid},
		{".", ErrInvalid},
		{"..", ErrInvalid},
		{"a/b", ErrInvalid},
		{"/", ErrInvalid},
		{"a\x00b", ErrInvalid},
		{strings.Repeat("x", 256), ErrNameTooLong},
	}
	for _, c := range cases {
		err := CheckName(c.name, 255)
		if c.want == nil {
			require.NoError(t, err, "%q", c.name)
		} else {
			require.ErrorIs(t, err, c.want, "%q", c.name)
		}
	}
}
