package nfs4

import (
	"context"
	"errors"
	"sync"

	"github.com/nfskit/nfskit/rpc"
)

// flavorAuth is the Client's credential, which it switches when an
// export refuses the flavor (NFS4ERR_WRONGSEC) and SECINFO offers
// another.
type flavorAuth struct {
	mu  sync.Mutex
	cur rpc.Auth
	sys rpc.Auth // the AUTH_SYS credential to switch to, if there is one
}

func (a *flavorAuth) get() rpc.Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

func (a *flavorAuth) set(auth rpc.Auth) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cur = auth
	if cred, _ := auth.Credential(); cred.Flavor == rpc.AUTH_SYS || cred.Flavor == rpc.AUTH_SHORT {
		a.sys = auth
	}
}

func (a *flavorAuth) sysAuth() rpc.Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sys
}

// Credential implements rpc.Auth.
func (a *flavorAuth) Credential() (cred, verf rpc.OpaqueAuth) { return a.get().Credential() }

// Verify implements rpc.Auth.
func (a *flavorAuth) Verify(verf rpc.OpaqueAuth) error { return a.get().Verify(verf) }

// Refresh implements rpc.Auth.
func (a *flavorAuth) Refresh(stat rpc.AuthStat) bool { return a.get().Refresh(stat) }

// errNoFlavor is a SECINFO answer with neither AUTH_SYS nor AUTH_NONE.
var errNoFlavor = errors.New("nfs4: the server offers neither AUTH_SYS nor AUTH_NONE")

// negotiateFlavor asks which flavors name in directory dir (the pseudo
// root when nil; the directory itself when name is empty) allows, and
// switches to the first of AUTH_SYS and AUTH_NONE the server lists. In
// 4.1 and later it asks as RFC 5661 prefers, with SECINFO_NO_NAME of
// the object LOOKUP reached, and with SECINFO of the name if the server
// refuses that; in 4.0 with SECINFO.
func (c *Client) negotiateFlavor(ctx context.Context, dir NfsFh4, name string) error {
	ask := func(noName bool) (SECINFO4resok, error) {
		at := 1
		res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
			comp := c.compound("secinfo")
			if dir == nil {
				comp.PutRootFH()
			} else {
				comp.PutFH(dir)
			}
			switch {
			case noName && name != "":
				at = 2
				return comp.Lookup(name).SecInfoNoName(SECINFO_STYLE4_CURRENT_FH), nil
			case noName:
				return comp.SecInfoNoName(SECINFO_STYLE4_CURRENT_FH), nil
			}
			return comp.SecInfo(name), nil
		}})
		if err != nil {
			return nil, err
		}
		return res.SecInfo(at)
	}
	noName := c.lease.minor > 0
	list, err := ask(noName)
	if err != nil && noName && name != "" && isStatus(err) {
		list, err = ask(false)
	}
	if err != nil {
		return err
	}
	for _, s := range list {
		switch rpc.AuthFlavor(s.Flavor) {
		case rpc.AUTH_SYS:
			a := c.auth.sysAuth()
			if a == nil {
				if a, err = rpc.CurrentAuthSys(); err != nil {
					return err
				}
			}
			c.auth.set(a)
			return nil
		case rpc.AUTH_NONE:
			c.auth.set(rpc.AuthNone{})
			return nil
		}
	}
	return errNoFlavor
}
