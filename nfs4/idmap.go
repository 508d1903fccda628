package nfs4

import "strconv"

// IDMapper converts user and group ids to and from the strings of the
// owner and owner_group attributes.
type IDMapper interface {
	// AppendUser appends the owner string of uid to dst.
	AppendUser(dst []byte, uid uint32) []byte
	// AppendGroup appends the owner_group string of gid to dst.
	AppendGroup(dst []byte, gid uint32) []byte
	// User returns the uid an owner string names, false if none.
	User(name []byte) (uint32, bool)
	// Group returns the gid an owner_group string names, false if none.
	Group(name []byte) (uint32, bool)
}

// NumericIDs is the IDMapper that writes ids as decimal numbers ("1000"),
// as Linux clients accept with idmapping turned off
// (nfs4_disable_idmapping), and reads only such numbers.
type NumericIDs struct{}

// AppendUser appends uid in decimal.
func (NumericIDs) AppendUser(dst []byte, uid uint32) []byte {
	return strconv.AppendUint(dst, uint64(uid), 10)
}

// AppendGroup appends gid in decimal.
func (NumericIDs) AppendGroup(dst []byte, gid uint32) []byte {
	return strconv.AppendUint(dst, uint64(gid), 10)
}

// User parses a decimal uid.
func (NumericIDs) User(name []byte) (uint32, bool) { return parseID(name) }

// Group parses a decimal gid.
func (NumericIDs) Group(name []byte) (uint32, bool) { return parseID(name) }

// parseID parses a decimal id of at most 32 bits, digits only.
func parseID(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}
