package vfs

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPermitted(t *testing.T) {
	file := &Attr{Type: TypeRegular, Mode: 0o640, UID: 1000, GID: 100}
	script := &Attr{Type: TypeRegular, Mode: 0o754, UID: 1000, GID: 100}
	dir := &Attr{Type: TypeDirectory, Mode: 0o700, UID: 1000, GID: 100}
	owner := &Cred{UID: 1000, GID: 1}
	member := &Cred{UID: 2000, GID: 5, Groups: []uint32{100}}
	other := &Cred{UID: 3000, GID: 5}
	root := &Root
	cases := []struct {
		name string
		cred *Cred
		attr *Attr
		want Access
		ok   bool
	}{
		{"owner reads", owner, file, MayRead, true},
		{"owner writes", owner, file, MayWrite, true},
		{"owner cannot exec 640", owner, file, MayExec, false},
		{"group reads via supplementary group", member, file, MayRead, true},
		{"group cannot write", member, file, MayWrite, false},
		{"other cannot read", other, file, MayRead, false},
		{"other reads and execs 754? no: other has r only", other, script, MayRead, true},
		{"other cannot exec 754", other, script, MayExec, false},
		{"group execs 754", member, script, MayRead | MayExec, true},
		{"owner bits apply even if group bits are wider", &Cred{UID: 1000, GID: 100}, &Attr{Mode: 0o070, UID: 1000, GID: 100}, MayRead, false},
		{"root reads anything", root, &Attr{Type: TypeRegular, Mode: 0}, MayRead | MayWrite, true},
		{"root cannot exec a file without x bits", root, file, MayExec, false},
		{"root execs if anyone may", root, script, MayExec, true},
		{"root searches any directory", root, &Attr{Type: TypeDirectory, Mode: 0}, MayExec, true},
		{"other cannot search 700 dir", other, dir, MayExec, false},
	}
	for _, c := range cases {
		require.Equal(t, c.ok, Permitted(c.cred, c.attr, c.want), c.name)
	}
	require.True(t, Owns(owner, file))
	require.True(t, Owns(root, file))
	require.False(t, Owns(member, file))
}

func TestGrantedAndMayOverride(t *testing.T) {
	file := &Attr{Type: TypeRegular, Mode: 0o640, UID: 1000, GID: 100}
	prog := &Attr{Type: TypeRegular, Mode: 0o711, UID: 1000, GID: 100}
	dir := &Attr{Type: TypeDirectory, Mode: 0o755, UID: 1000, GID: 100}
	owner := &Cred{UID: 1000, GID: 1}
	member := &Cred{UID: 2000, GID: 100}
	other := &Cred{UID: 3000, GID: 5}
	cases := []struct {
		name     string
		cred     *Cred
		attr     *Attr
		readOnly bool
		granted  uint32
		read     bool // MayOverride for a read
		write    bool // MayOverride for a write
	}{
		{"owner of a file", owner, file, false, AccessRead | AccessModify | AccessExtend, true, true},
		{"owner, read-only export", owner, file, true, AccessRead, true, true},
		{"member of the group", member, file, false, AccessRead, false, false},
		{"other", other, file, false, 0, false, false},
		{"other runs a program", other, prog, false, AccessExecute, true, false},
		{"owner of a directory", owner, dir, false, AccessRead | AccessModify | AccessExtend | AccessDelete | AccessLookup, false, false},
		{"other in a directory", other, dir, false, AccessRead | AccessLookup, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.granted, Granted(tc.cred, tc.attr, tc.readOnly))
			require.Equal(t, tc.read, MayOverride(tc.cred, tc.attr, true))
			require.Equal(t, tc.write, MayOverride(tc.cred, tc.attr, false))
		})
	}
}
