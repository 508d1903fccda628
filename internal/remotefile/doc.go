// Package remotefile holds what the file-level clients of NFSv3 (package
// nfs3) and NFSv4 (package nfs4) do alike: pipelining a large transfer
// over several calls in flight, converting mode bits to and from
// fs.FileMode, and the read-only io/fs view of a remote export.
package remotefile
