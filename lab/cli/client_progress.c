// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_progress.c - what `up` shows while a lab comes up.
 *
 * The supervisor's progress lines ("S NODE STATE SECONDS [DETAIL]", "W
 * TEXT", "D PHASE") arrive on the sync pipe. On a terminal every node has
 * one line, redrawn in place at least once a second: its state (queued,
 * booting, ready, ...), the time since it started, and while it boots the
 * last line of its console, trimmed (read from the console log the
 * supervisor writes: SYSLINUX, "Linux version ...", "login:"). Warnings
 * are printed above the block. Not on a terminal the same events are plain
 * lines, one per change, never redrawn. --quiet shows nothing but errors.
 * tests/17-progress-tty.t checks all three on a real pseudo-terminal.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/match.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

/* Twice a second: the promise is "at least once a second", and a loaded
 * machine (a dozen TCG guests on two CPUs) wakes poll() late by a few
 * hundred milliseconds; at 1000 ms 17-progress-tty.t saw 1.6 s gaps. */
#define PROGRESS_REDRAW_MS 500

struct prog_node {
	char name[64];
	char state[32];
	char detail[160];
	double secs;	   /* from the last event */
	long long t_event; /* when it arrived */
	bool started;
	char *log;
};

struct progress {
	struct prog_node *nodes;
	int n;
	bool tty, quiet;
	int drawn; /* lines of the block on screen */
	long long next_draw;
};

static int term_width(void)
{
	struct winsize ws;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/* Rows of the terminal, 0 if it does not say. */
static int term_rows(void)
{
	struct winsize ws;

	return ioctl(2, TIOCGWINSZ, &ws) == 0 ? ws.ws_row : 0;
}

struct progress *progress_new(const struct topo *t, const char *logdir, bool tty, bool quiet)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->tty = tty;
	p->quiet = quiet;
	p->n = t->n_nodes;
	/* A block taller than the screen cannot be redrawn in place (the
	 * cursor stops at the top row and each redraw would scroll a copy
	 * away): such a lab gets the plain lines. */
	if (tty && term_rows() > 0 && t->n_nodes > term_rows() - 1)
		p->tty = false;
	p->nodes = xcalloc((size_t)t->n_nodes + 1, sizeof(*p->nodes));
	for (int i = 0; i < t->n_nodes; i++) {
		snprintf(p->nodes[i].name, sizeof(p->nodes[i].name), "%s", t->nodes[i].name);
		snprintf(p->nodes[i].state, sizeof(p->nodes[i].state), "waiting");
		p->nodes[i].log = port_log_path(logdir, t->nodes[i].name, 0);
	}
	return p;
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		free(p->nodes[i].log);
	free(p->nodes);
	free(p);
}

static struct prog_node *find(struct progress *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->nodes[i].name, name))
			return &p->nodes[i];
	return NULL;
}

/* The last non-empty line of a console log, escapes and controls removed. */
static void last_console_line(const char *path, char *out, size_t len)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	char *s, *e;

	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)sizeof(buf) - 1)
		lseek(fd, end - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	text_strip_escapes(buf);
	/* Trailing blank lines and CRs are not "the last line". */
	e = buf + strlen(buf);
	while (e > buf && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		*--e = '\0';
	s = strrchr(buf, '\n');
	s = s ? s + 1 : buf;
	if (strrchr(s, '\r'))
		s = strrchr(s, '\r') + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	snprintf(out, len, "%s", s);
	/* What a guest wrote reaches the user's terminal: no control byte
	 * of any kind (C0, DEL, and bytes >= 0x80, which a terminal in an
	 * 8-bit locale reads as C1 controls such as CSI), and one byte is
	 * one column, so the width cut in draw_block() holds. */
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = ' ';
		else if ((unsigned char)*c >= 0x80)
			*c = '?';
}

static void erase_block(struct progress *p)
{
	for (int i = 0; i < p->drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	p->drawn = 0;
}

static void draw_block(struct progress *p)
{
	long long now = now_ms();
	int width = term_width();

	erase_block(p);
	for (int i = 0; i < p->n; i++) {
		struct prog_node *pn = &p->nodes[i];
		char line[512], tail[256] = "";
		double secs = pn->secs;
		int used;

		if (!strcmp(pn->state, SKV_BOOTING))
			secs += (double)(now - pn->t_event) / 1000.0;
		if (!strcmp(pn->state, SKV_BOOTING))
			last_console_line(pn->log, tail, sizeof(tail));
		/* The words of the plain lines, so that the final block reads
		 * as they do: "ready in 14.6 s", "failed after 120.0 s: ...". */
		if (!pn->started)
			used = snprintf(line, sizeof(line), "  %-13s %s", pn->name, pn->state);
		else if (!strcmp(pn->state, SKV_BOOTING))
			used = snprintf(line, sizeof(line), "  %-13s booting %6.1f s", pn->name,
					secs);
		else if (!strcmp(pn->state, SKV_READY))
			used = snprintf(line, sizeof(line), "  %-13s ready in %.1f s", pn->name,
					secs);
		else
			used = snprintf(line, sizeof(line), "  %-13s %s after %.1f s", pn->name,
					pn->state, secs);
		if (used < 0)
			continue;
		if (tail[0] || pn->detail[0])
			snprintf(line + used, sizeof(line) - (size_t)used, "%s%s",
				 tail[0] || !strcmp(pn->state, SKV_BOOTING) ? "  " : ": ",
				 tail[0] ? tail : pn->detail);
		if ((int)strlen(line) > width - 1)
			line[width - 1] = '\0';
		fprintf(stderr, "%s\n", line);
		p->drawn++;
	}
	fflush(stderr);
	p->next_draw = now + PROGRESS_REDRAW_MS;
}

/* One plain line per event, as `up` always printed them. */
static void plain(struct prog_node *pn)
{
	if (!strcmp(pn->state, SKV_QUEUED))
		fprintf(stderr, "  %-13s queued (waiting for a boot slot or for after =)\n",
			pn->name);
	else if (!strcmp(pn->state, SKV_BOOTING))
		fprintf(stderr, "  %-13s booting...%s%s\n", pn->name, pn->detail[0] ? " " : "",
			pn->detail);
	else if (!strcmp(pn->state, SKV_READY))
		fprintf(stderr, "  %-13s ready in %.1f s\n", pn->name, pn->secs);
	else
		fprintf(stderr, "  %-13s %s after %.1f s%s%s\n", pn->name, pn->state, pn->secs,
			pn->detail[0] ? ": " : "", pn->detail);
}

void progress_event(struct progress *p, const char *line, bool show_down)
{
	char node[64], state[32];
	double secs;
	int end = 0;

	if (p->quiet)
		return;
	if (sscanf(line, "S %63s %31s %lf%n", node, state, &secs, &end) == 3) {
		struct prog_node *pn = find(p, node);
		const char *detail = line + end;

		while (*detail == ' ')
			detail++;
		if (!pn)
			return;
		snprintf(pn->state, sizeof(pn->state), "%s", state);
		snprintf(pn->detail, sizeof(pn->detail), "%s", detail);
		pn->secs = secs;
		pn->t_event = now_ms();
		pn->started = pn->started || strcmp(state, SKV_QUEUED);
		if (p->tty)
			draw_block(p);
		else
			plain(pn);
		return;
	}
	if (line[0] == 'W' || (line[0] == 'D' && show_down)) {
		if (p->tty)
			erase_block(p);
		fprintf(stderr, line[0] == 'W' ? "  warning: %s\n" : "  going down: %s\n",
			line + 2);
		if (p->tty)
			draw_block(p);
	}
}

int progress_tick(struct progress *p)
{
	long long now = now_ms();

	if (p->quiet || !p->tty)
		return -1;
	if (now >= p->next_draw)
		draw_block(p);
	return (int)(p->next_draw - now_ms() > 0 ? p->next_draw - now_ms() : 0);
}

void progress_end(struct progress *p)
{
	if (p && p->tty && !p->quiet && p->drawn) {
		/* Leave the final block as it is: it is the outcome. */
		draw_block(p);
		p->drawn = 0;
	}
}
