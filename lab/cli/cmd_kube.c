// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_kube.c - `vacmlab kube TOPO`: the Kubernetes manifests (YAML on
 * stdout) that run a lab spread over [machine] sections on a cluster, one
 * pod per machine running `vacmlab up --machine NAME --foreground`
 * (docs/kubernetes.md). Also what `podman kube play` runs.
 *
 * DOC: Theory of operation
 *  1. kube_names(): each machine's `address` must be a DNS name that is a
 *     Kubernetes name; it becomes its pod's and its headless Service's name,
 *     so the name the topology gives resolves to the pod's address in every
 *     pod (the cluster's DNS; podman's network DNS resolves pod names too).
 *     The topology is read with TOPO_LOAD_NO_RESOLVE: the names are the
 *     cluster's, not this machine's.
 *  2. kube_mounts(): the topology goes in a ConfigMap mounted at its own
 *     directory, and the files it names (images, config seeds, QEMU files)
 *     are hostPath volumes mounted read-only at their own absolute
 *     directories, so the paths the parser resolved are the same in the pod
 *     and the file needs no rewriting. Where the topology's directory and a
 *     file's overlap, the outermost directory is one hostPath volume that
 *     holds the topology as well.
 *  3. Every string is printed as a YAML double-quoted scalar with every
 *     control character escaped (yq()); no YAML library, nothing unquoted
 *     that came from the file.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

#define KUBE_DIRS_MAX 64

struct kube {
	const struct topo *t;
	const char *image;
	const char *ns; /* metadata.namespace, or NULL */
	bool kvm;
	char cm_name[80];	   /* the ConfigMap's name */
	const char *topo_base;	   /* the topology's file name (ConfigMap key) */
	char *dirs[KUBE_DIRS_MAX]; /* hostPath volumes, mounted at the same path */
	int n_dirs;
	bool topo_in_dir; /* the topology comes with a hostPath volume */
};

/* A YAML double-quoted scalar: every byte that is not printable ASCII or a
 * UTF-8 sequence (checked by the caller) is escaped. */
static void yq(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	putchar('"');
	for (; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", stdout);
		else if (*c == '\t')
			fputs("\\t", stdout);
		else if (*c < 0x20 || *c == 0x7f)
			printf("\\x%02x", *c);
		else if (c[0] == 0xc2 && c[1] == 0x85) /* NEL: a line break to YAML */
			fputs("\\N", stdout), c++;
		else if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9))
			fputs(c[2] == 0xa8 ? "\\L" : "\\P", stdout), c += 2;
		else if (c[0] == 0xef && c[1] == 0xbb && c[2] == 0xbf) /* BOM */
			fputs("\\uFEFF", stdout), c += 2;
		else
			putchar(*c);
	}
	putchar('"');
}

/* Valid UTF-8 (no overlongs, no surrogates): what a ConfigMap's data holds. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len = c < 0x80	  ? 1
					 : (c >> 5) == 6  ? 2
					 : (c >> 4) == 14 ? 3
					 : (c >> 3) == 30 ? 4
							  : 0;
		unsigned cp;

		if (!len || i + len > n)
			return false;
		cp = len == 1 ? c : c & (0x7f >> len);
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A Kubernetes object name that is also a DNS label (RFC 1123). */
static bool kube_label_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	return s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-")] == '\0';
}

static int kube_names(const struct topo *t)
{
	int bad = 0;

	if (!t->n_machines) {
		fprintf(stderr,
			"vacmlab kube: %s has no [machine] sections: on Kubernetes each machine "
			"is a pod; add [machine NAME] sections with address = a pod name "
			"(docs/kubernetes.md)\n",
			t->path);
		return -1;
	}
	if (!kube_label_ok(t->name) || strlen(t->name) > 50) {
		fprintf(stderr,
			"vacmlab kube: lab name '%s' is not a Kubernetes name (at most 50 "
			"lowercase letters, digits and '-'): set [lab] name\n",
			t->name);
		return -1;
	}
	for (int i = 0; i < t->n_machines; i++) {
		const struct machine *m = &t->machines[i];

		if (m->host && kube_label_ok(m->host))
			continue;
		fprintf(stderr,
			"vacmlab kube: %s:%d: [machine %s] address '%s' is not a pod name: on "
			"Kubernetes each machine is a pod reached through a headless Service "
			"of the same name; write address = %s-%s (lowercase letters, digits "
			"and '-', at most 63)\n",
			t->path, m->line, m->name, m->host ? m->host : "(an IPv4 address)", t->name,
			m->name);
		bad = -1;
	}
	for (int i = 0; i < t->n_machines; i++)
		for (int j = 0; j < i && !bad; j++)
			if (!strcmp(t->machines[i].host, t->machines[j].host)) {
				fprintf(stderr,
					"vacmlab kube: %s:%d: machines %s and %s have one address "
					"'%s': each machine is a pod of its own\n",
					t->path, t->machines[i].line, t->machines[j].name,
					t->machines[i].name, t->machines[i].host);
				bad = -1;
			}
	return bad;
}

/* Is @a @b or under it? */
static bool path_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

/* Add the directory of @file, keeping only the outermost of nested ones. */
static int add_dir(struct kube *k, const char *dir)
{
	for (int i = 0; i < k->n_dirs; i++)
		if (path_under(dir, k->dirs[i]))
			return 0;
	for (int i = 0; i < k->n_dirs;) {
		if (path_under(k->dirs[i], dir)) {
			free(k->dirs[i]);
			k->dirs[i] = k->dirs[--k->n_dirs];
		} else {
			i++;
		}
	}
	if (k->n_dirs == KUBE_DIRS_MAX) {
		fprintf(stderr,
			"vacmlab kube: the files of the topology are in more than %d "
			"directories\n",
			KUBE_DIRS_MAX);
		return -1;
	}
	k->dirs[k->n_dirs++] = xstrdup(dir);
	return 0;
}

static int add_file_dir(struct kube *k, const char *file)
{
	_cleanup_free_ char *d = xstrdup(file);
	char *slash = strrchr(d, '/');

	if (!slash)
		return 0;
	*(slash == d ? slash + 1 : slash) = '\0';
	return add_dir(k, d);
}

static int kube_mounts(struct kube *k)
{
	const struct topo *t = k->t;
	int r = 0;

	for (int pass = 0; pass < 2; pass++) {
		const struct node *v = pass ? t->away_nodes : t->nodes;
		int n = pass ? t->n_away_nodes : t->n_nodes;

		for (int i = 0; i < n && !r; i++) {
			char **files = qemu_args_files(v[i].qemu_args);

			r = add_file_dir(k, v[i].image);
			if (!r && v[i].config_seed)
				r = add_file_dir(k, v[i].config_seed);
			if (!r && v[i].nvlog_seed)
				r = add_file_dir(k, v[i].nvlog_seed);
			for (char **f = files; f && *f && !r; f++)
				r = add_file_dir(k, *f);
			qemu_args_free(files);
		}
	}
	if (r)
		return r;
	/* The topology's directory overlaps a file's: one hostPath volume. */
	for (int i = 0; i < k->n_dirs; i++)
		if (path_under(t->dir, k->dirs[i]) || path_under(k->dirs[i], t->dir))
			k->topo_in_dir = true;
	return k->topo_in_dir ? add_dir(k, t->dir) : 0;
}

static void meta(const struct kube *k, const char *kind, const char *name, const char *machine)
{
	printf("---\napiVersion: v1\nkind: %s\nmetadata:\n  name: ", kind);
	yq(name);
	if (k->ns) {
		printf("\n  namespace: ");
		yq(k->ns);
	}
	printf("\n  labels:\n    app.kubernetes.io/name: vacmlab\n    vacmlab.lab: ");
	yq(k->t->name);
	if (machine) {
		printf("\n    vacmlab.machine: ");
		yq(machine);
	}
	putchar('\n');
}

static void configmap(const struct kube *k, const char *text)
{
	meta(k, "ConfigMap", k->cm_name, NULL);
	printf("data:\n  ");
	yq(k->topo_base);
	printf(": ");
	yq(text);
	putchar('\n');
}

static void service(const struct kube *k, const struct machine *m)
{
	meta(k, "Service", m->host, m->name);
	printf("spec:\n"
	       "  clusterIP: None\n"
	       "  # the peers resolve the name before the pod is ready\n"
	       "  publishNotReadyAddresses: true\n"
	       "  selector:\n    vacmlab.lab: ");
	yq(k->t->name);
	printf("\n    vacmlab.machine: ");
	yq(m->name);
	printf("\n  ports:\n"
	       "  - name: vxlan\n    protocol: UDP\n    port: %d\n"
	       "  - name: status\n    protocol: TCP\n    port: %d\n",
	       m->port, m->port);
}

static void list_item(const char *indent, const char *s)
{
	printf("%s- ", indent);
	yq(s);
	putchar('\n');
}

static void pod(const struct kube *k, const struct machine *m, const char *topo_abs)
{
	char probe[512];

	meta(k, "Pod", m->host, m->name);
	printf("spec:\n"
	       "  restartPolicy: Always\n"
	       "  # up --foreground downs the lab on SIGTERM\n"
	       "  terminationGracePeriodSeconds: 60\n"
	       "  securityContext:\n"
	       "    runAsUser: 1000\n    runAsGroup: 1000\n    runAsNonRoot: true\n"
	       "  containers:\n"
	       "  - name: vacmlab\n    image: ");
	yq(k->image);
	printf("\n    imagePullPolicy: IfNotPresent\n    command:\n");
	list_item("    ", "/usr/local/bin/vacmlab");
	list_item("    ", "up");
	list_item("    ", "--machine");
	list_item("    ", m->name);
	list_item("    ", "--foreground");
	list_item("    ", topo_abs);
	printf("    securityContext:\n"
	       "      allowPrivilegeEscalation: false\n"
	       "      capabilities:\n        drop: [\"ALL\"]\n");
	/* No ports: here; the Service lists them. (podman kube play
	 * would publish a containerPort on the host.) */
	/* Ready: every node of this machine's part is ready. */
	snprintf(
		probe, sizeof(probe),
		"vacmlab status --here --json %s | jq -e '[.nodes[]?.state] | all(. == \"ready\")'",
		k->t->name);
	printf("    readinessProbe:\n      exec:\n        command:\n");
	list_item("        ", "/bin/sh");
	list_item("        ", "-c");
	list_item("        ", probe);
	printf("      initialDelaySeconds: 5\n      periodSeconds: 5\n      timeoutSeconds: 10\n");
	printf("    volumeMounts:\n"
	       "    - {name: dev-net-tun, mountPath: \"/dev/net/tun\"}\n");
	if (k->kvm)
		printf("    - {name: dev-kvm, mountPath: \"/dev/kvm\"}\n");
	if (!k->topo_in_dir) {
		printf("    - name: topology\n      readOnly: true\n      mountPath: ");
		yq(k->t->dir);
		putchar('\n');
	}
	for (int i = 0; i < k->n_dirs; i++) {
		printf("    - name: files-%d\n      readOnly: true\n      mountPath: ", i);
		yq(k->dirs[i]);
		putchar('\n');
	}
	printf("  volumes:\n"
	       "  - name: dev-net-tun\n    hostPath: {path: \"/dev/net/tun\", type: CharDevice}\n");
	if (k->kvm)
		printf("  - name: dev-kvm\n    hostPath: {path: \"/dev/kvm\", type: CharDevice}\n");
	if (!k->topo_in_dir) {
		printf("  - name: topology\n    configMap:\n      name: ");
		yq(k->cm_name);
		printf("\n      items:\n      - key: ");
		yq(k->topo_base);
		printf("\n        path: ");
		yq(k->topo_base);
		putchar('\n');
	}
	for (int i = 0; i < k->n_dirs; i++) {
		printf("  - name: files-%d\n    hostPath:\n      type: Directory\n      path: ", i);
		yq(k->dirs[i]);
		putchar('\n');
	}
}

static void kube_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab kube [--image IMAGE] [--namespace NS] [--no-kvm] TOPO\n"
		   "Print the Kubernetes manifests (YAML) that run TOPO's lab on a cluster:\n"
		   "a ConfigMap with the topology, per [machine] a headless Service and a\n"
		   "pod running `vacmlab up --machine NAME --foreground`. Each machine's\n"
		   "address must be a pod name; the files the topology names are hostPath\n"
		   "volumes at their own paths. See docs/kubernetes.md.\n"
		   "  --image IMAGE   the image (contrib/kube/build-image.sh; default\n"
		   "                  localhost/vacmlab:latest)\n"
		   "  --namespace NS  put every object in namespace NS\n"
		   "  --no-kvm        no /dev/kvm device (guests run under TCG)\n"
		   "Apply with `kubectl apply -f -` or `podman kube play --network NET -`.\n");
}

int cmd_kube(int argc, char **argv)
{
	static const struct option lo[] = {
		{"image", required_argument, NULL, 'i'},
		{"namespace", required_argument, NULL, 'n'},
		{"no-kvm", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct kube k = {.image = "localhost/vacmlab:latest", .kvm = true};
	_cleanup_free_ char *text = NULL, *topo_abs = NULL;
	struct topo *t = NULL;
	struct topo_err err;
	size_t len;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': k.image = optarg; break;
		case 'n': k.ns = optarg; break;
		case 'K': k.kvm = false; break;
		case 'h': kube_usage(stdout); return 0;
		default: kube_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		kube_usage(stderr);
		return 1;
	}
	if (k.ns && !kube_label_ok(k.ns)) {
		fprintf(stderr, "vacmlab kube: namespace '%s' is not a Kubernetes name\n", k.ns);
		return 1;
	}
	if (!*k.image || strpbrk(k.image, " \t\n")) {
		fprintf(stderr, "vacmlab kube: image '%s' is not an image name\n", k.image);
		return 1;
	}
	text = read_file(argv[optind], &len);
	if (text && !utf8_ok((unsigned char *)text, len)) {
		fprintf(stderr, "vacmlab kube: %s is not UTF-8 text: a ConfigMap holds text\n",
			argv[optind]);
		return 1;
	}
	if (topo_load_flags(argv[optind], TOPO_LOAD_NO_RESOLVE, &t, &err) < 0) {
		topo_err_print(&err);
		return err.env ? 2 : 1;
	}
	if (strlen(text) != len) {
		fprintf(stderr, "vacmlab kube: %s: NUL byte\n", argv[optind]);
		goto out;
	}
	k.t = t;
	k.topo_base = strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path;
	topo_abs = xasprintf("%s%s%s", t->dir, strcmp(t->dir, "/") ? "/" : "", k.topo_base);
	snprintf(k.cm_name, sizeof(k.cm_name), "%s-topology", t->name);
	if (kube_names(t) < 0 || kube_mounts(&k) < 0)
		goto out;

	printf("# vacmlab kube %s: lab %s, %d machines (docs/kubernetes.md)\n", t->path, t->name,
	       t->n_machines);
	if (!k.topo_in_dir)
		configmap(&k, text);
	for (int i = 0; i < t->n_machines; i++)
		service(&k, &t->machines[i]);
	for (int i = 0; i < t->n_machines; i++)
		pod(&k, &t->machines[i], topo_abs);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
out:
	for (int i = 0; i < k.n_dirs; i++)
		free(k.dirs[i]);
	topo_free(t);
	return rc;
}
