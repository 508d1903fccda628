// Command rpcdoctor tells an operator whether NFSv3 locking can work
// between this client and an NFS server.
//
// It lists the RPC programs registered with the server's port mapper
// (rpcbind version 4 or 3, else portmap version 2), as rpcinfo does,
// makes a NULL call to each over its own transport, and checks what
// locking needs: the lock manager (NLM) and the status monitor (NSM) on
// the server, registered and answering, and the status monitor on this
// client. Each problem is one line saying what is missing and what that
// breaks; the last line says whether NFSv3 locking can work.
//
// Usage:
//
//	rpcdoctor [-timeout 2s] [-local 127.0.0.1] [-pmap-port 111] [-v] HOST
//
// The exit status is 0 when locking can work, 1 when it cannot, and 2
// for a wrong command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command: it parses args, diagnoses, prints the report to
// stdout and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rpcdoctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 2*time.Second, "bound on each call (the port mapper's listing, each NULL call)")
	local := fs.String("local", "127.0.0.1", "this client, whose status monitor the server notifies after a reboot")
	pmapPort := fs.Int("pmap-port", 111, "port of the port mapper on both hosts")
	verbose := fs.Bool("v", false, "show owners and call times, and log each call to stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: rpcdoctor [flags] HOST\n\n"+
			"Lists the RPC programs registered on HOST, calls each, and checks what NFSv3 locking needs.\n"+
			"Exit status: 0 when locking can work, 1 when it cannot, 2 for a wrong command line.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case fs.NArg() != 1:
		return usageError(fs, "give exactly one HOST")
	case fs.Arg(0) == "":
		return usageError(fs, "HOST is empty")
	case *local == "":
		return usageError(fs, "-local is empty")
	case *timeout <= 0:
		return usageError(fs, "-timeout must be positive")
	case *pmapPort <= 0 || *pmapPort > 65535:
		return usageError(fs, "-pmap-port must be between 1 and 65535")
	}

	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rep := Diagnose(ctx, Options{
		Host: fs.Arg(0), Local: *local, PortmapPort: *pmapPort, Timeout: *timeout, Logger: logger,
	})
	if err := rep.Write(stdout, *verbose); err != nil {
		fmt.Fprintln(stderr, "rpcdoctor:", err)
	}
	return rep.ExitCode()
}

// usageError prints what is wrong with the command line and the usage,
// and returns the usage exit status.
func usageError(fs *flag.FlagSet, msg string) int {
	fmt.Fprintln(fs.Output(), "rpcdoctor:", msg)
	fs.Usage()
	return exitUsage
}
