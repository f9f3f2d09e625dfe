// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_load.c - the topology parser's entry: INI text (inih) in, a resolved
 * struct topo out, or the list of "FILE:LINE: message" errors. Reads the
 * lines, opens the sections, hands each key to topo_keys.c and the whole
 * file to topo_check.c. Pure: the only outside look is whether each node's
 * image file exists and is readable.
 *
 * DOC: Theory of operation
 *
 * inih (Debian's build, handler without line numbers) calls our reader once
 * per line and our handler (topo_key) once per name=value pair, in file
 * order, so a line counter kept by the reader is the line of the pair being
 * handled. inih does not tell the handler about section headers (an empty
 * section would be invisible), so the reader recognises "[...]" lines
 * itself with inih's own rule and opens the section before inih sees the
 * line. inih reports only its first syntax error, so the reader also spots
 * the lines inih will refuse (a "[" without "]", a line without "=" or
 * ":"), and every one is reported.
 *
 * Two inih globals are set before every parse (this is the only inih user):
 *  - ini_allow_multiline = false: otherwise any indented line after a key is
 *    taken as a continuation of that key, so an indented "memory = 512"
 *    would silently become part of the previous value.
 *  - inline comments stay on (";" after whitespace), as users expect.
 *
 * Checking happens in two passes. While parsing, each value is checked on
 * its own (syntax, ranges) and against earlier lines (duplicate names,
 * duplicate keys, host ports); an error there spoils only its line or its
 * section header, so parsing goes on and every such error is reported.
 * After parsing, and only if no line was wrong, topo_check_all() checks
 * what may refer forward (a NIC's LAN, addresses inside subnets, readiness
 * against serial ports and NICs, images). Errors are sorted by line and
 * kept up to TOPO_ERRORS_MAX.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/logfile.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

#define TOPO_FILE_MAX (1 << 20) /* refuse bigger files: not a topology */

/* The section words, for did-you-mean: lab takes no name, the others one. */
static const char *const sect_words[] = {"lab", "lan", "node", "host", "machine", "device"};

static void add_section(struct parser *p, const char *word, const char *name)
{
	struct topo *t = p->t;

	if (!strcmp(word, "lan")) {
		t->lans = xrealloc(t->lans, (t->n_lans + 1) * sizeof(*t->lans));
		p->lan_x = xrealloc(p->lan_x, (t->n_lans + 1) * sizeof(*p->lan_x));
		memset(&t->lans[t->n_lans], 0, sizeof(*t->lans));
		memset(&p->lan_x[t->n_lans], 0, sizeof(*p->lan_x));
		t->lans[t->n_lans].name = xstrdup(name);
		t->lans[t->n_lans].line = p->line;
		p->cur = t->n_lans++;
		p->sect = SECT_LAN;
	} else if (!strcmp(word, "node")) {
		struct node *nd;

		t->nodes = xrealloc(t->nodes, (t->n_nodes + 1) * sizeof(*t->nodes));
		p->node_x = xrealloc(p->node_x, (t->n_nodes + 1) * sizeof(*p->node_x));
		nd = &t->nodes[t->n_nodes];
		memset(nd, 0, sizeof(*nd));
		memset(&p->node_x[t->n_nodes], 0, sizeof(*p->node_x));
		nd->name = xstrdup(name);
		nd->line = p->line;
		topo_node_defaults(nd);
		p->cur = t->n_nodes++;
		p->sect = SECT_NODE;
	} else if (!strcmp(word, "machine")) {
		t->machines = xrealloc(t->machines, (t->n_machines + 1) * sizeof(*t->machines));
		p->mach_x = xrealloc(p->mach_x, (t->n_machines + 1) * sizeof(*p->mach_x));
		memset(&t->machines[t->n_machines], 0, sizeof(*t->machines));
		memset(&p->mach_x[t->n_machines], 0, sizeof(*p->mach_x));
		t->machines[t->n_machines].name = xstrdup(name);
		t->machines[t->n_machines].line = p->line;
		t->machines[t->n_machines].port = TOPO_VXLAN_PORT;
		p->cur = t->n_machines++;
		p->sect = SECT_MACHINE;
	} else if (!strcmp(word, "device")) {
		t->devices = xrealloc(t->devices, (t->n_devices + 1) * sizeof(*t->devices));
		p->dev_x = xrealloc(p->dev_x, (t->n_devices + 1) * sizeof(*p->dev_x));
		memset(&t->devices[t->n_devices], 0, sizeof(*t->devices));
		memset(&p->dev_x[t->n_devices], 0, sizeof(*p->dev_x));
		t->devices[t->n_devices].name = xstrdup(name);
		t->devices[t->n_devices].line = p->line;
		p->cur = t->n_devices++;
		p->sect = SECT_DEVICE;
	} else {
		t->hosts = xrealloc(t->hosts, (t->n_hosts + 1) * sizeof(*t->hosts));
		p->host_x = xrealloc(p->host_x, (t->n_hosts + 1) * sizeof(*p->host_x));
		memset(&t->hosts[t->n_hosts], 0, sizeof(*t->hosts));
		memset(&p->host_x[t->n_hosts], 0, sizeof(*p->host_x));
		t->hosts[t->n_hosts].name = xstrdup(name);
		t->hosts[t->n_hosts].line = p->line;
		p->cur = t->n_hosts++;
		p->sect = SECT_HOST;
	}
}

static void unknown_section(struct parser *p, char **tok, int n)
{
	const char *best = n >= 1 ? topo_suggest(tok[0], sect_words, ARRAY_SIZE(sect_words)) : NULL;

	if (!best)
		topo_perr(p, p->line,
			  "unknown section %s: expected [lab], [lan NAME], [node NAME] or [host "
			  "NAME]",
			  p->label);
	else if (!strcmp(best, "lab"))
		topo_perr(p, p->line,
			  "unknown section %s: expected [lab], [lan NAME], [node NAME] or [host "
			  "NAME]; did you mean [lab]?",
			  p->label);
	else
		topo_perr(p, p->line,
			  "unknown section %s: expected [lab], [lan NAME], [node NAME] or [host "
			  "NAME]; did you mean [%s %s]?",
			  p->label, best, n >= 2 ? tok[1] : "NAME");
}

/* A "[...]" line: open its section, or SECT_BAD (keys ignored) if wrong. */
static void begin_section(struct parser *p, const char *text, size_t len)
{
	struct topo *t = p->t;
	_cleanup_free_ char *buf = xmalloc(len + 1);
	char *tok[3];
	int n;

	memcpy(buf, text, len);
	buf[len] = '\0';
	p->sect = SECT_BAD;
	snprintf(p->label, sizeof(p->label), "[%s]", buf);
	n = str_split(buf, tok, 2);
	if (n >= 1 && !strcmp(tok[0], "lab")) {
		if (n != 1) {
			topo_perr(p, p->line,
				  "[lab] takes no name: write the lab's name as name = %s", tok[1]);
			return;
		}
		if (p->lab_line) {
			topo_perr(p, p->line, "duplicate [lab] section (first at line %d)",
				  p->lab_line);
			return;
		}
		p->lab_line = p->line;
		p->sect = SECT_LAB;
		snprintf(p->label, sizeof(p->label), "[lab]");
		return;
	}
	if (n == 2 && !strcmp(tok[0], "machine")) {
		for (int i = 0; i < t->n_machines; i++)
			if (!strcmp(t->machines[i].name, tok[1])) {
				topo_perr(p, p->line, "duplicate [machine %s] (first at line %d)",
					  tok[1], t->machines[i].line);
				return;
			}
		if (t->n_machines >= TOPO_MACHINES_MAX) {
			topo_perr(p, p->line, "too many machines: at most %d", TOPO_MACHINES_MAX);
			return;
		}
		if (topo_check_name(p, tok[1]) < 0)
			return;
		snprintf(p->label, sizeof(p->label), "[machine %s]", tok[1]);
		add_section(p, tok[0], tok[1]);
		return;
	}
	if (n == 2 && !strcmp(tok[0], "device")) {
		for (int i = 0; i < t->n_devices; i++)
			if (!strcmp(t->devices[i].name, tok[1])) {
				topo_perr(p, p->line, "duplicate [device %s] (first at line %d)",
					  tok[1], t->devices[i].line);
				return;
			}
	}
	if (n >= 1 &&
	    (!strcmp(tok[0], "lan") || !strcmp(tok[0], "node") || !strcmp(tok[0], "host") ||
	     !strcmp(tok[0], "machine") || !strcmp(tok[0], "device"))) {
		if (n != 2) {
			topo_perr(p, p->line, "section %s needs exactly one name: [%s NAME]",
				  p->label, tok[0]);
			return;
		}
		if (t->n_lans + t->n_nodes + t->n_hosts + t->n_devices >= TOPO_SECTIONS_MAX) {
			topo_perr(p, p->line,
				  "too many sections: at most %d lans, nodes and hosts in all",
				  TOPO_SECTIONS_MAX);
			return;
		}
		if (topo_check_name(p, tok[1]) < 0)
			return;
		snprintf(p->label, sizeof(p->label), "[%s %s]", tok[0], tok[1]);
		add_section(p, tok[0], tok[1]);
		return;
	}
	unknown_section(p, tok, n);
}

/*
 * The reader: one line per call, as fgets would, counting lines. Also
 * classifies the line with inih's rules (after leading blanks and a
 * first-line BOM): a section header ("[" up to a "]" that comes before any
 * inline comment) is opened here; a line inih will refuse is reported.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n, content;
	char *c, *e;
	bool was_space = false;

	if (p->pos >= p->len)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	content = n;
	if (content && s[content - 1] == '\n')
		content--;
	if (content && s[content - 1] == '\r')
		content--;
	/* inih needs room for "\r\n\0"; a longer line would be split in two. */
	if (num < 4 || content > (size_t)num - 3) {
		topo_perr(p, p->line, "line too long: at most %d characters", num - 3);
		str[0] = '\0';
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\0';

	c = str;
	if (p->line == 1 && !strncmp(c, "\xEF\xBB\xBF", 3))
		c += 3;
	while (*c && isspace((unsigned char)*c))
		c++;
	if (!*c || *c == ';' || *c == '#')
		return str; /* blank or comment */
	if (*c != '[') {
		/* A pair needs "=" or ":" before any inline comment. */
		for (e = c; *e && *e != '=' && *e != ':' && !(was_space && *e == ';'); e++)
			was_space = isspace((unsigned char)*e);
		if (*e != '=' && *e != ':')
			topo_perr(p, p->line, "syntax error");
		return str;
	}
	for (e = c + 1; *e && *e != ']' && !(was_space && *e == ';'); e++)
		was_space = isspace((unsigned char)*e);
	if (*e == ']') {
		begin_section(p, c + 1, (size_t)(e - c - 1));
	} else {
		/* inih keeps the previous section: its keys must not land there. */
		p->sect = SECT_BAD;
		topo_perr(p, p->line, "syntax error");
	}
	return str;
}

/* Absolute directory of @path, without requiring it to exist. */
static char *topo_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *d =
		slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	char *real, cwd[PATH_MAX];

	if (!*d)
		return xstrdup("/");
	real = realpath(d, NULL);
	if (real)
		return real;
	if (d[0] == '/')
		return topo_join_path("/", d);
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	return topo_join_path(cwd, d);
}

static int topo_parse(const char *buf, size_t len, const char *path, unsigned flags,
		      struct topo **out, struct topo_err *err)
{
	struct parser p = {.no_resolve = flags & TOPO_LOAD_NO_RESOLVE};
	struct topo *t = xcalloc(1, sizeof(*t));
	int r;

	t->path = xstrdup(path);
	t->dir = topo_dir(path);
	t->log_max = LOG_MAX_DEFAULT;
	p.t = t;
	p.err = err;
	p.buf = buf;
	p.len = len;

	ini_allow_multiline = false; /* see DOC at the top */
	r = ini_parse_stream(reader, &p, topo_key, &p);
	/* The reader saw inih's syntax errors first; this is a safety net
	 * should inih's rules and ours ever differ. */
	if (r > 0) {
		bool seen = false;

		for (int i = 0; i < err->n; i++)
			seen = seen || err->list[i].line == r;
		if (!seen)
			topo_perr(&p, r, "syntax error");
	} else if (r < 0) {
		topo_perr(&p, 0, "out of memory while parsing");
	}
	if (!topo_failed(&p))
		topo_check_all(&p);
	if (!topo_failed(&p))
		topo_prov_check(&p);

	for (int i = 0; i < t->n_lans; i++)
		free(p.lan_x[i].imp);
	for (int i = 0; i < t->n_nodes; i++) {
		free(p.node_x[i].imp);
		free(p.node_x[i].image_raw);
	}
	for (int i = 0; i < t->n_hosts; i++)
		free(p.host_x[i].imp);
	free(p.lan_x);
	free(p.node_x);
	free(p.host_x);
	free(p.mach_x);
	free(p.dev_x);
	free(p.lis);
	free(p.fixed);
	free(p.fixed6);

	topo_err_finish(err);
	if (topo_failed(&p)) {
		topo_free(t);
		*out = NULL;
		return -1;
	}
	*out = t;
	return 0;
}

static void err_init(struct topo_err *err, const char *path)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
}

int topo_load_string(const char *text, const char *path, struct topo **out, struct topo_err *err)
{
	err_init(err, path);
	return topo_parse(text, strlen(text), path, 0, out, err);
}

/* One error for the whole file, before any parsing. */
__attribute__((format(printf, 3, 4))) static int file_err(struct topo_err *err, int line,
							  const char *fmt, ...)
{
	char msg[TOPO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	topo_err_add(err, line, false, "%s", msg);
	topo_err_finish(err);
	return -1;
}

int topo_load(const char *path, struct topo **out, struct topo_err *err)
{
	return topo_load_flags(path, 0, out, err);
}

int topo_load_flags(const char *path, unsigned flags, struct topo **out, struct topo_err *err)
{
	size_t len;
	_cleanup_free_ char *buf = NULL;
	const char *nul;
	struct stat st;

	*out = NULL;
	err_init(err, path);
	/* Refuse FIFOs and devices before read_file() would block on them. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return file_err(err, 0, "cannot open: %s",
				S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
	if (stat(path, &st) == 0 && st.st_size > TOPO_FILE_MAX)
		return file_err(err, 0, "file too large: a topology is at most %d bytes",
				TOPO_FILE_MAX);
	buf = read_file(path, &len);
	if (!buf)
		return file_err(err, 0, "cannot open: %s", strerror(errno));
	nul = memchr(buf, '\0', len);
	if (nul) {
		int line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		return file_err(err, line, "NUL byte: this is not a text file");
	}
	return topo_parse(buf, len, path, flags, out, err);
}
