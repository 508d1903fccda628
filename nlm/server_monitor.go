package nlm

import (
	"context"
	"errors"
	"strings"

	"github.com/nfskit/nfskit/nsm"
)

// StatusMonitor watches client hosts for reboots on a Server's behalf:
// a Network Status Monitor (program 100024), over RPC (RPCMonitor) or in
// the same process (LocalMonitor). What else a monitor can do is found
// by type assertion: MonitoredHostLister, Unmonitorer, CallbackBinder.
type StatusMonitor interface {
	// Monitor asks to be told when host restarts: the monitor is to
	// call procedure id.MyProc of program id.MyProg version id.MyVers on
	// id.MyName back with an nsm.Status body carrying priv (or deliver
	// it in process, see CallbackBinder). An error is a *MonitorError.
	// ctx bounds the request.
	Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error
}

// MonitoredHostLister is a StatusMonitor that can list the hosts it
// watches for id: after a restart, the hosts that may have held locks
// before it, which the Server's grace period waits for (and forgets in
// time if they do not come back, see ServerOptions.HostIdle).
type MonitoredHostLister interface {
	// MonitoredHosts returns the hosts watched for the monitor id.
	// ctx bounds the request.
	MonitoredHosts(ctx context.Context, id nsm.MyId) ([]string, error)
}

// Unmonitorer is a StatusMonitor that can stop watching a host
// (SM_UNMON). A Server asks it when it forgets a client host that has
// held nothing for ServerOptions.HostIdle. With a monitor that cannot,
// the host's record is dropped all the same, and the monitor keeps
// watching the host: it is sent SM_NOTIFY, and counted among the hosts
// that held locks, after the next restart.
type Unmonitorer interface {
	// Unmonitor asks to be told no more when host restarts, for the
	// monitor id registered. An error is a *MonitorError. ctx bounds the
	// request.
	Unmonitor(ctx context.Context, host string, id nsm.MyId) error
}

// CallbackBinder is a StatusMonitor that delivers the status callbacks
// for id in process: NewServer binds its callback handler with it, and
// Close calls the returned unbind.
type CallbackBinder interface {
	// BindCallback has deliver called with every status callback for
	// id, until the returned unbind is called. Several bindings for one
	// id (a Server and Clients sharing the monitor) each get every
	// callback.
	BindCallback(id nsm.MyId, deliver func(ctx context.Context, st nsm.Status)) (unbind func())
}

// Why a status monitor did not take a host, carried by a *MonitorError.
var (
	// ErrMonitorUnreachable means the status monitor could not be
	// called: no port mapper, no NSM registered with it, no answer.
	ErrMonitorUnreachable = errors.New("nlm: status monitor (NSM, program 100024) not reachable")
	// ErrMonitorRefused means the status monitor answered SM_MON with
	// stat_fail.
	ErrMonitorRefused = errors.New("nlm: status monitor refused to monitor the host")
)

// MonitorError is a status monitor's failure to watch a host. It
// matches its Kind (ErrMonitorUnreachable, ErrMonitorRefused) and the
// cause with errors.Is.
type MonitorError struct {
	// Kind is ErrMonitorUnreachable or ErrMonitorRefused.
	Kind error
	// Monitor says where the status monitor was: a host or address, or
	// "in process".
	Monitor string
	// Host is the client host that was to be monitored.
	Host string
	// Err is the cause, if any.
	Err error
}

// Error describes the failure, naming what is missing.
func (e *MonitorError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	b.WriteString(" at ")
	b.WriteString(e.Monitor)
	if e.Host != "" {
		b.WriteString(" (monitoring host ")
		b.WriteString(e.Host)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the cause.
func (e *MonitorError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// RPCMonitor is a StatusMonitor that sends SM_MON (and SM_UNMON, as an
// Unmonitorer) to a status monitor over RPC: the system's rpc.statd on 127.0.0.1, found through the port
// mapper, or any other.
type RPCMonitor struct {
	host string
	dial nsm.DialFunc
}

// NewRPCMonitor returns a monitor that asks the NSM on host ("127.0.0.1"
// when empty) through connections dial opens (nsm.DialPortmap when nil:
// the port mapper on host says where the NSM listens).
func NewRPCMonitor(host string, dial nsm.DialFunc) *RPCMonitor {
	if host == "" {
		host = "127.0.0.1"
	}
	if dial == nil {
		dial = nsm.DialPortmap
	}
	return &RPCMonitor{host: host, dial: dial}
}

// Monitor sends SM_MON {host, id, priv} and checks that the monitor
// answers stat_succ.
func (m *RPCMonitor) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	c, err := m.dial(ctx, m.host, nsm.SM_PROG, nsm.SM_VERS)
	if err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: m.host, Host: host, Err: err}
	}
	defer c.Close()
	res, err := nsm.NewV1Client(c).Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: host, MyId: id}, Priv: priv})
	if err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: m.host, Host: host, Err: err}
	}
	if res.ResStat != nsm.StatSucc {
		return &MonitorError{Kind: ErrMonitorRefused, Monitor: m.host, Host: host}
	}
	return nil
}

// Unmonitor sends SM_UNMON {host, id}. The monitor answers with its
// state number only: any answer is a success.
func (m *RPCMonitor) Unmonitor(ctx context.Context, host string, id nsm.MyId) error {
	c, err := m.dial(ctx, m.host, nsm.SM_PROG, nsm.SM_VERS)
	if err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: m.host, Host: host, Err: err}
	}
	defer c.Close()
	if _, err := nsm.NewV1Client(c).Unmon(ctx, &nsm.MonId{MonName: host, MyId: id}); err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: m.host, Host: host, Err: err}
	}
	return nil
}

// LocalMonitor is a StatusMonitor over an nsm.Server in the same
// process: SM_MON and SM_UNMON (Unmonitorer) are method calls, the server's monitor list says which
// hosts held locks before a restart (MonitoredHostLister), and its
// callbacks reach the lock manager without the network
// (CallbackBinder). It is what a program serving both NLM and NSM uses.
type LocalMonitor struct {
	srv *nsm.Server
}

// NewLocalMonitor returns a monitor over srv.
func NewLocalMonitor(srv *nsm.Server) *LocalMonitor { return &LocalMonitor{srv: srv} }

// Monitor records the monitor with the nsm.Server.
func (m *LocalMonitor) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	res, err := m.srv.Mon(ctx, nil, &nsm.Mon{MonId: nsm.MonId{MonName: host, MyId: id}, Priv: priv})
	if err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: "in process", Host: host, Err: err}
	}
	if res.ResStat != nsm.StatSucc {
		return &MonitorError{Kind: ErrMonitorRefused, Monitor: "in process", Host: host}
	}
	return nil
}

// Unmonitor removes the monitor of host for id from the nsm.Server.
func (m *LocalMonitor) Unmonitor(ctx context.Context, host string, id nsm.MyId) error {
	if _, err := m.srv.Unmon(ctx, nil, &nsm.MonId{MonName: host, MyId: id}); err != nil {
		return &MonitorError{Kind: ErrMonitorUnreachable, Monitor: "in process", Host: host, Err: err}
	}
	return nil
}

// MonitoredHosts returns the hosts the nsm.Server watches for id.
func (m *LocalMonitor) MonitoredHosts(ctx context.Context, id nsm.MyId) ([]string, error) {
	var hosts []string
	for _, mon := range m.srv.Monitors() {
		o := mon.MyId
		if o.MyProg == id.MyProg && o.MyVers == id.MyVers && o.MyProc == id.MyProc && strings.EqualFold(o.MyName, id.MyName) {
			hosts = append(hosts, mon.MonName)
		}
	}
	return hosts, nil
}

// BindCallback has the nsm.Server deliver the callbacks for id to
// deliver.
func (m *LocalMonitor) BindCallback(id nsm.MyId, deliver func(ctx context.Context, st nsm.Status)) (unbind func()) {
	return m.srv.HandleCallback(id, deliver)
}
