package conformance

import (
	"context"
	"fmt"

	"github.com/nfskit/nfskit/nsm"
)

// nsmChecks hold the status monitor to X/Open XNFS chapter 11 as far as
// a remote caller can observe it.
var nsmChecks = []*Check{
	{ID: "NSM-STAT", Area: "NSM", Ref: "XNFS §11.3, Linux behaviour",
		Title: "SM_STAT of localhost succeeds with an odd state number (the host is up), the same twice",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNSM, "NSM"); err != nil {
				return err
			}
			var states []int32
			for range 2 {
				res, err := e.sm.Stat(ctx, &nsm.SmName{MonName: "localhost"})
				if err != nil {
					return err
				}
				if res.ResStat != nsm.StatSucc {
					return fmt.Errorf("SM_STAT: %s", res.ResStat.String())
				}
				states = append(states, res.State)
			}
			if states[0]%2 == 0 || states[0] != states[1] {
				return fmt.Errorf("states %v", states)
			}
			return passf("state %d", states[0])
		}},
	{ID: "NSM-MON", Area: "NSM", Ref: "XNFS §11.3",
		Title: "SM_MON of a host succeeds with the monitor's state, and SM_UNMON gives it back",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNSM, "NSM"); err != nil {
				return err
			}
			id := nsm.MonId{MonName: "127.0.0.2", MyId: e.monitorID()}
			st, err := e.sm.Stat(ctx, &nsm.SmName{MonName: "localhost"})
			if err != nil {
				return err
			}
			res, err := e.sm.Mon(ctx, &nsm.Mon{MonId: id, Priv: [16]byte{'n', 'f', 's', 'k', 'i', 't'}})
			if err != nil {
				return err
			}
			if res.ResStat != nsm.StatSucc || res.State != st.State {
				return fmt.Errorf("SM_MON: %s state %d, want StatSucc state %d", res.ResStat.String(), res.State, st.State)
			}
			un, err := e.sm.Unmon(ctx, &id)
			if err != nil {
				return err
			}
			if un.State != st.State {
				return fmt.Errorf("SM_UNMON: state %d, want %d", un.State, st.State)
			}
			return nil
		}},
	{ID: "NSM-UNMON-ALL", Area: "NSM", Ref: "XNFS §11.3",
		Title: "SM_UNMON_ALL answers with the monitor's state",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNSM, "NSM"); err != nil {
				return err
			}
			st, err := e.sm.Stat(ctx, &nsm.SmName{MonName: "localhost"})
			if err != nil {
				return err
			}
			id := e.monitorID()
			res, err := e.sm.UnmonAll(ctx, &id)
			if err != nil {
				return err
			}
			if res.State != st.State {
				return fmt.Errorf("SM_UNMON_ALL: state %d, want %d", res.State, st.State)
			}
			return nil
		}},
	{ID: "NSM-NOTIFY", Area: "NSM", Ref: "XNFS §11.3",
		Title: "SM_NOTIFY of a host nobody monitors is accepted",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNSM, "NSM"); err != nil {
				return err
			}
			return e.sm.Notify(ctx, &nsm.StatChge{MonName: "nfskit-conformance-peer", State: 3})
		}},
}

// monitorID is the my_id of the checks' monitor requests: the lock
// manager's status callback on this host (NLM version 4, procedure 16),
// the only one Linux's rpc.statd accepts. The checks monitor 127.0.0.2,
// which nobody notifies, and stop at once.
func (e *env) monitorID() nsm.MyId {
	return nsm.MyId{MyName: "127.0.0.1", MyProg: progNLM, MyVers: 4, MyProc: 16}
}
