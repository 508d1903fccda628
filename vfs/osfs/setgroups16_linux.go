//go:build linux && (386 || arm)

package osfs

import "golang.org/x/sys/unix"

// sysSetgroups is setgroups with 32-bit group ids: on 386 and arm,
// SYS_SETGROUPS takes 16-bit ones.
const sysSetgroups = unix.SYS_SETGROUPS32
