package main

import (
	"fmt"
	"strings"
)

// Level says what a finding means.
type Level int

// Levels of findings, printed as the prefix of their line.
const (
	// LevelOK: a service that is needed is there and answers.
	LevelOK Level = iota
	// LevelNote: worth knowing, not a problem for NFSv3 locking.
	LevelNote
	// LevelMissing: something needed is not registered or does not
	// answer.
	LevelMissing
)

// String returns the prefix of a finding's line.
func (l Level) String() string {
	switch l {
	case LevelOK:
		return "ok"
	case LevelNote:
		return "note"
	}
	return "missing"
}

// Finding is one result of the locking checks, printed as one line.
type Finding struct {
	Level Level
	// Fatal means NFSv3 locking cannot work because of it.
	Fatal bool
	// Text is the line after its prefix: what, where, and its effect.
	Text string
	// Reason is the short form the summary line gives for a fatal
	// finding; findings that another's Reason covers have none.
	Reason string
}

// Line returns the finding as it is printed: "missing: ...".
func (f Finding) Line() string { return f.Level.String() + ": " + f.Text }

// service is a program version the locking checks look for.
type service struct {
	// what names it in findings: "lock manager (nlockmgr, program
	// 100021 v4)"; short in the summary: "the lock manager".
	what, short string
	prog, vers  uint32
	// fatal: locking cannot work without it.
	fatal bool
	// effect says what its absence breaks.
	effect string
}

// What a server needs for NFSv3 and its locks.
var (
	serverNFS = service{
		what: "NFS server (nfs, program 100003 v3)", short: "the NFS server",
		prog: progNFS, vers: 3,
		effect: "NFSv3 clients cannot use this server",
	}
	serverMount = service{
		what: "mount daemon (mountd, program 100005 v3)", short: "the mount daemon",
		prog: progMount, vers: 3,
		effect: "NFSv3 clients cannot mount from this server",
	}
	serverNLM = service{
		what: "lock manager (nlockmgr, program 100021 v4)", short: "the lock manager",
		prog: progNLM, vers: 4, fatal: true,
		effect: "NFSv3 clients cannot lock files (fcntl and flock hang or fail)",
	}
	serverNSM = service{
		what: "status monitor (rpc.statd, program 100024)", short: "the status monitor",
		prog: progNSM, vers: 1, fatal: true,
		effect: "locks cannot be recovered after a reboot and some servers refuse locks",
	}
	clientNSM = service{
		what: "status monitor (rpc.statd, program 100024)", short: "this client's status monitor",
		prog: progNSM, vers: 1,
		effect: "the server cannot tell this client that it rebooted, so this client's locks are not reclaimed, and Linux clients refuse to lock",
	}
)

// oldNLMVersions are the lock manager versions of NFSv2 clients, noted
// but not needed for NFSv3.
var oldNLMVersions = []uint32{1, 3}

// checkServer runs the checks on the server's port mapper report.
func checkServer(pm *PortmapperReport) []Finding {
	if pm.Err != nil {
		return []Finding{unreachable(pm, "", true, "nothing else on "+pm.Host+" can be checked")}
	}
	var out []Finding
	for _, s := range []service{serverNFS, serverMount, serverNLM} {
		out = append(out, checkService(pm, pm.Host, s)...)
	}
	for _, v := range oldNLMVersions {
		out = append(out, noteOldNLM(pm, v))
	}
	return append(out, checkService(pm, pm.Host, serverNSM)...)
}

// checkClient runs the checks on this client's port mapper report.
func checkClient(pm *PortmapperReport) []Finding {
	if pm.Err != nil {
		return []Finding{unreachable(pm, " (this client)", false, "this client's status monitor cannot be checked")}
	}
	return checkService(pm, pm.Host+" (this client)", clientNSM)
}

// unreachable is the finding for a port mapper that could not be asked;
// role follows its address ("" or " (this client)").
func unreachable(pm *PortmapperReport, role string, fatal bool, effect string) Finding {
	return Finding{
		Level: LevelMissing, Fatal: fatal,
		Text: fmt.Sprintf("port mapper (rpcbind, program 100000) at %s%s does not answer: %s: %s",
			pm.Addr, role, describeError(pm.Err, pm.timeout), effect),
		Reason: "the port mapper at " + pm.Addr + role + " does not answer",
	}
}

// checkService finds a service's registrations in the port mapper's
// address family and reports whether it is registered and answers over
// each transport it is registered on.
func checkService(pm *PortmapperReport, where string, s service) []Finding {
	regs := pm.Find(s.prog, s.vers)
	if len(regs) == 0 {
		return []Finding{{
			Level: LevelMissing, Fatal: s.fatal,
			Text:   fmt.Sprintf("%s on %s is not registered: %s", s.what, where, s.effect),
			Reason: s.short + " on " + where + " is not registered",
		}}
	}
	var out []Finding
	var answered, silent []string
	first := -1 // the first finding of a silent transport
	for _, r := range regs {
		switch {
		case r.Answered():
			answered = append(answered, r.Netid)
		case r.Target == "":
			out = append(out, Finding{
				Level: LevelNote,
				Text:  fmt.Sprintf("%s on %s is registered over %s at %s but was not called: %s", s.what, where, r.Netid, r.Uaddr, r.Skipped),
			})
		default:
			if first < 0 {
				first = len(out)
			}
			silent = append(silent, r.Netid)
			out = append(out, Finding{
				Level: LevelMissing, Fatal: s.fatal,
				Text: fmt.Sprintf("%s on %s does not answer over %s: %s: %s", s.what, where, r.Netid, r.Describe(), s.effect),
			})
		}
	}
	if first >= 0 && s.fatal {
		// The summary names every silent transport once.
		out[first].Reason = s.short + " on " + where + " does not answer over " + strings.Join(silent, ", ")
	}
	if len(answered) > 0 {
		ok := Finding{Level: LevelOK, Text: fmt.Sprintf("%s on %s answers over %s", s.what, where, strings.Join(answered, ", "))}
		out = append([]Finding{ok}, out...)
	}
	return out
}

// noteOldNLM notes whether a lock manager version that only NFSv2
// clients use is there.
func noteOldNLM(pm *PortmapperReport, vers uint32) Finding {
	what := fmt.Sprintf("lock manager (nlockmgr, program 100021 v%d)", vers)
	const why = "NFSv2 clients use it, NFSv3 clients use v4"
	regs := pm.Find(progNLM, vers)
	if len(regs) == 0 {
		return Finding{Level: LevelNote, Text: fmt.Sprintf("%s on %s is not registered (%s)", what, pm.Host, why)}
	}
	var answered, silent []string
	for _, r := range regs {
		if r.Answered() {
			answered = append(answered, r.Netid)
		} else {
			silent = append(silent, r.Netid+" ("+r.Describe()+")")
		}
	}
	text := what + " on " + pm.Host
	if len(answered) > 0 {
		text += " answers over " + strings.Join(answered, ", ")
		if len(silent) > 0 {
			text += " but"
		}
	}
	if len(silent) > 0 {
		text += " does not answer over " + strings.Join(silent, ", ")
	}
	return Finding{Level: LevelNote, Text: text + " (" + why + ")"}
}
