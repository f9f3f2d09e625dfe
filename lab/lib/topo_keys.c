// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_keys.c - the keys of a topology file: one table per section, one
 * parser per key, and the handler that finds a key in its table (with a
 * did-you-mean when it is not there). Each parser checks its value on its
 * own (syntax, ranges; the structured values in topo_values.c) and against
 * earlier lines, and records an error for its line; topo_check.c does what
 * needs the whole file.
 */
#include <errno.h>
#include <sys/stat.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/logfile.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

/* ------------------------------------------------------ the keys, by section */

static struct lan *cur_lan(struct parser *p)
{
	return &p->t->lans[p->cur];
}

static struct node *cur_node(struct parser *p)
{
	return &p->t->nodes[p->cur];
}

static struct host *cur_host(struct parser *p)
{
	return &p->t->hosts[p->cur];
}

/* [lab] */

static void lab_name(struct parser *p, const char *value)
{
	const char *why = lab_name_check(value);

	if (why) {
		topo_perr(p, p->line, "lab name '%s' %s", value, why);
		return;
	}
	free(p->t->name);
	p->t->name = xstrdup(value);
}

static void lab_domain(struct parser *p, const char *value)
{
	const char *why = topo_check_domain(value);

	if (why) {
		topo_perr(p, p->line, "domain '%s' %s", value, why);
		return;
	}
	free(p->t->domain);
	p->t->domain = xstrdup(value);
}

static void lab_log_max(struct parser *p, const char *value)
{
	long long v;

	if (logfile_parse_size(value, &v) < 0) {
		topo_perr(p, p->line, "bad log_max '%s': expected a size such as 16M, 512K or 1G",
			  value);
		return;
	}
	if (v && v < LOG_MAX_MIN) {
		topo_perr(p, p->line, "log_max '%s' is too small: at least 64K (or 0 for no limit)",
			  value);
		return;
	}
	p->t->log_max = v;
}

/* ------------------------------------------- machine model and accel */

static void key_machine(struct parser *p, const char *value, enum machine_type *out)
{
	struct vl_err e = {0};

	if (machine_parse(value, out, &e) < 0)
		topo_perr(p, p->line, "%s", e.msg);
}

static void key_disk(struct parser *p, const char *value, enum disk_bus *out)
{
	struct vl_err e = {0};

	if (disk_bus_parse(value, out, &e) < 0)
		topo_perr(p, p->line, "%s", e.msg);
}

static void key_cpu(struct parser *p, const char *value, char **out)
{
	struct vl_err e = {0};

	if (cpu_model_check(value, &e) < 0) {
		topo_perr(p, p->line, "%s", e.msg);
		return;
	}
	free(*out);
	*out = xstrdup(value);
}

static void lab_machine(struct parser *p, const char *value)
{
	key_machine(p, value, &p->t->machine);
}

static void lab_disk(struct parser *p, const char *value)
{
	key_disk(p, value, &p->t->disk);
}

static void lab_cpu(struct parser *p, const char *value)
{
	key_cpu(p, value, &p->t->cpu);
}

static void lab_accel(struct parser *p, const char *value)
{
	struct vl_err e = {0};

	if (accel_parse(value, &p->t->accel, &e) < 0) {
		topo_perr(p, p->line, "%s", e.msg);
		return;
	}
	p->t->accel_set = true;
	p->t->accel_line = p->line;
}

static void lab_boot_parallel(struct parser *p, const char *value)
{
	topo_value_int(p, "boot_parallel", value, 1, 1024, "nodes", &p->t->boot_parallel);
}

static void lab_dhcp_ping(struct parser *p, const char *value)
{
	if (!strcmp(value, "yes") || !strcmp(value, "no"))
		p->t->dhcp_ping = !strcmp(value, "yes");
	else
		topo_perr(p, p->line, "bad dhcp_ping '%s': expected yes or no", value);
}

static void lab_boot_yield(struct parser *p, const char *value)
{
	if (!strcmp(value, "yes") || !strcmp(value, "no"))
		p->t->no_boot_yield = !strcmp(value, "no");
	else
		topo_perr(p, p->line, "bad boot_yield '%s': expected yes or no", value);
}

/* confine = no: QEMU and dnsmasq run without Landlock (debugging). */
static void lab_confine(struct parser *p, const char *value)
{
	if (!strcmp(value, "yes") || !strcmp(value, "no"))
		p->t->no_confine = !strcmp(value, "no");
	else
		topo_perr(p, p->line, "bad confine '%s': expected yes or no", value);
}

/* [lan NAME] */

static void lan_subnet(struct parser *p, const char *value)
{
	topo_value_subnet(p, cur_lan(p), value);
}

static void lan_subnet6(struct parser *p, const char *value)
{
	topo_value_subnet6(p, cur_lan(p), value);
}

static void lan_address(struct parser *p, const char *value)
{
	if (!parse_ip(value, &cur_lan(p)->addr)) {
		topo_perr(p, p->line, "bad address '%s': expected an IPv4 address", value);
		return;
	}
	p->lan_x[p->cur].addr_set = true;
}

static void lan_dhcp(struct parser *p, const char *value)
{
	struct lan *lan = cur_lan(p);
	_cleanup_free_ char *buf = xstrdup(value);
	char *dash = strchr(buf, '-');

	if (dash)
		*dash = '\0';
	if (!dash || !parse_ip(buf, &lan->dhcp_lo) || !parse_ip(dash + 1, &lan->dhcp_hi)) {
		topo_perr(p, p->line,
			  "bad dhcp range '%s': expected FIRST-LAST such as "
			  "192.168.0.100-192.168.0.199",
			  value);
		return;
	}
	if (h32(lan->dhcp_lo) > h32(lan->dhcp_hi)) {
		topo_perr(p, p->line, "bad dhcp range '%s': the first address is above the last",
			  value);
		return;
	}
	p->lan_x[p->cur].dhcp_set = true;
}

static void lan_uplink(struct parser *p, const char *value)
{
	struct lan *lan = cur_lan(p);

	if (strcmp(value, "pasta")) {
		topo_perr(p, p->line, "unknown uplink '%s': the only uplink is pasta", value);
		return;
	}
	free(lan->uplink);
	lan->uplink = xstrdup(value);
}

static void lan_home(struct parser *p, const char *value)
{
	free(cur_lan(p)->home_name);
	cur_lan(p)->home_name = xstrdup(value);
}

static void lan_vni(struct parser *p, const char *value)
{
	int v = 0;

	topo_value_int(p, "vni", value, 1, 16777215, "", &v);
	cur_lan(p)->vni = (uint32_t)v;
}

/* [machine NAME] */

static struct machine *cur_machine(struct parser *p)
{
	return &p->t->machines[p->cur];
}

static void machine_address(struct parser *p, const char *value)
{
	struct machine *m = cur_machine(p);
	uint32_t a;

	if (!parse_ip(value, &m->addr) && !value[strspn(value, "0123456789.")]) {
		/* Digits and dots: a mistyped address, never looked up. */
		topo_perr(p, p->line, "bad address '%s': expected an IPv4 address", value);
		return;
	} else if (!parse_ip(value, &m->addr)) {
		if (topo_machine_resolve(p, m, value) != 0)
			return; /* an error, or a name left unresolved */
	}
	a = h32(m->addr);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 24) >= 224) {
		topo_perr(p, p->line,
			  "machine address '%s' cannot carry VXLAN: 0.0.0.0/8, 127.0.0.0/8 and "
			  "224.0.0.0/3 are not unicast addresses of a machine",
			  value);
		return;
	}
}

static void machine_port(struct parser *p, const char *value)
{
	topo_value_int(p, "port", value, 1, 65535, "", &cur_machine(p)->port);
}

/* [node NAME] */

void topo_node_defaults(struct node *nd)
{
	nd->memory_mb = 256;
	nd->cpus = 1;
	nd->nic_model = xstrdup("virtio-net-pci");
	nd->serial[0].kind = SERIAL_CONSOLE;
	nd->n_serial = 1;
	nd->ready.timeout_s = TOPO_READY_TIMEOUT_DEFAULT;
}

static void node_image(struct parser *p, const char *value)
{
	p->node_x[p->cur].image_raw = xstrdup(value);
}

static void node_memory(struct parser *p, const char *value)
{
	topo_value_int(p, "memory", value, 16, 65536, "MiB", &cur_node(p)->memory_mb);
}

static void node_cpus(struct parser *p, const char *value)
{
	topo_value_int(p, "cpus", value, 1, 64, "", &cur_node(p)->cpus);
}

static void node_nic(struct parser *p, const char *value)
{
	struct node *nd = cur_node(p);

	topo_value_nic(p, value, &nd->nics, &nd->n_nics, "node", nd->name);
}

static void node_nic_model(struct parser *p, const char *value)
{
	struct node *nd = cur_node(p);

	if (topo_value_model(p, value) < 0)
		return;
	free(nd->nic_model);
	nd->nic_model = xstrdup(value);
}

static void node_serial(struct parser *p, const char *value)
{
	topo_value_serial(p, cur_node(p), value);
}

static void node_ready(struct parser *p, const char *value)
{
	topo_value_ready(p, cur_node(p), value);
}

static void node_timeout(struct parser *p, const char *value)
{
	topo_value_int(p, "timeout", value, 1, 3600, "seconds", &cur_node(p)->ready.timeout_s);
}

static void node_forward(struct parser *p, const char *value)
{
	topo_value_forward(p, cur_node(p), value);
}

static void node_impair(struct parser *p, const char *value)
{
	topo_value_impair(p, &p->node_x[p->cur], value);
}

static void node_machine(struct parser *p, const char *value)
{
	key_machine(p, value, &cur_node(p)->machine);
}

static void node_disk(struct parser *p, const char *value)
{
	key_disk(p, value, &cur_node(p)->disk);
}

static void node_cpu(struct parser *p, const char *value)
{
	key_cpu(p, value, &cur_node(p)->cpu);
}

static void node_qemu_args(struct parser *p, const char *value)
{
	topo_qemu_args(p, cur_node(p), value);
}

/* config = PATH / nvlog = PATH: what sda3 / sda4 hold on a node's first
 * boot (lab/lib/part.c), a directory or a tar, relative to this file. */
static void key_seed(struct parser *p, const char *key, const char *value, char **out)
{
	struct stat st;

	free(*out);
	*out = topo_join_path(p->t->dir, value);
	if (stat(*out, &st) < 0)
		topo_perr(p, p->line, "%s '%s': %s (resolved to %s)", key, value, strerror(errno),
			  *out);
	else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		topo_perr(p, p->line, "%s '%s' is neither a directory nor a tar file", key, value);
}

static void node_config(struct parser *p, const char *value)
{
	key_seed(p, "config", value, &cur_node(p)->config_seed);
}

static void node_nvlog(struct parser *p, const char *value)
{
	key_seed(p, "nvlog", value, &cur_node(p)->nvlog_seed);
}

static void node_retries(struct parser *p, const char *value)
{
	topo_value_int(p, "retries", value, 0, 10, "restarts", &cur_node(p)->retries);
}

/* after = NODE...: names only here; topo_check.c resolves them and refuses
 * unknown nodes and cycles. */
static void node_after(struct parser *p, const char *value)
{
	struct node *nd = cur_node(p);
	_cleanup_free_ char *copy = xstrdup(value);
	char *tok[TOPO_MAX_AFTER + 1];
	int n = str_split(copy, tok, TOPO_MAX_AFTER + 1);

	if (n < 1) {
		topo_perr(p, p->line, "after needs one or more node names");
		return;
	}
	if (n > TOPO_MAX_AFTER) {
		topo_perr(p, p->line, "after: at most %d nodes", TOPO_MAX_AFTER);
		return;
	}
	for (int i = 0; i < nd->n_after; i++)
		free(nd->after[i]);
	free(nd->after);
	nd->after = xcalloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (!strcmp(tok[i], tok[j])) {
				topo_perr(p, p->line, "after names node '%s' twice", tok[i]);
				break;
			}
		nd->after[i] = xstrdup(tok[i]);
	}
	nd->n_after = n;
	nd->after_line = p->line;
}

static void node_on(struct parser *p, const char *value)
{
	free(cur_node(p)->on_name);
	cur_node(p)->on_name = xstrdup(value);
}

/* [host NAME] */

static void host_nic(struct parser *p, const char *value)
{
	struct host *h = cur_host(p);

	topo_value_nic(p, value, &h->nics, &h->n_nics, "host", h->name);
}

static void host_command(struct parser *p, const char *value)
{
	struct host *h = cur_host(p);

	free(h->command);
	h->command = xstrdup(value);
}

static void host_impair(struct parser *p, const char *value)
{
	topo_value_impair(p, &p->host_x[p->cur], value);
}

static void host_on(struct parser *p, const char *value)
{
	free(cur_host(p)->on_name);
	cur_host(p)->on_name = xstrdup(value);
}

/*
 * The key tables: one line per key, {name, repeatable, parser}. A new key
 * is a slot in topo_int.h (enum *K_*), a line here, its parser above (a
 * structured value's grammar may go to topo_values.c), its default in
 * topo_node_defaults() for a node key; checks that need the whole file go
 * to topo_check.c.
 */
struct keydef {
	const char *name;
	bool repeatable;
	void (*parse)(struct parser *p, const char *value);
};

static const struct keydef lab_keys[LABK_N] = {
	[LABK_NAME] = {"name", false, lab_name},
	[LABK_DOMAIN] = {"domain", false, lab_domain},
	[LABK_LOG_MAX] = {"log_max", false, lab_log_max},
	[LABK_MACHINE] = {"machine", false, lab_machine},
	[LABK_DISK] = {"disk", false, lab_disk},
	[LABK_CPU] = {"cpu", false, lab_cpu},
	[LABK_ACCEL] = {"accel", false, lab_accel},
	[LABK_BOOT_PARALLEL] = {"boot_parallel", false, lab_boot_parallel},
	[LABK_DHCP_PING] = {"dhcp_ping", false, lab_dhcp_ping},
	[LABK_BOOT_YIELD] = {"boot_yield", false, lab_boot_yield},
	[LABK_CONFINE] = {"confine", false, lab_confine},
};
static const struct keydef lan_keys[LANK_N] = {
	[LANK_SUBNET] = {"subnet", false, lan_subnet},
	[LANK_ADDRESS] = {"address", false, lan_address},
	[LANK_DHCP] = {"dhcp", false, lan_dhcp},
	[LANK_UPLINK] = {"uplink", false, lan_uplink},
	[LANK_HOME] = {"home", false, lan_home},
	[LANK_VNI] = {"vni", false, lan_vni},
	[LANK_SUBNET6] = {"subnet6", false, lan_subnet6},
	[LANK_DHCP_OPTION] = {"dhcp_option", true, topo_key_dhcp_option},
	[LANK_VENDOR_CLASS] = {"vendor_class", false, topo_key_vendor_class},
	[LANK_ZTP] = {"ztp", false, topo_key_ztp},
	[LANK_TFTP] = {"tftp", false, topo_key_tftp},
};
static const struct keydef node_keys[NODEK_N] = {
	[NODEK_IMAGE] = {"image", false, node_image},
	[NODEK_MEMORY] = {"memory", false, node_memory},
	[NODEK_CPUS] = {"cpus", false, node_cpus},
	[NODEK_NIC] = {"nic", true, node_nic},
	[NODEK_NIC_MODEL] = {"nic_model", false, node_nic_model},
	[NODEK_SERIAL] = {"serial", false, node_serial},
	[NODEK_READY] = {"ready", false, node_ready},
	[NODEK_TIMEOUT] = {"timeout", false, node_timeout},
	[NODEK_FORWARD] = {"forward", true, node_forward},
	[NODEK_IMPAIR] = {"impair", true, node_impair},
	[NODEK_MACHINE] = {"machine", false, node_machine},
	[NODEK_DISK] = {"disk", false, node_disk},
	[NODEK_CPU] = {"cpu", false, node_cpu},
	[NODEK_QEMU_ARGS] = {"qemu_args", false, node_qemu_args},
	[NODEK_CONFIG] = {"config", false, node_config},
	[NODEK_NVLOG] = {"nvlog", false, node_nvlog},
	[NODEK_RETRIES] = {"retries", false, node_retries},
	[NODEK_AFTER] = {"after", false, node_after},
	[NODEK_ON] = {"on", false, node_on},
	[NODEK_DHCP_OPTION] = {"dhcp_option", true, topo_key_dhcp_option},
	[NODEK_VENDOR_CLASS] = {"vendor_class", false, topo_key_vendor_class},
	[NODEK_ZTP] = {"ztp", false, topo_key_ztp},
	[NODEK_USB] = {"usb", false, topo_key_usb},
};
static const struct keydef host_keys[HOSTK_N] = {
	[HOSTK_NIC] = {"nic", true, host_nic},
	[HOSTK_COMMAND] = {"command", false, host_command},
	[HOSTK_IMPAIR] = {"impair", true, host_impair},
	[HOSTK_ON] = {"on", false, host_on},
	[HOSTK_SERVE] = {"serve", false, topo_key_serve},
};
static const struct keydef device_keys[DEVK_N] = {
	[DEVK_COMMAND] = {"command", false, topo_device_command},
	[DEVK_RESTART] = {"restart", false, topo_device_restart},
};
static const struct keydef machine_keys[MACHK_N] = {
	[MACHK_ADDRESS] = {"address", false, machine_address},
	[MACHK_PORT] = {"port", false, machine_port},
};

struct sectkeys {
	const char *label; /* for "belongs in" hints */
	const struct keydef *keys;
	int n;
};

static const struct sectkeys sect_keys[] = {
	[SECT_LAB] = {"[lab]", lab_keys, LABK_N},
	[SECT_LAN] = {"[lan NAME]", lan_keys, LANK_N},
	[SECT_NODE] = {"[node NAME]", node_keys, NODEK_N},
	[SECT_HOST] = {"[host NAME]", host_keys, HOSTK_N},
	[SECT_MACHINE] = {"[machine NAME]", machine_keys, MACHK_N},
	[SECT_DEVICE] = {"[device NAME]", device_keys, DEVK_N},
};

void topo_keys_foreach(void (*fn)(const char *section, const char *key, void *arg), void *arg)
{
	static const char *const kind[] = {
		[SECT_LAB] = "lab",   [SECT_LAN] = "lan",	  [SECT_NODE] = "node",
		[SECT_HOST] = "host", [SECT_MACHINE] = "machine", [SECT_DEVICE] = "device",
	};

	for (size_t s = 0; s < ARRAY_SIZE(sect_keys); s++)
		for (int k = 0; sect_keys[s].keys && k < sect_keys[s].n; k++)
			fn(kind[s], sect_keys[s].keys[k].name, arg);
}

_Static_assert(LABK_N <= KEYS_MAX && LANK_N <= KEYS_MAX && NODEK_N <= KEYS_MAX &&
		       HOSTK_N <= KEYS_MAX && MACHK_N <= KEYS_MAX && DEVK_N <= KEYS_MAX,
	       "KEYS_MAX too small");

/* "unknown key": with the closest key of the section, or the section the
 * key belongs in. */
static void unknown_key(struct parser *p, const struct sectkeys *sk, const char *name)
{
	const char *names[KEYS_MAX];
	const char *best;

	for (int k = 0; k < sk->n; k++)
		names[k] = sk->keys[k].name;
	best = topo_suggest(name, names, sk->n);
	if (best) {
		topo_perr(p, p->line, "unknown key '%s' in %s; did you mean '%s'?", name, p->label,
			  best);
		return;
	}
	for (size_t s = 0; s < ARRAY_SIZE(sect_keys); s++)
		for (int k = 0; sect_keys[s].keys && k < sect_keys[s].n; k++)
			if (!strcmp(sect_keys[s].keys[k].name, name)) {
				topo_perr(p, p->line, "unknown key '%s' in %s: it belongs in %s",
					  name, p->label, sect_keys[s].label);
				return;
			}
	topo_perr(p, p->line, "unknown key '%s' in %s", name, p->label);
}

/* inih's handler: one name = value pair of the current section. */
int topo_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct sectkeys *sk;
	int *kl = NULL, k;

	(void)section; /* we track sections ourselves, see topo_load.c */
	switch (p->sect) {
	case SECT_NONE:
		topo_perr(p, p->line,
			  "key '%s' outside of any section: start with [lab], [lan NAME], [node "
			  "NAME] or [host NAME]",
			  name);
		return 1;
	case SECT_BAD: return 1;
	case SECT_LAB: kl = p->lab_kl; break;
	case SECT_LAN: kl = p->lan_x[p->cur].kl; break;
	case SECT_NODE: kl = p->node_x[p->cur].kl; break;
	case SECT_HOST: kl = p->host_x[p->cur].kl; break;
	case SECT_MACHINE: kl = p->mach_x[p->cur].kl; break;
	case SECT_DEVICE: kl = p->dev_x[p->cur].kl; break;
	}
	sk = &sect_keys[p->sect];
	for (k = 0; k < sk->n; k++)
		if (!strcmp(sk->keys[k].name, name))
			break;
	if (k == sk->n) {
		unknown_key(p, sk, name);
		return 1;
	}
	if (kl[k] && !sk->keys[k].repeatable) {
		topo_perr(p, p->line, "duplicate key '%s' in %s (first at line %d)", name, p->label,
			  kl[k]);
		return 1;
	}
	if (!kl[k])
		kl[k] = p->line;
	if (!*value) {
		topo_perr(p, p->line, "key '%s' in %s has no value", name, p->label);
		return 1;
	}
	sk->keys[k].parse(p, value);
	return 1;
}
