package nfsd

import (
	"strings"

	"github.com/nfskit/nfskit/vfs/export"
)

// logExports says what the Server exports and to whom: a line per
// export and group of clients with the options they get, one per rule
// (or one for the export-wide policy of an export without rules).
func (s *Server) logExports() {
	for _, e := range s.Exports.List() {
		if len(e.Rules) == 0 {
			s.logExport(e, clientsOf(e.Policy.Clients), e.Policy)
			continue
		}
		for _, r := range e.Rules {
			s.logExport(e, clientsOf(r.Clients), r.Policy(e.Policy))
		}
	}
}

// logExport says that e is exported to clients with policy p.
func (s *Server) logExport(e *export.Export, clients string, p export.Policy) {
	s.logger().Info("exporting", "path", e.Path, "id", e.ID, "clients", clients,
		"read-only", p.ReadOnly, "squash", squashOf(p), "secure", p.RequirePrivilegedPort)
}

// squashOf names the squashing of a policy as exports(5) does.
func squashOf(p export.Policy) string {
	switch {
	case p.AllSquash:
		return "all"
	case p.NoRootSquash:
		return "none"
	default:
		return "root"
	}
}

// clientsOf names the clients of a list, empty meaning every host.
func clientsOf(clients []string) string {
	if len(clients) == 0 {
		return "every host"
	}
	return strings.Join(clients, " ")
}
