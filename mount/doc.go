// Package mount implements the MOUNT protocol, version 3 (RFC 1813
// appendix I; program 100005): the wire types and typed stubs generated
// from mount.x, and [Server], which serves MNT, DUMP, UMNT, UMNTALL and
// EXPORT over the export.Table an NFS server serves, applying the policy
// each export gives the caller (whether it may mount, which flavors MNT
// offers it) and listing each export's clients in EXPORT.
package mount

//go:generate go run ../xdr/xdrgen -tests mount.x
