package nfsd

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// PortmapMode says which port mapper the Server registers its services
// with.
type PortmapMode string

// Port mapper modes. The zero value is PortmapAuto.
const (
	// PortmapAuto registers with the system's rpcbind when it answers on
	// this host, and otherwise serves a port mapper of the Server's own
	// if it can listen on its port.
	PortmapAuto PortmapMode = "auto"
	// PortmapSystem registers with the system's rpcbind and fails if
	// none answers.
	PortmapSystem PortmapMode = "system"
	// PortmapEmbedded serves a port mapper of the Server's own whatever
	// runs on the host.
	PortmapEmbedded PortmapMode = "embedded"
	// PortmapNone serves and uses no port mapper: clients must be given
	// the ports.
	PortmapNone PortmapMode = "none"
)

// MonitorMode says which status monitor (NSM) the lock manager asks to
// watch the hosts that lock.
type MonitorMode string

// Status monitor modes. The zero value is MonitorAuto.
const (
	// MonitorAuto uses the system's rpc.statd when it is registered with
	// the system's port mapper and answers, and otherwise serves a status
	// monitor of the Server's own.
	MonitorAuto MonitorMode = "auto"
	// MonitorSystem uses the system's rpc.statd and fails if none
	// answers.
	MonitorSystem MonitorMode = "system"
	// MonitorEmbedded serves a status monitor of the Server's own, and
	// fails if the system's rpc.statd is registered with the port mapper
	// the Server registers with.
	MonitorEmbedded MonitorMode = "embedded"
)

// Ports are the ports ListenAndServe listens on, one per service, on TCP
// and UDP. Zero means a free port, the same one on TCP and UDP.
type Ports struct {
	NFS, Mount, NLM, NSM, Portmap int
}

// StandardPorts are the ports NFS servers traditionally use: NFS on
// 2049, MOUNT on 20048, the lock manager on 4045 (lockd's) and the port
// mapper on 111. The status monitor's is any free port.
var StandardPorts = Ports{NFS: 2049, Mount: 20048, NLM: 4045, Portmap: 111}

// DefaultShutdownTimeout bounds the graceful shutdown that follows the
// end of the context of Serve or ListenAndServe.
const DefaultShutdownTimeout = 10 * time.Second

// Service names a set of RPC programs the Server serves on one port.
type Service string

// The services.
const (
	// ServiceNFS is NFS version 3 (program 100003).
	ServiceNFS Service = "NFS"
	// ServiceMount is MOUNT version 3 (program 100005).
	ServiceMount Service = "MOUNT"
	// ServiceNLM is the lock manager, NLM versions 1, 3 and 4 (program
	// 100021).
	ServiceNLM Service = "NLM"
	// ServiceNSM is the Server's own status monitor, NSM version 1
	// (program 100024), served only when it uses no rpc.statd.
	ServiceNSM Service = "NSM"
	// ServicePortmap is the Server's own port mapper (program 100000,
	// versions 2, 3 and 4), served only when it registers with no system
	// port mapper.
	ServicePortmap Service = "portmap"
)

// port returns the port p gives svc and the name of its setting.
func (p Ports) port(svc Service) (int, string) {
	switch svc {
	case ServiceNFS:
		return p.NFS, "Ports.NFS"
	case ServiceMount:
		return p.Mount, "Ports.Mount"
	case ServiceNLM:
		return p.NLM, "Ports.NLM"
	case ServiceNSM:
		return p.NSM, "Ports.NSM"
	default:
		return p.Portmap, "Ports.Portmap"
	}
}

// Error is a failure of a Server to start or serve, naming the service
// and the setting it concerns.
type Error struct {
	// Service is the service that failed; empty when it concerns no one
	// service.
	Service Service
	// Setting is the Server field whose value could not be served, such
	// as "Portmap" or "Ports.NLM"; empty when no setting is at fault.
	Setting string
	// Value is the setting's value.
	Value any
	// Err says what failed.
	Err error
}

// Error reads "nfsd: SERVICE (SETTING VALUE): ERR", leaving out what is
// empty.
func (e *Error) Error() string {
	s := "nfsd: "
	setting := ""
	if e.Setting != "" {
		v := fmt.Sprint(e.Value)
		switch e.Value.(type) {
		case string, PortmapMode, MonitorMode:
			v = fmt.Sprintf("%q", e.Value)
		}
		setting = e.Setting + " " + v
	}
	switch {
	case e.Service != "" && setting != "":
		s += string(e.Service) + " (" + setting + ")"
	case e.Service != "":
		s += string(e.Service)
	default:
		s += setting
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// portmapMode returns the port mapper mode, auto when unset.
func (s *Server) portmapMode() PortmapMode {
	if s.Portmap == "" {
		return PortmapAuto
	}
	return s.Portmap
}

// monitorMode returns the status monitor mode, auto when unset.
func (s *Server) monitorMode() MonitorMode {
	if s.StatusMonitor == "" {
		return MonitorAuto
	}
	return s.StatusMonitor
}

// check reports the first setting the Server cannot serve.
func (s *Server) check() error {
	if s.Exports == nil || len(s.Exports.List()) == 0 {
		return &Error{Setting: "Exports", Value: "none", Err: errors.New("nothing to serve: want at least one export")}
	}
	pm := s.portmapMode()
	switch pm {
	case PortmapAuto, PortmapSystem, PortmapEmbedded, PortmapNone:
	default:
		return &Error{Setting: "Portmap", Value: s.Portmap, Err: errors.New("want auto, system, embedded or none")}
	}
	mm := s.monitorMode()
	switch mm {
	case MonitorAuto, MonitorSystem, MonitorEmbedded:
	default:
		return &Error{Setting: "StatusMonitor", Value: s.StatusMonitor, Err: errors.New("want auto, system or embedded")}
	}
	if mm == MonitorSystem && (pm == PortmapEmbedded || pm == PortmapNone) {
		return &Error{Setting: "StatusMonitor", Value: mm, Err: fmt.Errorf(
			"needs the system's port mapper (Portmap auto or system), not %q: rpc.statd calls the lock manager back through it", pm)}
	}
	seen := map[string]bool{s.Addr: true}
	for _, a := range s.ExtraAddrs {
		if _, err := netip.ParseAddr(a); err != nil {
			return &Error{Setting: "ExtraAddrs", Value: a, Err: errors.New("want an IP address")}
		}
		if seen[a] {
			return &Error{Setting: "ExtraAddrs", Value: a, Err: errors.New("address given twice")}
		}
		seen[a] = true
	}
	for _, svc := range []Service{ServiceNFS, ServiceMount, ServiceNLM, ServiceNSM, ServicePortmap} {
		if port, setting := s.Ports.port(svc); port < 0 || port > 65535 {
			return &Error{Service: svc, Setting: setting, Value: port, Err: errors.New("want a port from 0 to 65535")}
		}
	}
	return nil
}
