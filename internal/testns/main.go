package testns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
)

// Runner runs a test binary's tests and returns its exit code, as
// *testing.M does.
type Runner interface {
	Run() int
}

// Main runs m's tests in private namespaces when it can, in place when
// it cannot, and exits with their code. Call it from TestMain.
func Main(m Runner) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns the tests' exit code, for a
// TestMain that has more to do around them.
func Run(m Runner) int {
	switch os.Getenv(envState) {
	case stateSetup:
		if err := setUp(); err != nil {
			fmt.Fprintf(os.Stderr, "testns: setting up the private namespaces: %v\n", err)
			return 1
		}
		os.Setenv(envState, stateIsolated)
		return m.Run()
	case stateIsolated, stateInPlace:
		return m.Run()
	}
	reason := whyInPlace()
	if reason == "" {
		code, err := reexec()
		if err == nil {
			return code
		}
		if !errors.Is(err, errUnavailable) {
			fmt.Fprintf(os.Stderr, "testns: %v\n", err)
			return 1
		}
		reason = err.Error()
	}
	os.Setenv(envState, stateInPlace)
	os.Setenv(envReason, reason)
	return m.Run()
}

// whyInPlace says why the tests must run in place without trying to
// create namespaces, or "".
func whyInPlace() string {
	if os.Getenv(EnvNoNetns) == "1" {
		return EnvNoNetns + "=1"
	}
	if os.Geteuid() != 0 {
		return "not root: private network namespaces need root"
	}
	return ""
}

// errUnavailable wraps the error of a kernel that refuses new namespaces
// to this process.
var errUnavailable = errors.New("private namespaces unavailable")

// unavailable are the errors clone(2) gives when namespaces cannot be
// created here: no privilege (a container, a seccomp profile), no kernel
// support, or a namespace limit reached.
var unavailable = []error{syscall.EPERM, syscall.EACCES, syscall.EINVAL, syscall.ENOSPC, syscall.ENOSYS, syscall.EUSERS}

// forwarded are the signals passed on to the re-executed binary: an
// interrupt from the terminal, go test's timeout (SIGQUIT) and a plain
// kill.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP}

// reexec runs this binary again, with the same arguments, in new network
// and mount namespaces, and returns its exit code. It returns an error
// wrapping errUnavailable if the namespaces cannot be created.
func reexec() (int, error) {
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envState+"="+stateSetup)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		// The child dies with this process, even by SIGKILL. The
		// signal is sent when the thread that started the child ends,
		// so that thread stays locked to this goroutine, which waits.
		Pdeathsig: syscall.SIGKILL,
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		for _, e := range unavailable {
			if errors.Is(err, e) {
				return 0, fmt.Errorf("%w: %v", errUnavailable, err)
			}
		}
		return 0, fmt.Errorf("re-executing the test binary in private namespaces: %w", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return 0, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return 0, fmt.Errorf("waiting for the test binary in private namespaces: %w", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		fmt.Fprintf(os.Stderr, "testns: the test binary in private namespaces was killed by %v\n", ws.Signal())
		return 128 + int(ws.Signal()), nil
	}
	return exit.ExitCode(), nil
}
