/*
 * libnfs_nsm drives an NSM version 1 server (a status monitor) through
 * libnfs's raw RPC layer, an XDR implementation independent of nfskit's,
 * over TCP.
 *
 * Usage:
 *   libnfs_nsm HOST PORT STEP...
 *
 * where each STEP is one of
 *   null
 *   stat      MON_NAME
 *   mon       MON_NAME MY_NAME MY_PROG MY_VERS MY_PROC PRIV_HEX
 *   unmon     MON_NAME MY_NAME MY_PROG MY_VERS MY_PROC
 *   unmonall  MY_NAME MY_PROG MY_VERS MY_PROC
 *   notify    MON_NAME STATE
 *   simucrash
 *
 * PRIV_HEX is the 16 bytes of the monitor's private cookie in hex.
 *
 * Each step prints one line: "stat RES STATE" and "mon RES STATE" with
 * the sm_res (0 success, 1 failure) and the state number, "unmon STATE"
 * and "unmonall STATE", and "NAME ok" for the procedures without a
 * result. A step that gets no answer or whose reply does not decode
 * prints "NAME error: WHY" and ends the program with status 1; bad
 * arguments end it with status 2.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nsm.h>

/* How long one step may wait for its answer. */
#define STEP_TIMEOUT_MS 10000

/* The outcome of one asynchronous call, filled in by its callback. */
struct outcome {
	int done;
	int status;      /* RPC_STATUS_* */
	char error[256]; /* the error text when status is not success */
	char line[128];  /* what the step prints when it succeeded */
};

static void usage(void)
{
	fprintf(stderr, "usage: libnfs_nsm HOST PORT STEP...\n"
		"steps: null | stat MON_NAME | mon MON_NAME MY_NAME PROG VERS PROC PRIV_HEX |\n"
		"       unmon MON_NAME MY_NAME PROG VERS PROC | unmonall MY_NAME PROG VERS PROC |\n"
		"       notify MON_NAME STATE | simucrash\n");
	exit(2);
}

/* parse_int parses a decimal number or exits with a message. */
static int parse_int(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(stderr, "libnfs_nsm: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (int)v;
}

/* parse_priv decodes the 32 hex digits of a private cookie. */
static void parse_priv(const char *s, char priv[16])
{
	if (strlen(s) != 32) {
		fprintf(stderr, "libnfs_nsm: private cookie %s is not 32 hex digits\n", s);
		exit(2);
	}
	for (int i = 0; i < 16; i++) {
		unsigned int v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "libnfs_nsm: private cookie %s is not hex\n", s);
			exit(2);
		}
		priv[i] = (char)v;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_for runs the event loop until out is done or the step times out. */
static int wait_for(struct rpc_context *rpc, struct outcome *out)
{
	int64_t deadline = now_ms() + STEP_TIMEOUT_MS;
	while (!out->done) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(out->error, sizeof(out->error), "no answer within %d ms", STEP_TIMEOUT_MS);
			return -1;
		}
		struct pollfd pfd = {
			.fd = rpc_get_fd(rpc),
			.events = (short)rpc_which_events(rpc),
		};
		int n = poll(&pfd, 1, left < 100 ? (int)left : 100);
		if (n < 0 && errno != EINTR) {
			snprintf(out->error, sizeof(out->error), "poll: %s", strerror(errno));
			return -1;
		}
		if (rpc_service(rpc, n > 0 ? pfd.revents : 0) < 0) {
			snprintf(out->error, sizeof(out->error), "rpc_service: %s", rpc_get_error(rpc));
			return -1;
		}
	}
	return out->status == RPC_STATUS_SUCCESS ? 0 : -1;
}

/* failed records the end of a call in out; it reports whether the call
 * failed. */
static int failed(int status, void *data, struct outcome *out)
{
	out->done = 1;
	out->status = status;
	if (status == RPC_STATUS_SUCCESS)
		return 0;
	snprintf(out->error, sizeof(out->error), "%s",
		 status == RPC_STATUS_ERROR && data ? (const char *)data :
		 status == RPC_STATUS_TIMEOUT ? "timed out" : "cancelled");
	return 1;
}

/* void_cb ends a call whose result is void (and the connection). */
static void void_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (!failed(status, data, out))
		snprintf(out->line, sizeof(out->line), "ok");
}

static void stat_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
		return;
	NSM1_STATres *res = data;
	snprintf(out->line, sizeof(out->line), "%d %d", (int)res->res, res->state);
}

static void mon_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
		return;
	NSM1_MONres *res = data;
	snprintf(out->line, sizeof(out->line), "%d %d", (int)res->res, res->state);
}

static void unmon_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
		return;
	NSM1_UNMONres *res = data;
	snprintf(out->line, sizeof(out->line), "%d", res->state);
}

static void unmonall_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
		return;
	NSM1_UNMONALLres *res = data;
	snprintf(out->line, sizeof(out->line), "%d", res->state);
}

/* my_id reads MY_NAME MY_PROG MY_VERS MY_PROC from argv at *i. */
static struct nsm_my_id my_id(char **argv, int *i)
{
	struct nsm_my_id id;
	id.my_name = argv[(*i)++];
	id.my_prog = parse_int(argv[(*i)++], "my_prog");
	id.my_vers = parse_int(argv[(*i)++], "my_vers");
	id.my_proc = parse_int(argv[(*i)++], "my_proc");
	return id;
}

/* nargs returns how many arguments a step takes, or -1 if it is unknown. */
static int nargs(const char *step)
{
	static const struct {
		const char *name;
		int n;
	} steps[] = {
		{"null", 0}, {"stat", 1}, {"mon", 6}, {"unmon", 5},
		{"unmonall", 4}, {"notify", 2}, {"simucrash", 0},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(step, steps[i].name) == 0)
			return steps[i].n;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *host = argv[1];
	int port = parse_int(argv[2], "port");

	struct rpc_context *rpc = rpc_init_context();
	if (rpc == NULL) {
		fprintf(stderr, "libnfs_nsm: rpc_init_context failed\n");
		return 1;
	}
	struct outcome out = {0};
	if (rpc_connect_async(rpc, host, port, void_cb, &out) != 0 || wait_for(rpc, &out) != 0) {
		printf("connect error: %s\n", out.error[0] ? out.error : rpc_get_error(rpc));
		rpc_destroy_context(rpc);
		return 1;
	}

	int i = 3;
	while (i < argc) {
		const char *step = argv[i++];
		int n = nargs(step);
		if (n < 0) {
			fprintf(stderr, "libnfs_nsm: unknown step %s\n", step);
			usage();
		}
		if (i + n > argc) {
			fprintf(stderr, "libnfs_nsm: step %s needs %d arguments\n", step, n);
			usage();
		}

		memset(&out, 0, sizeof(out));
		int queued;
		if (strcmp(step, "null") == 0) {
			queued = rpc_nsm1_null_async(rpc, void_cb, &out);
		} else if (strcmp(step, "stat") == 0) {
			NSM1_STATargs args = {.mon_name = argv[i++]};
			queued = rpc_nsm1_stat_async(rpc, stat_cb, &args, &out);
		} else if (strcmp(step, "mon") == 0) {
			NSM1_MONargs args;
			args.mon_id.mon_name = argv[i++];
			args.mon_id.my_id = my_id(argv, &i);
			parse_priv(argv[i++], args.priv);
			queued = rpc_nsm1_mon_async(rpc, mon_cb, &args, &out);
		} else if (strcmp(step, "unmon") == 0) {
			NSM1_UNMONargs args;
			args.mon_id.mon_name = argv[i++];
			args.mon_id.my_id = my_id(argv, &i);
			queued = rpc_nsm1_unmon_async(rpc, unmon_cb, &args, &out);
		} else if (strcmp(step, "unmonall") == 0) {
			NSM1_UNMONALLargs args = {.my_id = my_id(argv, &i)};
			queued = rpc_nsm1_unmonall_async(rpc, unmonall_cb, &args, &out);
		} else if (strcmp(step, "notify") == 0) {
			NSM1_NOTIFYargs args;
			args.mon_name = argv[i++];
			args.state = parse_int(argv[i++], "state");
			queued = rpc_nsm1_notify_async(rpc, void_cb, &args, &out);
		} else {
			queued = rpc_nsm1_simucrash_async(rpc, void_cb, &out);
		}
		if (queued != 0) {
			printf("%s error: cannot queue the call: %s\n", step, rpc_get_error(rpc));
			rpc_destroy_context(rpc);
			return 1;
		}
		if (wait_for(rpc, &out) != 0) {
			printf("%s error: %s\n", step, out.error);
			rpc_destroy_context(rpc);
			return 1;
		}
		printf("%s %s\n", step, out.line);
		fflush(stdout);
	}

	rpc_destroy_context(rpc);
	return 0;
}
