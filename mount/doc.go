// Package mount implements the MOUNT protocol, version 3 (RFC 1813
// appendix I; program 100005): the wire types and typed stubs generated
// from mount.x, and [Server], which serves MNT, DUMP, UMNT, UMNTALL and
// EXPORT over the export.Table an NFS server serves, applying each
// export's client list and authentication flavors.
package mount

//go:generate go run ../xdr/xdrgen -tests mount.x
