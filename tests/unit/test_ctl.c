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
	want_err("{\"cmd\":\"node\",\"op\":\"stop\"}", EXIT_CONFIG,
		 "method 'node': missing field 'node'", "node: no node");
	want_err("{\"cmd\":\"node\",\"op\":\"stop\",\"node\":\"zz\"}", EXIT_CONFIG, "no such node",
		 "node: an unknown node");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\"}", EXIT_CONFIG,
		 "method 'node': missing field 'op'", "node: no op");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"frob\"}", EXIT_CONFIG,
		 "method 'node': field 'op' must be one of stop, start, restart, reset, kill",
		 "node: an unknown op");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"stop\",\"timeout\":1e9}", EXIT_CONFIG,
		 "method 'node': field 'timeout' must be a number in 0..86400",
		 "node: a timeout past a day");
	want_err("{\"cmd\":\"node\",\"node\":\"n1\",\"op\":\"stop\",\"timout\":5}", EXIT_CONFIG,
		 "method 'node': unknown field 'timout'", "node: a misspelt field");
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
	want_err("{\"cmd\":\"qmp\",\"node\":\"n1\"}", EXIT_CONFIG,
		 "method 'qmp': missing field 'execute'", "qmp: no execute");
	want_err("{\"cmd\":\"qmp\",\"node\":\"n1\",\"execute\":\"stop\",\"arguments\":[]}",
		 EXIT_CONFIG, "method 'qmp': field 'arguments' must be an object",
		 "qmp: arguments not an object");
	want_err("{\"cmd\":\"qmp\",\"execute\":\"stop\"}", EXIT_CONFIG,
		 "method 'qmp': missing field 'node'", "qmp: no node");
	want_err("{\"cmd\":\"qmp\",\"node\":\"zz\",\"execute\":\"stop\"}", EXIT_CHILD,
		 "no such node", "qmp: an unknown node");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\"}", EXIT_CONFIG,
		 "method 'impair': missing field 'spec'", "impair: no spec");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\",\"spec\":\"delay=banana\"}", EXIT_CHILD,
		 "bad impairment 'delay=banana'", "impair: a bad spec");
	want_err("{\"cmd\":\"impair\",\"node\":\"n1\",\"nic\":3,\"spec\":\"clear\"}", EXIT_CHILD,
		 "no such NIC", "impair: no such NIC");
	want_err("{\"cmd\":\"host\",\"op\":\"restart\",\"host\":\"h\"}", EXIT_CHILD, "no such host",
		 "host: no such host");
	want_err("{\"cmd\":\"link\",\"node\":\"n1\",\"nic\":0,\"up\":false}", EXIT_CHILD,
		 "no such host 'n1'", "link: a node is not a host");
	want_err("{\"cmd\":\"forward\",\"node\":\"n1\",\"guest_port\":22}", EXIT_CONFIG,
		 "no listening socket passed", "forward: no socket");
	want_err("{\"cmd\":\"forward\",\"node\":\"n1\",\"guest_port\":65536}", EXIT_CONFIG,
		 "method 'forward': field 'guest_port' must be an integer in 1..65535",
		 "forward: a guest port out of range");
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

/* A valid value of field @f (the first of an enum, the lowest number). */
static json_t *good_value(const struct ctl_field *f)
{
	switch (f->type) {
	case CT_STRING: return json_string("n1");
	case CT_ENUM: return json_string(f->one_of[0]);
	case CT_INT: return json_integer(f->min);
	case CT_NUMBER: return json_real((double)f->min);
	case CT_BOOL: return json_true();
	case CT_OBJECT: return json_object();
	}
	return NULL;
}

/* A request of method @m with every required field valid, except @skip
 * (left out) and @bad (given @bad_value, stolen). */
static char *request(const struct ctl_method *m, const struct ctl_field *skip,
		     const struct ctl_field *bad, json_t *bad_value)
{
	json_t *req = json_pack("{s:s}", "cmd", m->name);
	char *s;

	for (const struct ctl_field *f = m->fields; f->name; f++) {
		if (f == skip)
			continue;
		if (f == bad)
			json_object_set_new(req, f->name, bad_value);
		else if (f->required)
			json_object_set_new(req, f->name, good_value(f));
	}
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return s;
}

/* Wrong values for a field of type @t, and the words the error has. */
static const struct {
	enum ctl_type type;
	const char *json, *says;
} wrong[] = {
	{CT_STRING, "7", "must be a string"},
	{CT_STRING, "[\"n1\"]", "must be a string"},
	{CT_ENUM, "\"bogus\"", "must be one of "},
	{CT_ENUM, "1", "must be one of "},
	{CT_INT, "\"22\"", "must be an integer in "},
	{CT_INT, "1.5", "must be an integer in "},
	{CT_INT, "-1", "must be an integer in "},
	{CT_INT, "99999999999", "must be an integer in "},
	{CT_NUMBER, "\"5\"", "must be a number in "},
	{CT_NUMBER, "-0.5", "must be a number in "},
	{CT_NUMBER, "1e300", "must be a number in "},
	{CT_BOOL, "1", "must be true or false"},
	{CT_BOOL, "\"true\"", "must be true or false"},
	{CT_OBJECT, "[]", "must be an object"},
	{CT_OBJECT, "\"{}\"", "must be an object"},
};

/*
 * Every method of the table, every field: a request without a required
 * field, with a field of the wrong type or out of its range, or with a
 * field the method does not take, is answered with code 1 and an error
 * that names the method and the field, before the method runs.
 */
static void test_every_method(void)
{
	size_t n_methods;
	const struct ctl_method *ms = sv_ctl_methods(&n_methods);
	int checked = 0;

	for (size_t i = 0; i < n_methods; i++) {
		const struct ctl_method *m = &ms[i];
		char want[256];
		_cleanup_free_ char *unknown = NULL;

		for (const struct ctl_field *f = m->fields; f->name; f++) {
			if (f->required) {
				_cleanup_free_ char *req = request(m, f, NULL, NULL);

				snprintf(want, sizeof(want), "method '%s': missing field '%s'",
					 m->name, f->name);
				want_err(req, EXIT_CONFIG, want, req);
				checked++;
			}
			for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
				json_t *v;
				_cleanup_free_ char *req = NULL;

				if (wrong[k].type != f->type)
					continue;
				/* 1e300 is in no range; -1 may be (a CT_INT from 0) */
				if (f->type == CT_INT && !strcmp(wrong[k].json, "-1") && f->min < 0)
					continue;
				v = json_loads(wrong[k].json, JSON_DECODE_ANY, NULL);
				req = request(m, NULL, f, v);
				snprintf(want, sizeof(want), "method '%s': field '%s' %s", m->name,
					 f->name, wrong[k].says);
				want_err(req, EXIT_CONFIG, want, req);
				checked++;
			}
		}
		{
			json_t *req = json_pack("{s:s,s:i}", "cmd", m->name, "no_such_field", 1);

			unknown = json_dumps(req, JSON_COMPACT);
			json_decref(req);
			snprintf(want, sizeof(want), "method '%s': unknown field 'no_such_field'",
				 m->name);
			/* the missing fields of a method that has some come first */
			if (m->fields[0].name && m->fields[0].required)
				snprintf(want, sizeof(want), "method '%s': missing field '%s'",
					 m->name, m->fields[0].name);
			want_err(unknown, EXIT_CONFIG, want, unknown);
			checked++;
		}
	}
	ok(n_methods >= 10 && checked > 60, "%zu methods, %d bad requests answered precisely",
	   n_methods, checked);
}

static const char *type_word(enum ctl_type t)
{
	switch (t) {
	case CT_STRING:
	case CT_ENUM: return "string";
	case CT_INT: return "integer";
	case CT_NUMBER: return "number";
	case CT_BOOL: return "boolean";
	case CT_OBJECT: return "object";
	}
	return "?";
}

/* The table's rows as docs/control.md writes them. */
static char *doc_rows(void)
{
	size_t n, len = 0;
	const struct ctl_method *ms = sv_ctl_methods(&n);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < n; i++) {
		if (!ms[i].fields[0].name)
			fprintf(f, "| `%s` | (none) | | | |\n", ms[i].name);
		for (const struct ctl_field *fl = ms[i].fields; fl->name; fl++) {
			fprintf(f, "| `%s` | `%s` | %s | %s | ", ms[i].name, fl->name,
				type_word(fl->type), fl->required ? "yes" : "no");
			if (fl->type == CT_ENUM)
				for (int k = 0; fl->one_of[k]; k++)
					fprintf(f, "%s`%s`", k ? ", " : "", fl->one_of[k]);
			else if (fl->type == CT_INT || fl->type == CT_NUMBER)
				fprintf(f, "%lld..%lld", fl->min, fl->max);
			fprintf(f, " |\n");
		}
	}
	fclose(f);
	return buf;
}

/* docs/control.md lists every method (its Methods table) and every field
 * (the table between the ctl-fields markers) exactly as the code has them. */
static void test_doc(void)
{
	size_t len, n;
	_cleanup_free_ char *doc = read_file("docs/control.md", &len);
	_cleanup_free_ char *rows = doc_rows();
	const struct ctl_method *ms = sv_ctl_methods(&n);
	const char *a = doc ? strstr(doc, "<!-- ctl-fields -->") : NULL;
	const char *b = a ? strstr(a, "<!-- /ctl-fields -->") : NULL;
	const char *body = a ? strstr(a, "|---") : NULL;

	ok(a && b && body && body < b, "docs/control.md has the field table (ctl-fields markers)");
	if (!a || !b || !body || body > b)
		return;
	body = strchr(body, '\n') + 1;
	ok(strlen(rows) == (size_t)(b - body) && !strncmp(rows, body, strlen(rows)),
	   "docs/control.md's field table is the method table");
	if (strlen(rows) != (size_t)(b - body) || strncmp(rows, body, strlen(rows)))
		printf("# the table as the code has it:\n%s", rows);
	for (size_t i = 0; i < n; i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "| `{\"cmd\":\"%s\"", ms[i].name);
		ok(strstr(doc, cmd) != NULL, "docs/control.md's Methods table has %s", ms[i].name);
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
	test_every_method();
	test_doc();
	test_status();
	sv_teardown();
	return done_testing();
}
