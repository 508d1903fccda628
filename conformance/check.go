package conformance

import (
	"context"
	"fmt"
)

// Check is one conformance check.
type Check struct {
	// ID names the check: AREA-WHAT, stable across releases.
	ID string
	// Area is the protocol: RPC, MOUNT, NFSv3, NLM or NSM.
	Area string
	// Ref is what the check holds the server to: an RFC and its section,
	// or "Linux behaviour" where the RFC leaves a choice.
	Ref string
	// Title says in a few words what is checked.
	Title string
	run   func(ctx context.Context, e *env, c *Check) error
}

// Checks returns every check, in the order Run runs them.
func Checks() []*Check {
	var all []*Check
	for _, area := range [][]*Check{rpcChecks, mountChecks, nfs3Checks, nlmChecks, nsmChecks} {
		all = append(all, area...)
	}
	return all
}

// Run runs the checks against the server cfg names (every check when
// only is empty, else those whose IDs it lists) and reports what each
// found. It fails only when there is nothing to check: MOUNT cannot be
// reached, the export cannot be mounted, or no directory can be made in
// it.
func Run(ctx context.Context, cfg Config, only ...string) (*Report, error) {
	cfg = cfg.withDefaults()
	if cfg.Server == "" || cfg.Export == "" {
		return nil, fmt.Errorf("conformance: a server and an export are needed")
	}
	sctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	e, err := setup(sctx, cfg)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Timeout)
		defer cancel()
		e.close(cctx)
	}()
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	rep := &Report{Server: fmt.Sprintf("%s:%s", cfg.Server, cfg.Export)}
	for _, c := range Checks() {
		if len(want) > 0 && !want[c.ID] {
			continue
		}
		rep.Results = append(rep.Results, e.run(ctx, c))
	}
	return rep, nil
}

// run runs one check within the Config's timeout, turning a panic into
// a failure.
func (e *env) run(ctx context.Context, c *Check) (res Result) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			res = Result{Check: c, Status: Fail, Detail: fmt.Sprintf("panic: %v", p)}
		}
	}()
	return result(c, c.run(ctx, e, c))
}
