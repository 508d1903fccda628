package rpc

// CallAuth is an Auth for a single call whose credential and verifier are
// given as they are, whatever their flavor: what a proxy forwards on
// behalf of each of its callers through [Client.CallAs]. The verifier of
// the reply is copied into ReplyVerf, for the proxy to hand back.
type CallAuth struct {
	// Cred and Verf are sent with the call.
	Cred, Verf OpaqueAuth
	// ReplyVerf is the verifier of the accepted reply, once it came.
	ReplyVerf OpaqueAuth
}

// Credential implements Auth.
func (a *CallAuth) Credential() (cred, verf OpaqueAuth) { return a.Cred, a.Verf }

// Verify implements Auth: it keeps a copy of the reply's verifier.
func (a *CallAuth) Verify(verf OpaqueAuth) error {
	a.ReplyVerf.Flavor = verf.Flavor
	a.ReplyVerf.Body = append(a.ReplyVerf.Body[:0], verf.Body...)
	return nil
}

// Refresh implements Auth: a credential given as it is has nothing to
// fall back to, so a denial is final.
func (a *CallAuth) Refresh(AuthStat) bool { return false }
