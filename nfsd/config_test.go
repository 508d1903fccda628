package nfsd

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestConfigErrors starts Servers with settings they cannot serve: each
// fails with an *Error naming the service and the setting.
func TestConfigErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name   string
		change func(*Server)
		want   Error
		msg    string
	}{
		{"no exports", func(s *Server) { s.Exports = nil },
			Error{Setting: "Exports", Value: "none"}, `nfsd: Exports "none": nothing to serve: want at least one export`},
		{"empty table", func(s *Server) { s.Exports = &export.Table{} },
			Error{Setting: "Exports", Value: "none"}, `nfsd: Exports "none": nothing to serve`},
		{"port mapper mode", func(s *Server) { s.Portmap = "rpcbind" },
			Error{Setting: "Portmap", Value: PortmapMode("rpcbind")}, `nfsd: Portmap "rpcbind": want auto, system, embedded or none`},
		{"status monitor mode", func(s *Server) { s.StatusMonitor = "none" },
			Error{Setting: "StatusMonitor", Value: MonitorMode("none")}, `nfsd: StatusMonitor "none": want auto, system or embedded`},
		{"system statd without the system's port mapper", func(s *Server) { s.StatusMonitor = MonitorSystem },
			Error{Setting: "StatusMonitor", Value: MonitorSystem}, `nfsd: StatusMonitor "system": needs the system's port mapper (Portmap auto or system), not "embedded"`},
		{"port range", func(s *Server) { s.Ports.NLM = 70000 },
			Error{Service: ServiceNLM, Setting: "Ports.NLM", Value: 70000}, "nfsd: NLM (Ports.NLM 70000): want a port from 0 to 65535"},
		{"negative port", func(s *Server) { s.Ports.Portmap = -1 },
			Error{Service: ServicePortmap, Setting: "Ports.Portmap", Value: -1}, "nfsd: portmap (Ports.Portmap -1): want a port from 0 to 65535"},
		{"port taken", func(s *Server) { s.Ports.Mount = busyPort },
			Error{Service: ServiceMount, Setting: "Ports.Mount", Value: busyPort}, "nfsd: MOUNT (Ports.Mount "},
		{"port taken on an extra address", func(s *Server) { s.ExtraAddrs, s.Addr, s.Ports.Mount = []string{"127.0.0.1"}, "127.0.0.2", busyPort },
			Error{Service: ServiceMount, Setting: "Ports.Mount", Value: busyPort}, "127.0.0.1:"},
		{"extra address not an IP address", func(s *Server) { s.ExtraAddrs = []string{"localhost"} },
			Error{Setting: "ExtraAddrs", Value: "localhost"}, `nfsd: ExtraAddrs "localhost": want an IP address`},
		{"extra address given twice", func(s *Server) { s.ExtraAddrs = []string{"::1", "127.0.0.1"} },
			Error{Setting: "ExtraAddrs", Value: "127.0.0.1"}, `nfsd: ExtraAddrs "127.0.0.1": address given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testServer(t, "/", memfs.New(nil))
			tc.change(srv)
			err := srv.ListenAndServe(t.Context())
			require.ErrorContains(t, err, tc.msg)
			var got *Error
			require.ErrorAs(t, err, &got)
			got.Err = nil
			require.Equal(t, tc.want, *got)
		})
	}
}

// TestErrorMessage checks how an Error reads with and without a
// service and a setting, and that it wraps its cause.
func TestErrorMessage(t *testing.T) {
	cause := errors.New("cause")
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Service: ServiceNSM, Err: cause}, "nfsd: NSM: cause"},
		{Error{Setting: "Portmap", Value: PortmapNone, Err: cause}, `nfsd: Portmap "none": cause`},
		{Error{Service: ServiceNFS, Setting: "Ports.NFS", Value: 2049, Err: cause}, "nfsd: NFS (Ports.NFS 2049): cause"},
	} {
		require.Equal(t, tc.want, tc.err.Error())
		require.ErrorIs(t, &tc.err, cause)
	}
}
