package nfs4

// opFlags say what the COMPOUND loop checks before an operation runs.
type opFlags uint8

const (
	// needFH: the operation works on the current filehandle
	// (NFS4ERR_NOFILEHANDLE without one).
	needFH opFlags = 1 << iota
	// first: in 4.1 the operation must come first (SEQUENCE) or alone
	// (EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION,
	// BIND_CONN_TO_SESSION, DESTROY_CLIENTID).
	first
	// sessionless: in 4.1 the operation may begin a COMPOUND that has no
	// SEQUENCE.
	sessionless
	// only40: the operation is 4.0's only; 4.1 answers NFS4ERR_NOTSUPP.
	only40
	// grace: the operation is refused during the grace period unless it
	// reclaims (OPEN, LOCK, LOCKT, REMOVE, RENAME, SETATTR of size): it
	// runs inside the grace period's gate (Enter and Leave).
	grace
	// failBody: a failed result still carries a body (SETATTR's
	// attrsset bitmap), which the loop adds when the operation did not.
	failBody
)

// opEntry is an operation's row in the op table.
type opEntry struct {
	// run decodes the operation's arguments from the COMPOUND's decoder
	// (NFS4ERR_BADXDR if they do not decode), does the operation and
	// encodes the body of its result, if any, after the status the loop
	// writes; it returns the status.
	run func(c *compound) Nfsstat4
	// minMinor is the first minor version with the operation: it is
	// OP_ILLEGAL below it.
	minMinor uint32
	flags    opFlags
}

// opTable holds the operations by number. The stateful ones are served
// through a StateServer (package state's) and answer NFS4ERR_NOTSUPP
// without one; READ, WRITE and SETATTR of size check their stateid
// through any StateManager. Directory delegations, DELEGPURGE (no
// delegation is reclaimed after a restart), pNFS, OPENATTR and SET_SSV
// are not served (notSupported).
var opTable = [...]opEntry{
	OP_ACCESS:              {run: opAccess, flags: needFH},
	OP_CLOSE:               {run: opClose, flags: needFH},
	OP_COMMIT:              {run: opCommit, flags: needFH},
	OP_CREATE:              {run: opCreate, flags: needFH},
	OP_DELEGPURGE:          {run: notSupported},
	OP_DELEGRETURN:         {run: opDelegReturn, flags: needFH},
	OP_GETATTR:             {run: opGetattr, flags: needFH},
	OP_GETFH:               {run: opGetfh, flags: needFH},
	OP_LINK:                {run: opLink, flags: needFH},
	OP_LOCK:                {run: opLock, flags: needFH | grace},
	OP_LOCKT:               {run: opLockt, flags: needFH | grace},
	OP_LOCKU:               {run: opLocku, flags: needFH},
	OP_LOOKUP:              {run: opLookup, flags: needFH},
	OP_LOOKUPP:             {run: opLookupp, flags: needFH},
	OP_NVERIFY:             {run: opNverify, flags: needFH},
	OP_OPEN:                {run: opOpen, flags: needFH | grace},
	OP_OPENATTR:            {run: notSupported, flags: needFH},
	OP_OPEN_CONFIRM:        {run: opOpenConfirm, flags: needFH | only40},
	OP_OPEN_DOWNGRADE:      {run: opOpenDowngrade, flags: needFH},
	OP_PUTFH:               {run: opPutfh},
	OP_PUTPUBFH:            {run: opPutrootfh},
	OP_PUTROOTFH:           {run: opPutrootfh},
	OP_READ:                {run: opRead, flags: needFH},
	OP_READDIR:             {run: opReaddir, flags: needFH},
	OP_READLINK:            {run: opReadlink, flags: needFH},
	OP_REMOVE:              {run: opRemove, flags: needFH | grace},
	OP_RENAME:              {run: opRename, flags: needFH | grace},
	OP_RENEW:               {run: opRenew, flags: only40},
	OP_RESTOREFH:           {run: opRestorefh},
	OP_SAVEFH:              {run: opSavefh, flags: needFH},
	OP_SECINFO:             {run: opSecinfo, flags: needFH},
	OP_SETATTR:             {run: opSetattr, flags: needFH | grace | failBody},
	OP_SETCLIENTID:         {run: opSetclientid, flags: only40},
	OP_SETCLIENTID_CONFIRM: {run: opSetclientidConfirm, flags: only40},
	OP_VERIFY:              {run: opVerify, flags: needFH},
	OP_WRITE:               {run: opWrite, flags: needFH},
	OP_RELEASE_LOCKOWNER:   {run: opReleaseLockowner, flags: only40},

	OP_BACKCHANNEL_CTL:      {run: opBackchannelCtl, minMinor: 1},
	OP_BIND_CONN_TO_SESSION: {run: opBindConnToSession, minMinor: 1, flags: first | sessionless},
	OP_EXCHANGE_ID:          {run: opExchangeID, minMinor: 1, flags: first | sessionless},
	OP_CREATE_SESSION:       {run: opCreateSession, minMinor: 1, flags: first | sessionless},
	OP_DESTROY_SESSION:      {run: opDestroySession, minMinor: 1, flags: first | sessionless},
	OP_FREE_STATEID:         {run: opFreeStateid, minMinor: 1},
	OP_GET_DIR_DELEGATION:   {run: notSupported, minMinor: 1, flags: needFH},
	OP_GETDEVICEINFO:        {run: notSupported, minMinor: 1},
	OP_GETDEVICELIST:        {run: notSupported, minMinor: 1, flags: needFH},
	OP_LAYOUTCOMMIT:         {run: notSupported, minMinor: 1, flags: needFH},
	OP_LAYOUTGET:            {run: notSupported, minMinor: 1, flags: needFH},
	OP_LAYOUTRETURN:         {run: notSupported, minMinor: 1, flags: needFH},
	OP_SECINFO_NO_NAME:      {run: opSecinfoNoName, minMinor: 1, flags: needFH},
	OP_SEQUENCE:             {run: opSequence, minMinor: 1, flags: first},
	OP_SET_SSV:              {run: notSupported, minMinor: 1},
	OP_TEST_STATEID:         {run: opTestStateid, minMinor: 1},
	OP_WANT_DELEGATION:      {run: opWantDelegation, minMinor: 1, flags: needFH},
	OP_DESTROY_CLIENTID:     {run: opDestroyClientID, minMinor: 1, flags: first | sessionless},
	OP_RECLAIM_COMPLETE:     {run: opReclaimComplete, minMinor: 1},

	// 4.2 (RFC 7862, and RFC 8276's extended attributes), each through
	// an optional vfs interface (see ops_sparse.go, ops_copy.go and
	// ops_xattr.go). Copies from other servers, pNFS and WRITE_SAME are
	// not served.
	OP_ALLOCATE:       {run: opAllocate, minMinor: 2, flags: needFH},
	OP_COPY:           {run: opCopy, minMinor: 2, flags: needFH},
	OP_COPY_NOTIFY:    {run: notSupported, minMinor: 2, flags: needFH},
	OP_DEALLOCATE:     {run: opDeallocate, minMinor: 2, flags: needFH},
	OP_IO_ADVISE:      {run: opIOAdvise, minMinor: 2, flags: needFH},
	OP_LAYOUTERROR:    {run: notSupported, minMinor: 2, flags: needFH},
	OP_LAYOUTSTATS:    {run: notSupported, minMinor: 2, flags: needFH},
	OP_OFFLOAD_CANCEL: {run: opOffloadCancel, minMinor: 2, flags: needFH},
	OP_OFFLOAD_STATUS: {run: opOffloadStatus, minMinor: 2, flags: needFH},
	OP_READ_PLUS:      {run: opReadPlus, minMinor: 2, flags: needFH},
	OP_SEEK:           {run: opSeek, minMinor: 2, flags: needFH},
	OP_WRITE_SAME:     {run: notSupported, minMinor: 2, flags: needFH},
	OP_CLONE:          {run: opClone, minMinor: 2, flags: needFH},
	OP_GETXATTR:       {run: opGetxattr, minMinor: 2, flags: needFH},
	OP_SETXATTR:       {run: opSetxattr, minMinor: 2, flags: needFH},
	OP_LISTXATTRS:     {run: opListxattrs, minMinor: 2, flags: needFH},
	OP_REMOVEXATTR:    {run: opRemovexattr, minMinor: 2, flags: needFH},
}
