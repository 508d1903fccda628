//go:build linux && !386 && !arm

package osfs

import "golang.org/x/sys/unix"

// sysSetgroups is setgroups with 32-bit group ids.
const sysSetgroups = unix.SYS_SETGROUPS
