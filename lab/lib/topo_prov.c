// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_prov.c - the provisioning keys of a topology (docs/provisioning.md):
 * `dhcp_option`, `vendor_class` and `ztp` in [lan] and [node], `tftp` in
 * [lan], `serve` in [host], `usb` in [node]; and, once the whole file is
 * read, the ZTP's option 43: each URL's host name resolved to the lab
 * address it names (a LAN's bridge, a host's or node's fixed address), so
 * the appliance needs no DNS to provision, then encoded (lab/lib/dhcpopt.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

static char *strndup_x(const char *s, size_t n)
{
	char *r = strndup(s, n);

	if (!r)
		abort();
	return r;
}

static struct dhcp_set *cur_set(struct parser *p)
{
	if (p->sect == SECT_LAN)
		return &p->t->lans[p->cur].dhcp;
	return &p->t->nodes[p->cur].dhcp;
}

void topo_key_dhcp_option(struct parser *p, const char *value)
{
	struct dhcp_set *d = cur_set(p);
	struct dhcpopt o;
	char why[TOPO_MSG_MAX - 64];

	if (dhcpopt_parse(value, &o, why, sizeof(why)) < 0) {
		topo_perr(p, p->line, "%s", why);
		return;
	}
	for (int i = 0; i < d->n_opts; i++)
		if (d->opts[i].code == o.code) {
			topo_perr(p, p->line, "dhcp_option %d given twice in %s (first at line %d)",
				  o.code, p->label, d->opt_lines[i]);
			return;
		}
	d->opts = xrealloc(d->opts, (size_t)(d->n_opts + 1) * sizeof(*d->opts));
	d->opt_lines = xrealloc(d->opt_lines, (size_t)(d->n_opts + 1) * sizeof(int));
	d->opts[d->n_opts] = o;
	d->opt_lines[d->n_opts++] = p->line;
}

/* The characters of a vendor class: what appliances send (Opengear units:
 * "Opengear/MODEL"), and nothing dnsmasq's config syntax would read
 * otherwise (commas, '#', quotes, blanks). */
void topo_key_vendor_class(struct parser *p, const char *value)
{
	struct dhcp_set *d = cur_set(p);
	size_t n = strlen(value);

	if (n > 255 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._/:+-()") != n) {
		topo_perr(p, p->line,
			  "bad vendor_class '%s': at most 255 of letters, digits and . _ / : + - "
			  "( )",
			  value);
		return;
	}
	free(d->vendor_class);
	d->vendor_class = xstrdup(value);
}

void topo_key_ztp(struct parser *p, const char *value)
{
	struct dhcp_set *d = cur_set(p);
	_cleanup_free_ char *copy = xstrdup(value);
	char *tok[4], why[TOPO_MSG_MAX - 64];
	char *cfg = NULL, *fw = NULL;
	int n = str_split(copy, tok, 4);

	for (int i = 0; i < n; i++) {
		char **slot = !strncmp(tok[i], "config=", 7)	 ? &cfg
			      : !strncmp(tok[i], "firmware=", 9) ? &fw
								 : NULL;

		if (!slot || i > 1) {
			topo_perr(p, p->line, "bad ztp '%s': expected config=URL [firmware=URL]",
				  value);
			return;
		}
		if (*slot) {
			topo_perr(p, p->line, "ztp: %.*s given twice", (int)strcspn(tok[i], "="),
				  tok[i]);
			return;
		}
		*slot = strchr(tok[i], '=') + 1;
		if (ztp_url_check(*slot, NULL, NULL, why, sizeof(why)) < 0) {
			topo_perr(p, p->line, "ztp: %s", why);
			return;
		}
	}
	if (!cfg) {
		topo_perr(p, p->line, "ztp '%s' has no config=URL (the configuration to apply)",
			  value);
		return;
	}
	d->ztp_config = xstrdup(cfg);
	d->ztp_firmware = fw ? xstrdup(fw) : NULL;
	d->ztp_line = p->line;
}

/* A path relative to the topology that must be a directory (or, with
 * @file_ok, a regular file); the absolute path, or NULL (error added). */
static char *key_path(struct parser *p, const char *key, const char *value, bool file_ok)
{
	char *abs = topo_join_path(p->t->dir, value);
	struct stat st;

	if (stat(abs, &st) < 0) {
		topo_perr(p, p->line, "%s '%s': %s (resolved to %s)", key, value, strerror(errno),
			  abs);
	} else if (!S_ISDIR(st.st_mode) && !(file_ok && S_ISREG(st.st_mode))) {
		topo_perr(p, p->line, "%s '%s' is not a directory%s", key, value,
			  file_ok ? " nor an image file" : "");
	} else if (access(abs, R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0)) < 0) {
		topo_perr(p, p->line, "%s '%s': %s", key, value, strerror(errno));
	} else {
		return abs;
	}
	free(abs);
	return NULL;
}

void topo_key_tftp(struct parser *p, const char *value)
{
	struct lan *l = &p->t->lans[p->cur];

	free(l->tftp_dir);
	l->tftp_dir = key_path(p, "tftp", value, false);
}

void topo_key_usb(struct parser *p, const char *value)
{
	struct node *nd = &p->t->nodes[p->cur];

	free(nd->usb);
	nd->usb = key_path(p, "usb", value, true);
}

/* serve = DIR [port=N] */
void topo_key_serve(struct parser *p, const char *value)
{
	struct host *h = &p->t->hosts[p->cur];
	_cleanup_free_ char *copy = xstrdup(value);
	char *tok[3];
	int n = str_split(copy, tok, 3);
	long port = 80;

	if (n < 1 || n > 2 || (n == 2 && strncmp(tok[1], "port=", 5))) {
		topo_perr(p, p->line, "bad serve '%s': expected DIR [port=N]", value);
		return;
	}
	if (n == 2 && topo_parse_int(tok[1] + 5, 1, 65535, &port) < 0) {
		topo_perr(p, p->line, "serve: bad port '%s': expected 1..65535", tok[1] + 5);
		return;
	}
	free(h->serve_dir);
	h->serve_dir = key_path(p, "serve", tok[0], false);
	h->serve_port = (int)port;
}

/* ------------------------------------------------ the whole-file check */

/* The first fixed address of @nics, on LAN @on if it has one there. */
static bool nic_addr(const struct nic *nics, int n, const struct lan *on, struct in_addr *a)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++)
			if (nics[i].addr.s_addr && (pass || !on || nics[i].lan == on)) {
				*a = nics[i].addr;
				return true;
			}
	return false;
}

/* The address a URL host @name (length @n) names in the lab: a LAN (its
 * bridge: dnsmasq's TFTP), LAN-gw, a host or node with a fixed address,
 * NAME.DOMAIN for any of these. */
static bool lab_addr(const struct topo *t, const char *name, size_t n, const struct lan *on,
		     struct in_addr *a)
{
	_cleanup_free_ char *s = strndup_x(name, n);
	size_t dl = strlen(t->domain);
	const struct node *nd;
	const struct host *h;
	const struct lan *l;

	if (n > dl + 1 && s[n - dl - 1] == '.' && !strcmp(s + n - dl, t->domain))
		s[n - dl - 1] = 0;
	n = strlen(s);
	if (n > 3 && !strcmp(s + n - 3, "-gw"))
		s[n - 3] = 0;
	if ((l = topo_find_lan(t, s))) {
		*a = l->addr;
		return true;
	}
	if ((h = topo_find_host(t, s)))
		return nic_addr(h->nics, h->n_nics, on, a);
	if ((nd = topo_find_node(t, s)))
		return nic_addr(nd->nics, nd->n_nics, on, a);
	return false;
}

/* @url with its host resolved, or NULL (error added at @line). */
static char *resolve_url(struct parser *p, const char *url, const struct lan *on, int line)
{
	char why[TOPO_MSG_MAX - 64];
	size_t off, n;
	struct in_addr a;

	if (ztp_url_check(url, &off, &n, why, sizeof(why)) < 0) {
		topo_perr(p, line, "ztp: %s", why);
		return NULL;
	}
	{
		_cleanup_free_ char *host = strndup_x(url + off, n);

		if (parse_ip(host, &a))
			return xstrdup(url);
	}
	if (!lab_addr(p->t, url + off, n, on, &a)) {
		topo_perr(
			p, line,
			"ztp: URL host '%.*s' in '%s' is not a LAN of this lab nor a host or node "
			"with a fixed address",
			(int)n, url + off, url);
		return NULL;
	}
	return xasprintf("%.*s%s%s", (int)off, url, IP(a), url + off + n);
}

static void check_set(struct parser *p, struct dhcp_set *d, const char *label, int line,
		      const struct lan *on)
{
	_cleanup_free_ char *cfg = NULL, *fw = NULL;
	char why[TOPO_MSG_MAX - 64];
	struct dhcpopt o;

	if (d->vendor_class && !d->n_opts && !d->ztp_config)
		topo_perr(p, line, "vendor_class in %s has no dhcp_option or ztp to send", label);
	if (!d->ztp_config)
		return;
	for (int i = 0; i < d->n_opts; i++)
		if (d->opts[i].code == DHCPOPT_VENDOR_ENCAP) {
			topo_perr(p, d->ztp_line,
				  "ztp in %s sets option 43, which dhcp_option at line %d sets too",
				  label, d->opt_lines[i]);
			return;
		}
	cfg = resolve_url(p, d->ztp_config, on, d->ztp_line);
	if (d->ztp_firmware)
		fw = resolve_url(p, d->ztp_firmware, on, d->ztp_line);
	if (!cfg || (d->ztp_firmware && !fw))
		return;
	if (ztp_encode(cfg, fw, &o, why, sizeof(why)) < 0) {
		topo_perr(p, d->ztp_line, "%s", why);
		return;
	}
	d->opts = xrealloc(d->opts, (size_t)(d->n_opts + 1) * sizeof(*d->opts));
	d->opt_lines = xrealloc(d->opt_lines, (size_t)(d->n_opts + 1) * sizeof(int));
	d->opts[d->n_opts] = o;
	d->opt_lines[d->n_opts++] = d->ztp_line;
}

void topo_prov_check(struct parser *p)
{
	struct topo *t = p->t;
	char label[64];

	for (int i = 0; i < t->n_lans; i++) {
		snprintf(label, sizeof(label), "[lan %s]", t->lans[i].name);
		check_set(p, &t->lans[i].dhcp, label, t->lans[i].line, &t->lans[i]);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		snprintf(label, sizeof(label), "[node %s]", nd->name);
		check_set(p, &nd->dhcp, label, nd->line, nd->n_nics ? nd->nics[0].lan : NULL);
	}
}
