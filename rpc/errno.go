package rpc

import "syscall"

// errTooManyFiles is what Accept returns when the process is out of file
// descriptors: a reason to wait, not to stop serving.
var errTooManyFiles = syscall.EMFILE
