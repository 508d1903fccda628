package nfs3

// ChangeWaits reports whether a change the server makes to the file the
// wire handle fh names would wait now: a guarded SETATTR holds the
// file's stripe, or waits for it and so holds off new changes.
func (s *Server) ChangeWaits(fh []byte) bool {
	_, h, err := s.exports.Resolve(fh)
	if err != nil {
		return false
	}
	st := &s.objs.stripes[s.objs.index(h)]
	if st.TryRLock() {
		st.RUnlock()
		return false
	}
	return true
}

// DisableReaddirplus makes c list directories with READDIR, as it does
// once a server refuses READDIRPLUS.
func (c *Client) DisableReaddirplus() { c.noPlus.Store(true) }
