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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nsm.h>

#include "libnfs_steps.h"

#define PROG "libnfs_nsm"

/* The outcome of one asynchronous call, filled in by its callback. */
struct outcome {
	struct call call;
	char line[128]; /* what the step prints when it succeeded */
};

static void usage(void)
{
	fprintf(stderr, "usage: libnfs_nsm HOST PORT STEP...\n"
		"steps: null | stat MON_NAME | mon MON_NAME MY_NAME PROG VERS PROC PRIV_HEX |\n"
		"       unmon MON_NAME MY_NAME PROG VERS PROC | unmonall MY_NAME PROG VERS PROC |\n"
		"       notify MON_NAME STATE | simucrash\n");
	exit(2);
}

/* parse_priv decodes the 32 hex digits of a private cookie. */
static void parse_priv(const char *s, char priv[16])
{
	if (strlen(s) != 32) {
		fprintf(stderr, PROG ": private cookie %s is not 32 hex digits\n", s);
		exit(2);
	}
	parse_hex(PROG, s, "private cookie", priv, 16);
}

/* void_cb ends a call whose result is void. */
static void void_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (!call_failed(&out->call, status, data))
		snprintf(out->line, sizeof(out->line), "ok");
}

static void stat_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NSM1_STATres *res = data;
	snprintf(out->line, sizeof(out->line), "%d %d", (int)res->res, res->state);
}

static void mon_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NSM1_MONres *res = data;
	snprintf(out->line, sizeof(out->line), "%d %d", (int)res->res, res->state);
}

static void unmon_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NSM1_UNMONres *res = data;
	snprintf(out->line, sizeof(out->line), "%d", res->state);
}

static void unmonall_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NSM1_UNMONALLres *res = data;
	snprintf(out->line, sizeof(out->line), "%d", res->state);
}

/* my_id reads MY_NAME MY_PROG MY_VERS MY_PROC from argv at *i. */
static struct nsm_my_id my_id(char **argv, int *i)
{
	struct nsm_my_id id;
	id.my_name = argv[(*i)++];
	id.my_prog = parse_int(PROG, argv[(*i)++], "my_prog");
	id.my_vers = parse_int(PROG, argv[(*i)++], "my_vers");
	id.my_proc = parse_int(PROG, argv[(*i)++], "my_proc");
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
	int port = parse_int(PROG, argv[2], "port");
	struct rpc_context *rpc = connect_to(PROG, host, port);

	int i = 3;
	while (i < argc) {
		const char *step = argv[i++];
		int n = nargs(step);
		if (n < 0) {
			fprintf(stderr, PROG ": unknown step %s\n", step);
			usage();
		}
		if (i + n > argc) {
			fprintf(stderr, PROG ": step %s needs %d arguments\n", step, n);
			usage();
		}

		struct outcome out = {0};
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
			args.state = parse_int(PROG, argv[i++], "state");
			queued = rpc_nsm1_notify_async(rpc, void_cb, &args, &out);
		} else {
			queued = rpc_nsm1_simucrash_async(rpc, void_cb, &out);
		}
		finish_step(rpc, step, queued, &out.call);
		printf("%s %s\n", step, out.line);
		fflush(stdout);
	}

	rpc_destroy_context(rpc);
	return 0;
}
