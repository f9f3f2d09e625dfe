// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run_report.c - what `vacmlab run` leaves behind for a failure to explain
 * itself: the artifacts folder (console logs, dnsmasq logs and leases,
 * QEMU's stderr, status.json, the supervisor's log, captures) and the
 * JUnit XML report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/cli/run.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

int copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	/* Artifacts are private: a console log holds what was typed on it,
	 * passwords too. 0600, also for a file that was there before. */
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0 || fchmod(out, 0600) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return -EIO;
	return n < 0 ? -errno : 0;
}

/* Copy the regular files of @src (not recursive) into @dst. */
void copy_dir_files(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *s = xasprintf("%s/%s", src, de->d_name);
		_cleanup_free_ char *t = xasprintf("%s/%s", dst, de->d_name);
		struct stat st;

		if (lstat(s, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (copy_file(s, t) < 0)
			msg_warn("copying %s: %s", s, strerror(errno));
	}
	closedir(d);
}

/* Write @s XML-escaped: markup characters as entities, characters XML 1.0
 * forbids (most C0 controls) and bytes that are not valid UTF-8 as '?'. */
static void xml_escape(FILE *f, const char *s, size_t len, bool attr)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;

	while (p < e) {
		unsigned char c = *p;
		int n = 0;

		if (c < 0x80) {
			if (c == '&')
				fputs("&amp;", f);
			else if (c == '<')
				fputs("&lt;", f);
			else if (c == '>')
				fputs("&gt;", f);
			else if (c == '"')
				fputs("&quot;", f);
			else if (c == '\'')
				fputs("&apos;", f);
			else if (attr && (c == '\t' || c == '\n' || c == '\r'))
				fprintf(f, "&#%d;", c); /* else normalised to spaces */
			else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				fputc('?', f);
			else
				fputc(c, f);
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		bool valid = n && p + n < e;

		for (int i = 1; valid && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				valid = false;
		/* Overlongs, surrogates and > U+10FFFF are invalid too. */
		if (valid && n == 2 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
			valid = false;
		if (valid && n == 3 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
			valid = false;
		/* U+FFFE and U+FFFF are not XML characters. */
		if (valid && n == 2 && c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
			valid = false;
		if (!valid) {
			fputc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n + 1, f);
		p += n + 1;
	}
}

static void xml_str(FILE *f, const char *s)
{
	xml_escape(f, s, strlen(s), true);
}

static char *tail_text(struct run *r)
{
	char *s = xmalloc(r->tail_len + 1);
	size_t start = r->tail_len < RUN_TAIL ? 0 : r->tail_head;

	for (size_t i = 0; i < r->tail_len; i++)
		s[i] = r->tail[(start + i) % RUN_TAIL];
	s[r->tail_len] = '\0';
	return s;
}

void write_junit(struct run *r, int status, const char *artifacts)
{
	_cleanup_free_ char *tail = tail_text(r);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", r->junit);
	char ts[64], host[256] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool failed = status != 0;

	if (!f) {
		msg_warn("writing %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	fprintf(f, "  <testsuite name=\"vacmlab run ");
	xml_str(f, r->toponame);
	fprintf(f,
		"\" tests=\"1\" failures=\"%d\" errors=\"%d\" skipped=\"0\" time=\"%.3f\" "
		"timestamp=\"%s\" hostname=\"",
		failed && !r->infra, r->infra, r->elapsed_s, ts);
	xml_str(f, host);
	fprintf(f, "\">\n    <testcase name=\"");
	xml_str(f, r->cmdline);
	fprintf(f, "\" classname=\"");
	xml_str(f, r->toponame);
	fprintf(f, "\" time=\"%.3f\">\n", r->elapsed_s);
	if (r->infra) {
		fprintf(f, "      <error message=\"");
		fprintf(f, "the lab could not come up (exit %d): ", EXIT_RUN_INFRA);
		xml_str(f, r->infra_msg);
		fprintf(f, "\" type=\"infrastructure\">");
		xml_str(f, r->infra_msg);
		fprintf(f, "</error>\n");
	} else if (failed) {
		fprintf(f, "      <failure message=\"%s %d\" type=\"exit-status\">",
			r->timed_out   ? "timed out, exit status"
			: status > 128 ? "killed, exit status"
				       : "exit status",
			status);
		xml_escape(f, tail, strlen(tail), false);
		fprintf(f, "</failure>\n");
	}
	fprintf(f, "      <system-out>lab: ");
	xml_str(f, r->lab);
	fprintf(f, "\ntopology: ");
	xml_str(f, r->topo_path);
	fprintf(f, "\nexit status: %d\n", status);
	if (artifacts) {
		fprintf(f, "artifacts: ");
		xml_str(f, artifacts);
		fprintf(f, "\n");
		/* GitLab and Jenkins (attachments plugin) link these. */
		DIR *d = opendir(artifacts);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			fprintf(f, "[[ATTACHMENT|");
			xml_str(f, artifacts);
			fputc('/', f);
			xml_str(f, de->d_name);
			fprintf(f, "]]\n");
		}
		if (d)
			closedir(d);
	}
	fprintf(f, "</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0 || rename(tmp, r->junit) < 0)
		msg_warn("writing %s: %s", r->junit, strerror(errno));
}

char *artifacts_dir(struct run *r, bool failed)
{
	char *dir;
	bool made;
	int e;

	if (r->artifacts_opt)
		dir = xstrdup(r->artifacts_opt);
	else if (failed)
		dir = xasprintf("vacmlab-artifacts/%s", r->lab);
	else
		return NULL;
	/* 0700: the logs in it are private (copy_file()). A dir the user
	 * named that was there already keeps its mode. */
	made = access(dir, F_OK) < 0;
	e = mkdir_p(dir, 0700);
	if (!e && made && chmod(dir, 0700) < 0)
		e = -errno;
	if (e) {
		msg_err("creating the artifacts dir %s: %s", dir, strerror(-e));
		free(dir);
		return NULL;
	}
	return dir;
}

/* What only exists while the lab is up: status and leases. */
void artifacts_before_down(struct run *r, const char *dir)
{
	struct vl_err e = {0};
	json_t *st = ctl_status(r->lab, &e);
	_cleanup_free_ char *sp = path_in(dir, LF_STATUS_JSON);
	json_t *o;
	size_t i;

	if (!st)
		st = json_incref(r->status); /* the last one we have */
	if (st) {
		_cleanup_free_ char *txt = json_dumps(st, JSON_INDENT(2));

		if (!txt || write_file(sp, txt) < 0) /* 0600 */
			msg_warn("writing %s", sp);
	}
	/* Every LAN shares the lab's one dnsmasq and its lease file. */
	json_array_foreach (json_object_get(st, SK_LANS), i, o) {
		const char *leases = json_string_value(json_object_get(o, SK_LEASES));
		_cleanup_free_ char *dst = xasprintf("%s/dnsmasq.leases", dir);

		if (!leases)
			continue;
		if (copy_file(leases, dst) < 0)
			write_file(dst, ""); /* no lease given: say so with an empty file */
		break;
	}
	json_decref(st);
}

void print_artifacts(const char *dir)
{
	fprintf(stderr, "vacmlab: run: artifacts in %s/\n", dir);
}
