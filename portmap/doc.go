// Package portmap implements the port mapper protocols of RFC 1833:
// portmap version 2 and rpcbind versions 3 and 4 (program 100000).
//
// It holds the wire types and typed stubs generated from portmap.x, and on
// top of them:
//
//   - [Client]: every operation of the three versions against any port
//     mapper (the system's rpcbind, or an embedded one), falling back from
//     version 4 to 3 to 2 as the server requires, with Go values in and out;
//   - [Server]: an embeddable port mapper serving all three versions from one
//     registry, with rpcbind's rules for owners and for keeping the version 2
//     and version 3/4 views consistent, and with CALLIT/INDIRECT forwarding;
//   - [Announce]: how a server registers its programs with a port mapper and
//     withdraws exactly those registrations on shutdown;
//   - universal addresses ([ParseUaddr], [FormatUaddr], [UaddrToAddr],
//     [AddrToUaddr]) and netids.
package portmap

//go:generate go run ../xdr/xdrgen -tests portmap.x
