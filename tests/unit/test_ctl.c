// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ctl.c - TAP tests of the supervisor's control requests through the
 * real path, sv_ctl_client() (recvmsg, json_loadb, the method table, the
 * handler, the reply), on a supervisor of a lab with one stopped node and
 * no LAN, over a socketpair: malformed JSON, a request that is not an
 * object, no cmd, an unknown method, missing or bad fields each get one
 * reply line {"ok":false,"error":...,"code":N} with the exit status the
 * client reports; an fd passed with a request that does not take one is
 * closed; the lab's phase and the node's state are checked before an op.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/topo.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
#include "tests/unit/tap.h"

static struct topo topo = {.name = (char *)"tl", .domain = (char *)"tl", .path = (char *)"t"};
static struct node node_cfg = {.name = (char *)"n1"};
static struct sv_node node, *node_p = &node;
static struct sv sv;

static void sv_setup(void)
{
	memset(&sv, 0, sizeof(sv));
	memset(&node, 0, sizeof(node));
	topo.nodes = &node_cfg;
	topo.n_nodes = 1;
	node.cfg = &node_cfg;
	node.pidfd = -1;
	node.probe_fd = -1;
	node.op_client = -1;
	node.qmp.fd = -1;
	node.state = NODE_EXITED;
	sv.t = &topo;
	sv.nodes = &node_p;
	sv.topo_path = "t.conf";
	sv.rundir = sv.statedir = sv.logdir = (char *)"/nonexistent";
	sv.down_client = -1;
	sv.sync_fd = -1;
	sv.phase = PH_RUNNING;
	sv.dns.pidfd = -1;
	sv.down_timeout_ms = 1000;
	if (loop_init(&sv.loop) < 0)
		exit(2);
}

static void sv_teardown(void)
{
	close(sv.loop.epfd);
	free(sv.loop.slots);
}

/* Send @req (with @pass as SCM_RIGHTS if >= 0), run the request path and
 * return the reply (NULL if none). *@lines: how many lines it had. */
static json_t *call(const char *req, size_t len, int pass, int *lines)
{
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)req, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	size_t got = 0;
	ssize_t n;
	int sp[2];
	json_t *j;

	*lines = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return NULL;
	if (pass >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
	}
	if (len && sendmsg(sp[1], &mh, 0) != (ssize_t)len)
		return NULL;
	shutdown(sp[1], SHUT_WR);
	sv_ctl_client(&sv, sp[0]); /* owns sp[0] */
	while (got < sizeof(buf) - 1 && (n = read(sp[1], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(sp[1]);
	buf[got] = '\0';
	for (size_t i = 0; i < got; i++)
		*lines += buf[i] == '\n';
	if (!got)
		return NULL;
	j = json_loads(buf, 0, NULL);
	return j;
}

/* An error reply with @code whose text holds @text. */
static void want_err(const char *req, int code, const char *text, const char *what)
{
	int lines;
	json_t *r = call(req, strlen(req), -1, &lines);
	const char *e = json_string_value(json_object_get(r, "error"));

	ok(r && json_is_false(json_object_get(r, "ok")) && lines == 1,
	   "%s: one reply line, ok false", what);
	is_int(json_integer_value(json_object_get(r, "code")), code, "%s: code %d", what, code);
	ok(e && strstr(e, text), "%s: error '%s'", what, e ? e : "(none)");
	json_decref(r);
}

/* utf8_scrub keeps valid UTF-8 and replaces every byte of what is not. */
static void test_utf8_scrub(void)
{
	static const struct {
		const char *in, *out, *what;
	} c[] = {
		{"plain ascii", "plain ascii", "ASCII"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "2-, 3- and 4-byte characters"},
		{"a\xe0\xa8", "a??", "a 3-byte character cut short"},
		{"\xc0\xaf", "??", "an overlong '/'"},
		{"\xed\xa0\x80", "???", "a surrogate"},
		{"\xf4\x90\x80\x80", "????", "beyond U+10FFFF"},
		{"\x80x\xff", "?x?", "stray continuation and 0xff"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", c[i].in);
		utf8_scrub(buf);
		is_str(buf, c[i].out, "utf8_scrub: %s", c[i].what);
	}
}

/* A reply that could not be built (json_pack of a string that is not
 * UTF-8 returns NULL) still reaches the client as one error line. */
static void test_reply_unbuildable(void)
{
	int sp[2];
	char buf[512];
	ssize_t n;
	json_t *r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		exit(2);
	sv_reply(&sv, sp[0], json_pack("{s:s}", "error", "bad \xff byte"));
	n = read(sp[1], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	r = json_loads(buf, 0, NULL);
	ok(n > 0 && buf[n - 1] == '\n' && r && json_is_false(json_object_get(r, "ok")),
	   "an unbuildable reply becomes one error line: %s", buf);
	json_decref(r);
	close(sp[1]);
}

static void test_bad_requests(void)
{
	int lines;
	json_t *r;

	want_err("{\"cmd\":", EXIT_CONFIG, "bad request", "truncated JSON");
	want_err("not json", EXIT_CONFIG, "bad request", "not JSON");
	/* An escape of a 3-byte character: jansson's error text quotes its
	 * first byte only (fuzz_ctl found the missing reply: the input is in
	 * tests/fuzz/regress/ctl/). */
	want_err("{\"cmd\":\"imp\\\xe0\xa8\xbb\"}", EXIT_CONFIG,
		 "bad request: invalid escape near '\"imp\\?'",
		 "an error text quoting half a UTF-8 character");
	want_err("[\"status\"]", EXIT_CONFIG, "not a JSON object", "an array");
	want_err("{\"x\":1}", EXIT_CONFIG, "no cmd", "no cmd");
	want_err("{\"cmd\":7}", EXIT_CONFIG, "no cmd", "cmd not a string");
	want_err("{\"cmd\":\"frobnicate\"}", EXIT_CONFIG, "unknown command 'frobnicate'",
		 "an unknown method");
	want_err("{\"cmd\":\"Status\"}", EXIT_CONFIG, "unknown command",
		 "methods are case-sensitive");

	r = call("", 0, -1, &lines);
	ok(!r && lines == 0, "a client that says nothing gets no reply (and is closed)");
	/* The request is one JSON value; what follows it is not read. */
	r = call("{\"cmd\":\"dns-reload\"} trailing", 28, -1, &lines);
	ok(r && json_is_true(json_object_get(r, "ok")) && lines == 1,
	   "a value followed by more text is the request");
	json_decref(r);
}

static void test_fields(void)
{
	want_err("{\"cmd\":\"node\",\"op\":\"stop\"}", EXIT_CONFIG, "no such node",
		 "node: no node");
	want_err("{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"zz\"}", EXIT_CONFIG, "no such node",
		 "node: an unknown node");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\"}", EXIT_CONFIG, "no op", "node: no op");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"frob\"}", EXIT_CONFIG,
		 "unknown node op 'frob'", "node: an unknown op");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"stop\"}", EXIT_STATE,
		 "node n1 is not running (exited)", "node: stop of a stopped node");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"kill\"}", EXIT_STATE, "not running",
		 "node: kill of a stopped node");
	sv.phase = PH_STARTING;
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"start\"}", EXIT_STATE,
		 "still coming up", "node: the lab is starting");
	sv.phase = PH_RUNNING;
	node.op = OP_STOP;
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"start\"}", EXIT_STATE, "busy",
		 "node: an op in flight");
	node.op = OP_NONE;
	want_err("{\"cmd\":\"qmp\",\"node\":\"n1\"}", EXIT_CHILD, "bad qmp request",
		 "qmp: no execute");
	want_err("{\"cmd\":\"qmp\",\"node\":\"n1\",\"execute\":\"stop\",\"arguments\":[]}",
		 EXIT_CHILD, "bad qmp request", "qmp: arguments not an object");
	want_err("{\"cmd\":\"qmp\",\"execute\":\"stop\"}", EXIT_CHILD, "no such node",
		 "qmp: no node");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\"}", EXIT_CHILD, "missing", "impair: no spec");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\",\"spec\":\"delay=banana\"}", EXIT_CHILD,
		 "bad impairment 'delay=banana'", "impair: a bad spec");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\",\"nic\":3,\"spec\":\"clear\"}", EXIT_CHILD,
		 "no such NIC", "impair: no such NIC");
	want_err("{\"cmd\":\"host\",\"op\":\"restart\",\"host\":\"h\"}", EXIT_CHILD, "no such host",
		 "host: no such host");
	want_err("{\"cmd\":\"link\",\"node\":\"n1\",\"nic\":0,\"up\":false}", EXIT_CHILD,
		 "no such host 'n1'", "link: a node is not a host");
	want_err("{\"cmd\":\"forward\",\"node\":\"n1\",\"guest_port\":22}", EXIT_CHILD,
		 "no listening socket passed", "forward: no socket");
}

/* An fd sent with a request is the supervisor's to close, whichever the
 * handler: the pipe's reader sees EOF once every write end is gone. */
static void test_passed_fd(void)
{
	static const char *const reqs[] = {
		"{\"cmd\":\"status\"}",
		"{\"cmd\":\"frobnicate\"}",
		"{\"cmd\":\"forward\",\"node\":\"zz\",\"guest_port\":22}",
		"{\"cmd\":\"forward\",\"node\":\"n1\",\"guest_port\":0}",
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int p[2], lines;
		char c;
		json_t *r;

		if (pipe2(p, O_CLOEXEC) < 0)
			return;
		r = call(reqs[i], strlen(reqs[i]), p[1], &lines);
		close(p[1]);
		ok(r && lines == 1, "%s with an fd: one reply", reqs[i]);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		is_int(read(p[0], &c, 1), 0, "%s: the passed fd was closed", reqs[i]);
		close(p[0]);
		json_decref(r);
	}
}

static void test_status(void)
{
	int lines;
	json_t *r = call("{\"cmd\":\"status\"}", 16, -1, &lines);
	json_t *nodes = json_object_get(r, "nodes");

	ok(r && json_is_true(json_object_get(r, "ok")) && lines == 1, "status: ok");
	is_str(json_string_value(json_object_get(r, "lab")), "tl", "status: the lab's name");
	is_str(json_string_value(json_object_get(r, "state")), "running", "status: running");
	ok(json_array_size(nodes) == 1, "status: one node");
	is_str(json_string_value(json_object_get(json_array_get(nodes, 0), "state")), "exited",
	       "status: the node's state");
	json_decref(r);
}

int main(void)
{
	sv_setup();
	test_utf8_scrub();
	test_reply_unbuildable();
	test_bad_requests();
	test_fields();
	test_passed_fd();
	test_status();
	sv_teardown();
	return done_testing();
}
