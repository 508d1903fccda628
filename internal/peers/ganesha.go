package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Program numbers of what ganesha serves.
const (
	progNFS   = 100003
	progMount = 100005
	progNLM   = 100021
)

// GaneshaAddr is where nfs-ganesha serves NFS: it binds 127.0.0.1 and the
// standard port.
const GaneshaAddr = "127.0.0.1:2049"

// GaneshaServer is an nfs-ganesha serving one directory over NFSv3 and
// NFSv4 (with MOUNT and NLM) on 127.0.0.1.
type GaneshaServer struct {
	// Export is the exported directory, on tmpfs when /dev/shm is there;
	// NFSv3 clients mount this path.
	Export string
	// Pseudo is the export's NFSv4 pseudo path, "/vfs".
	Pseudo string
	// Addr is the NFS address, GaneshaAddr.
	Addr string
	// NFSPort is 2049 (TCP and UDP). MountPort and MountUDPPort are
	// MOUNT v3's, NLMPort and NLMUDPPort NLM v4's, as registered with
	// rpcbind.
	NFSPort, MountPort, MountUDPPort, NLMPort, NLMUDPPort int
	// Dir holds the configuration, log, pid file and recovery directory.
	Dir string
	// LogFile is ganesha's log.
	LogFile string

	proc *Process
}

// Log returns ganesha's log so far.
func (g *GaneshaServer) Log() string { return readLog(g.LogFile) }

// Stop stops ganesha now rather than when the test ends.
func (g *GaneshaServer) Stop() { g.proc.Stop() }

// GaneshaUnavailable says why Ganesha cannot run here ("" if it can): a
// missing program or FSAL, or no root. A benchmark that compares with
// ganesha uses it to skip that comparison without failing.
func GaneshaUnavailable() string {
	if m := Missing("ganesha.nfsd", "rpcbind", "rpcinfo"); len(m) > 0 {
		return "not installed: " + strings.Join(m, ", ")
	}
	if !haveVFSFSAL() {
		return "not installed: ganesha's VFS FSAL (nfs-ganesha-vfs)"
	}
	if os.Geteuid() != 0 {
		return "ganesha needs root"
	}
	return ""
}

func haveVFSFSAL() bool {
	m, _ := filepath.Glob("/usr/lib*/*/ganesha/libfsalvfs.so")
	return len(m) > 0
}

// Ganesha starts nfs-ganesha (VFS FSAL) for the rest of the test, after
// rpcbind, and waits until it answers NFS NULL on 127.0.0.1:2049 and its
// MOUNT and NLM services are registered and answer. It holds the
// "rpcbind" and "ganesha" locks, and stops ganesha by its PID when the
// test ends.
func Ganesha(t testing.TB) *GaneshaServer {
	t.Helper()
	Require(t, "ganesha.nfsd", "rpcbind", "rpcinfo")
	RequireRoot(t)
	if !haveVFSFSAL() {
		missingPeer(t, "ganesha's VFS FSAL (libfsalvfs.so, package nfs-ganesha-vfs)")
	}
	Rpcbind(t)
	Lock(t, "ganesha")
	if err := Ping("tcp", GaneshaAddr, progNFS, 3); err == nil {
		InTheWay(t, "an NFS server that no test started answers on %s (ganesha.nfsd, the kernel's nfsd, examples/nfsd)", GaneshaAddr)
	}
	RequireFree(t, "ganesha", "tcp", GaneshaAddr)
	RequireFree(t, "ganesha", "udp", GaneshaAddr)

	dir := t.TempDir()
	export := dir + "/export"
	if shm, err := os.MkdirTemp("/dev/shm", "nfskit-ganesha-"); err == nil {
		export = shm
		t.Cleanup(func() { os.RemoveAll(shm) }) // runs after ganesha stops
	} else if err := os.Mkdir(export, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(export, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir+"/recov", 0o755); err != nil {
		t.Fatal(err)
	}
	g := &GaneshaServer{
		Export: export, Pseudo: "/vfs", Addr: GaneshaAddr, NFSPort: 2049,
		Dir: dir, LogFile: dir + "/ganesha.log",
	}
	conf := fmt.Sprintf(`NFS_CORE_PARAM { Protocols = 3, 4; Enable_NLM = true; Enable_RQUOTA = false; Bind_addr = 127.0.0.1; }
NFSV4 { Graceless = true; RecoveryRoot = %s/recov; }
EXPORT { Export_Id = 1; Path = %s; Pseudo = %s; Access_Type = RW;
         Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP, UDP; SecType = sys;
         FSAL { Name = VFS; } }
`, dir, export, g.Pseudo)
	if err := os.WriteFile(dir+"/ganesha.conf", []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	g.proc = Start(t, "ganesha.nfsd", "-F", "-f", dir+"/ganesha.conf", "-L", g.LogFile,
		"-p", dir+"/ganesha.pid", "-N", "NIV_EVENT")
	t.Cleanup(func() {
		g.proc.Stop() // before the log is read
		if t.Failed() {
			t.Logf("ganesha log %s:\n%s", g.LogFile, g.Log())
		}
	})

	// Ready means: NFS NULL answers on 2049, and MOUNT v3 and NLM v4 are
	// registered (on both transports) at ports that answer. A stale
	// registration left by a ganesha that was killed fails the ping, so
	// the loop waits for the new one.
	waitPeer(t, 30*time.Second, "ganesha", g.proc, g.LogFile, func() error {
		if err := Ping("tcp", GaneshaAddr, progNFS, 3); err != nil {
			return fmt.Errorf("NFSv3 NULL on %s: %v", GaneshaAddr, err)
		}
		regs, err := Registrations()
		if err != nil {
			return err
		}
		for _, s := range []struct {
			name       string
			prog, vers uint32
			tcp, udp   *int
		}{
			{"MOUNT v3", progMount, 3, &g.MountPort, &g.MountUDPPort},
			{"NLM v4", progNLM, 4, &g.NLMPort, &g.NLMUDPPort},
		} {
			*s.tcp, *s.udp = Port(regs, s.prog, s.vers, "tcp"), Port(regs, s.prog, s.vers, "udp")
			if *s.tcp == 0 || *s.udp == 0 {
				return fmt.Errorf("%s not registered with rpcbind (tcp port %d, udp port %d)", s.name, *s.tcp, *s.udp)
			}
			if err := Ping("tcp", fmt.Sprintf("127.0.0.1:%d", *s.tcp), s.prog, s.vers); err != nil {
				return fmt.Errorf("%s NULL on tcp port %d: %v", s.name, *s.tcp, err)
			}
		}
		return nil
	})
	return g
}

// waitPeer polls ready every 50 ms until it returns nil, failing the test
// if the peer exits or timeout passes, with the peer's output and log.
func waitPeer(t testing.TB, timeout time.Duration, name string, p *Process, logFile string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		if p.Exited() {
			t.Fatalf("%s exited while starting (last check: %v)\noutput:\n%s\nlog:\n%s", name, err, p.Output(), readLog(logFile))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %v\noutput:\n%s\nlog:\n%s", name, timeout, err, p.Output(), readLog(logFile))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLog returns the last 8 KiB of a log file.
func readLog(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	if len(b) > 8<<10 {
		b = append([]byte("...\n"), b[len(b)-8<<10:]...)
	}
	return strings.TrimRight(string(b), "\n")
}
