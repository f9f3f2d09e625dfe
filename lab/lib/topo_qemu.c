// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_qemu.c - what a node hands QEMU beyond vacmlab's own model: the
 * qemu_args key, checked so that a topology from a stranger cannot reach
 * outside its lab through QEMU.
 *
 * Three rules, applied to every word (docs/topology.md, "qemu_args"):
 *  1. options vacmlab sets itself are refused (qemu_args_owned(), machine.c);
 *  2. options with no lab use that reach outside it (load code, share host
 *     directories, open debug ports, write files QEMU chooses, make their
 *     own character devices, rewrite checked options) are refused, and so
 *     is QEMU's JSON option syntax, which these checks do not read;
 *  3. a file an option names (-kernel FILE, or a key such as file=,
 *     filename=, path=, mem-path=, romfile= in any KEY=VALUE,... list) must
 *     lie in the topology's directory: relative names are resolved there
 *     and rewritten absolute (QEMU runs in the node's runtime dir); a bare
 *     firmware name (romfile=pxe.rom, -bios bios.bin) is QEMU's own data
 *     file, /dev/urandom and /dev/random are allowed as entropy sources.
 * The files of rule 3 are also what the node's Landlock rules grant
 * (qemu_args_files(), used by qemu_confine_rules()): the check is the
 * message, Landlock the enforcement.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/machine.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

struct refused {
	const char *name; /* without the dash */
	const char *why;
};

static const char why_chr[] =
	"it makes a character device of its own (a file, socket or port outside the lab): "
	"use serial = ...";

static const struct refused refused[] = {
	{"plugin", "it loads a shared object into QEMU"},
	{"virtfs", "it shares a host directory with the guest"},
	{"fsdev", "it shares a host directory with the guest"},
	{"gdb", "it opens a debugger port, whose monitor commands reach the host"},
	{"s", "it opens a debugger port on TCP 1234, whose monitor commands reach the host"},
	{"set", "it changes options after vacmlab checked them"},
	{"add-fd", "it hands QEMU file descriptors that other options then open by name"},
	{"D",
	 "it writes QEMU's log to a file of its choosing: QEMU's output is LOGDIR/NODE.qemu.log"},
	{"mem-path", "it backs guest memory with host files"},
	{"L", "it changes where QEMU loads firmware from"},
	{"writeconfig", "it writes a file of its choosing"},
	{"vnc", "it listens for remote displays: the consoles are serial ports"},
	{"spice", "it listens for remote displays: the consoles are serial ports"},
	{"audiodev", "sound backends write files or connect to host servers"},
	{"audio", "sound backends write files or connect to host servers"},
	{"tpmdev", "TPM backends open host devices and sockets"},
	{"debugcon", why_chr},
	{"parallel", why_chr},
	{"virtioconsole", why_chr},
	{"qtest", why_chr},
	{"qtest-log", "it writes a file of its choosing"},
	{"semihosting-config", why_chr},
	{"usbdevice", "it may name host devices and files"},
};

/* Options whose value is one file. firmware: a bare name is QEMU's own
 * data file, looked up under /usr/share. */
struct file_opt {
	const char *name;
	bool firmware;
};

static const struct file_opt file_opts[] = {
	{"kernel", false},    {"initrd", false}, {"dtb", false},      {"bios", true},
	{"option-rom", true}, {"pflash", false}, {"cdrom", false},    {"fda", false},
	{"fdb", false},	      {"sd", false},	 {"mtdblock", false},
};

/* Keys of KEY=VALUE,... lists whose value is a file (the last part of a
 * dotted key: file.filename=, server.path=, e1000.romfile= in -global). */
static const char *const file_keys[] = {
	"file",	      "filename",   "path",	"mem-path", "romfile",	"script",
	"downscript", "dir",	    "evdev",	"events",   "data",	"logfile",
	"splash",     "hostdevice", "sysfsdev", "sock",	    "x509-dir",
};

/* Object types that connect out of the lab by design. */
static const char *const refused_objects[] = {"dbus-vmstate", "vfio-user-server",
					      "pr-manager-helper", "memory-backend-file"};

static const char *opt_name(const char *w, size_t *n)
{
	if (w[0] != '-' || !w[1])
		return NULL;
	w += w[1] == '-' ? 2 : 1;
	*n = strcspn(w, "=");
	return w;
}

static bool is_file_key(const char *key, size_t n)
{
	const char *dot = memrchr(key, '.', n);

	if (dot) {
		n -= (size_t)(dot + 1 - key);
		key = dot + 1;
	}
	for (size_t i = 0; i < sizeof(file_keys) / sizeof(file_keys[0]); i++)
		if (strlen(file_keys[i]) == n && !strncmp(key, file_keys[i], n))
			return true;
	return false;
}

static const struct file_opt *find_file_opt(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(file_opts) / sizeof(file_opts[0]); i++)
		if (strlen(file_opts[i].name) == n && !strncmp(name, file_opts[i].name, n))
			return &file_opts[i];
	return NULL;
}

/* @path (absolute, normalised) is in @dir: by name, and once symlinks are
 * resolved (the file, or the directory it would be made in). */
static bool inside(const char *dir, const char *path)
{
	char rdir[PATH_MAX], rpath[PATH_MAX];
	size_t n;

	if (!realpath(dir, rdir))
		return false;
	n = strlen(dir);
	if (strncmp(path, dir, n) || path[n] != '/')
		return false;
	if (!realpath(path, rpath)) {
		_cleanup_free_ char *parent = xstrdup(path);

		*strrchr(parent, '/') = '\0';
		if (errno != ENOENT || !realpath(parent, rpath))
			return false;
	}
	n = strlen(rdir);
	return !strncmp(rpath, rdir, n) && rpath[n] == '/';
}

/*
 * Check one file value @val of option @opt; returns its rewritten form
 * (malloc'd: absolute, or as it was for a bare firmware name or an
 * entropy device), or NULL with an error reported.
 */
static char *file_value(struct parser *p, const char *opt, const char *val, bool firmware)
{
	char *abs;

	if (!*val) {
		topo_perr(p, p->line, "qemu_args: %s names an empty file", opt);
		return NULL;
	}
	if (!strcmp(val, "/dev/urandom") || !strcmp(val, "/dev/random") ||
	    (firmware && !strchr(val, '/')))
		return xstrdup(val);
	abs = topo_join_path(p->t->dir, val);
	if (!inside(p->t->dir, abs)) {
		topo_perr(p, p->line,
			  "qemu_args: %s names '%s', outside the topology's directory %s: QEMU may "
			  "use only the lab's files",
			  opt, val, p->t->dir);
		free(abs);
		return NULL;
	}
	return abs;
}

/* A KEY=VALUE,... word: every file key checked and rewritten. Returns the
 * new word (malloc'd), or NULL with an error reported. ",," is QEMU's
 * escaped comma: refused in a file value, kept elsewhere. */
static char *keys_word(struct parser *p, const char *opt, const char *w)
{
	size_t cap = strlen(w) + 1, len = 0;
	char *out = xmalloc(cap);

	for (const char *s = w; *s;) {
		const char *e = s, *eq;
		size_t klen;

		while (*e && !(*e == ',' && e[1] != ',')) /* up to an unescaped comma */
			e += *e == ',' ? 2 : 1;
		eq = memchr(s, '=', (size_t)(e - s));
		klen = eq ? (size_t)(eq - s) : 0;
		if (eq && is_file_key(s, klen)) {
			_cleanup_free_ char *val = xasprintf("%.*s", (int)(e - eq - 1), eq + 1);
			_cleanup_free_ char *nv = NULL;
			char what[160];

			snprintf(what, sizeof(what), "%s %.*s=", opt, (int)klen, s);
			if (strstr(val, ",,")) {
				topo_perr(p, p->line, "qemu_args: %s: a file name with a comma",
					  what);
				free(out);
				return NULL;
			}
			nv = file_value(p, what, val, klen >= 7 && !strncmp(eq - 7, "romfile", 7));
			if (!nv) {
				free(out);
				return NULL;
			}
			cap += strlen(nv) + (size_t)(eq - s) + 2;
			out = xrealloc(out, cap);
			len += (size_t)sprintf(out + len, "%.*s%s", (int)(eq + 1 - s), s, nv);
		} else {
			memcpy(out + len, s, (size_t)(e - s));
			len += (size_t)(e - s);
		}
		if (*e == ',')
			out[len++] = *e++;
		s = e;
	}
	out[len] = '\0';
	return out;
}

static bool refused_object(struct parser *p, const char *w)
{
	size_t n = strcspn(w, ",");

	if (!strncmp(w, "qom-type=", 9)) {
		w += 9;
		n -= 9;
	}
	for (size_t i = 0; i < sizeof(refused_objects) / sizeof(refused_objects[0]); i++)
		if (strlen(refused_objects[i]) == n && !strncmp(w, refused_objects[i], n)) {
			topo_perr(
				p, p->line,
				"qemu_args: -object %s reaches outside the lab (host memory files, "
				"sockets or buses)",
				refused_objects[i]);
			return true;
		}
	return false;
}

void topo_qemu_args(struct parser *p, struct node *nd, const char *value)
{
	struct vl_err e = {0};
	char **v = qemu_args_split(value, &e);
	const char *prev = NULL;
	size_t pn = 0;

	if (!v) {
		topo_perr(p, p->line, "%s", e.msg);
		return;
	}
	if (qemu_args_owned(v, &e) < 0) {
		topo_perr(p, p->line, "%s", e.msg);
		goto fail;
	}
	for (char **a = v; *a; a++) {
		size_t n;
		const char *name = opt_name(*a, &n);
		char *nw;

		if (**a == '{') {
			topo_perr(p, p->line,
				  "qemu_args: QEMU's JSON option syntax is not accepted: write "
				  "KEY=VALUE,...");
			goto fail;
		}
		if (name) {
			for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
				if (strlen(refused[i].name) == n &&
				    !strncmp(name, refused[i].name, n)) {
					topo_perr(p, p->line,
						  "qemu_args: %s reaches outside the lab: %s", *a,
						  refused[i].why);
					goto fail;
				}
			prev = name;
			pn = n;
			continue;
		}
		if (prev && find_file_opt(prev, pn)) {
			char what[64];

			snprintf(what, sizeof(what), "-%.*s", (int)pn, prev);
			nw = file_value(p, what, *a, find_file_opt(prev, pn)->firmware);
		} else {
			char what[64];

			snprintf(what, sizeof(what), "-%.*s", prev ? (int)pn : 0, prev ? prev : "");
			if (prev && pn == 6 && !strncmp(prev, "object", 6) && refused_object(p, *a))
				goto fail;
			nw = keys_word(p, what, *a);
		}
		if (!nw)
			goto fail;
		free(*a);
		*a = nw;
		prev = NULL;
	}
	qemu_args_free(nd->qemu_args);
	nd->qemu_args = v;
	return;
fail:
	qemu_args_free(v);
}

char **qemu_args_files(char *const *v)
{
	char **out = xcalloc(1, sizeof(char *));
	size_t k = 0;
	const char *prev = NULL;
	size_t pn = 0;

	for (char *const *a = v; a && *a; a++) {
		size_t n;
		const char *name = opt_name(*a, &n);

		if (name) {
			prev = name;
			pn = n;
			continue;
		}
		if (prev && find_file_opt(prev, pn)) {
			if (**a == '/') {
				out = xrealloc(out, (k + 2) * sizeof(char *));
				out[k++] = xstrdup(*a);
			}
		} else {
			for (const char *s = *a; *s;) {
				const char *e = s, *eq;

				while (*e && !(*e == ',' && e[1] != ','))
					e += *e == ',' ? 2 : 1;
				eq = memchr(s, '=', (size_t)(e - s));
				if (eq && eq[1] == '/' && is_file_key(s, (size_t)(eq - s))) {
					out = xrealloc(out, (k + 2) * sizeof(char *));
					out[k++] = xasprintf("%.*s", (int)(e - eq - 1), eq + 1);
				}
				s = *e ? e + 1 : e;
			}
		}
		prev = NULL;
	}
	out[k] = NULL;
	return out;
}
