/*
 * libnfs_steps.h holds what the test programs that drive a server through
 * libnfs's raw RPC layer have in common: parsing their arguments,
 * connecting, running the event loop until a call ends and reporting a
 * step that failed. peers.BuildC puts it on gcc's include path.
 *
 * The functions that check arguments take the program's name, prog, for
 * their messages, and end the program with status 2 on a bad one. A step
 * that fails prints "NAME error: WHY" on standard output and ends the
 * program with status 1.
 *
 * The functions are static inline, so a program that leaves some of them
 * unused compiles without warnings.
 */
#ifndef LIBNFS_STEPS_H
#define LIBNFS_STEPS_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

/* How long one step may wait for its answer. */
#define STEP_TIMEOUT_MS 10000

/* The end of one asynchronous call, filled in by its callback through
 * call_failed. */
struct call {
	int done;
	int status;      /* RPC_STATUS_* */
	char error[256]; /* the error text when status is not success */
};

/* check_number exits with a message unless strtol or strtoull parsed
 * all of s, up to end, without error. */
static inline void check_number(const char *prog, const char *s, const char *end, const char *what)
{
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(stderr, "%s: bad %s '%s'\n", prog, what, s);
		exit(2);
	}
}

/* parse_u64 parses a decimal number or exits with a message. */
static inline uint64_t parse_u64(const char *prog, const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	check_number(prog, s, end, what);
	return v;
}

/* parse_int parses a decimal number that may be negative, or exits with
 * a message. */
static inline int parse_int(const char *prog, const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	check_number(prog, s, end, what);
	return (int)v;
}

/* parse_hex decodes the first n bytes of the hex string s, which is what
 * its messages call it, into b, or exits with a message. */
static inline void parse_hex(const char *prog, const char *s, const char *what, char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "%s: %s %s is not hex\n", prog, what, s);
			exit(2);
		}
		b[i] = (char)v;
	}
}

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* call_failed records the end of a call in c, from the status and data a
 * callback got; it reports whether the call failed. */
static inline int call_failed(struct call *c, int status, void *data)
{
	c->done = 1;
	c->status = status;
	if (status == RPC_STATUS_SUCCESS)
		return 0;
	snprintf(c->error, sizeof(c->error), "%s",
		 status == RPC_STATUS_ERROR && data ? (const char *)data :
		 status == RPC_STATUS_TIMEOUT ? "timed out" : "cancelled");
	return 1;
}

/* service_once waits up to wait_ms for the connection to be ready and
 * lets libnfs send and receive what it can, running the callbacks of the
 * calls answered. It returns 0, or -1 with the reason in error. */
static inline int service_once(struct rpc_context *rpc, int wait_ms, char *error, size_t n)
{
	struct pollfd pfd = {
		.fd = rpc_get_fd(rpc),
		.events = (short)rpc_which_events(rpc),
	};
	int ready = poll(&pfd, 1, wait_ms);
	if (ready < 0 && errno != EINTR) {
		snprintf(error, n, "poll: %s", strerror(errno));
		return -1;
	}
	if (rpc_service(rpc, ready > 0 ? pfd.revents : 0) < 0) {
		snprintf(error, n, "rpc_service: %s", rpc_get_error(rpc));
		return -1;
	}
	return 0;
}

/* wait_for runs the event loop until c is done or the step times out. It
 * returns 0 when the call succeeded, else -1 with the reason in c->error. */
static inline int wait_for(struct rpc_context *rpc, struct call *c)
{
	int64_t deadline = now_ms() + STEP_TIMEOUT_MS;
	while (!c->done) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(c->error, sizeof(c->error), "no answer within %d ms", STEP_TIMEOUT_MS);
			return -1;
		}
		if (service_once(rpc, left < 100 ? (int)left : 100, c->error, sizeof(c->error)) != 0)
			return -1;
	}
	return c->status == RPC_STATUS_SUCCESS ? 0 : -1;
}

/* step_failed prints "STEP error: WHY", with WHY formatted from fmt,
 * closes rpc and ends the program with status 1. */
__attribute__((format(printf, 3, 4), noreturn))
static inline void step_failed(struct rpc_context *rpc, const char *step, const char *fmt, ...)
{
	va_list ap;
	printf("%s error: ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	rpc_destroy_context(rpc);
	exit(1);
}

/* finish_step waits for the call of a step, given what the rpc_*_async
 * function that queued it returned, and ends the program as step_failed
 * does when it was not queued or did not succeed. */
static inline void finish_step(struct rpc_context *rpc, const char *step, int queued, struct call *c)
{
	if (queued != 0)
		step_failed(rpc, step, "cannot queue the call: %s", rpc_get_error(rpc));
	if (wait_for(rpc, c) != 0)
		step_failed(rpc, step, "%s", c->error);
}

static inline void connect_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	(void)rpc;
	call_failed(private_data, status, data);
}

/* connect_to returns an RPC context connected to host:port over TCP, or
 * ends the program as step_failed does for the step "connect". */
static inline struct rpc_context *connect_to(const char *prog, const char *host, int port)
{
	struct rpc_context *rpc = rpc_init_context();
	if (rpc == NULL) {
		fprintf(stderr, "%s: rpc_init_context failed\n", prog);
		exit(1);
	}
	struct call c = {0};
	if (rpc_connect_async(rpc, host, port, connect_cb, &c) != 0 || wait_for(rpc, &c) != 0)
		step_failed(rpc, "connect", "%s", c.error[0] ? c.error : rpc_get_error(rpc));
	return rpc;
}

#endif
