#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 94-kube.t - `vacmlab kube` (docs/kubernetes.md): the manifests pass a
# structural check (python3-yaml: kinds, apiVersions, required fields,
# devices, probe, pod names matching their Services); bad topologies are
# refused; `podman kube play` (Debian's podman, rootful, runc, cgroupfs)
# brings a two-machine lab up as two pods on a podman network of the test's
# own; node a2 in one pod pings node a1 in the other by name; stopping the
# pods (SIGTERM) downs each part gracefully; `podman kube down` leaves no
# process, link, netns or volume behind. The image is built once per binary
# (contrib/kube/build-image.sh; its Debian root is cached under
# $BUILD/kube) and removed at the end.
. "$(dirname "$0")/lib.sh"
need_root
need_image
need_cmd podman mmdebstrap python3 jq mknod
python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed"
lab_env
T=$TMPDIR_TEST
BUILD=${BUILD:-$SRCDIR/build}
# The settings that let rootful podman 4.3 run pods on this kind of
# machine (crun fails on hybrid cgroups; raising RLIMIT_NPROC is refused).
cat >"$T/containers.conf" <<'EOF'
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF
export CONTAINERS_CONF=$T/containers.conf
podman info >"$T/info" 2>&1 || skip_all "podman cannot run here: $(tail -n1 "$T/info")"
command -v runc >/dev/null || skip_all "runc not installed"

LAB=k94-$$
NET=k94net-$$
SUB=10.194.$(($$ % 200 + 20))
IMG=
KY=$T/k.yaml
PODS_UP=false
links_before=$(ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | sort)
netns_before=$(ls /run/netns 2>/dev/null | sort)
volumes_before=$(podman volume ls -q | sort)
cleanup() {
	$PODS_UP && podman kube down "$KY" >/dev/null 2>&1
	podman network rm -f "$NET" >/dev/null 2>&1
	# podman 4.3's kube down keeps the ConfigMap's volume
	podman volume rm -f "$LAB-topology" >/dev/null 2>&1
	[ -n "$IMG" ] && podman rmi -f "$IMG" >/dev/null 2>&1
	podman image ls --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/vacmlab-base:' |
		xargs -r podman rmi -f >/dev/null 2>&1
	_t_cleanup
}
trap cleanup EXIT

plan 17

cat >"$T/$LAB.conf" <<EOF
[lab]
name = $LAB
; each machine's address is its pod's (and Service's) name
[machine m1]
address = $LAB-m1
[machine m2]
address = $LAB-m2

[lan lan]
subnet = $SUB.0/24
dhcp   = $SUB.100-$SUB.150

[node a1]
on      = m1
image   = $IMAGE
nic     = lan $SUB.11
ready   = console "login:"
timeout = 300

[node a2]
on      = m2
image   = $IMAGE
nic     = lan $SUB.12
ready   = console "login:"
timeout = 300
EOF

# Bad input first: an address that is not a pod name, no [machine] at all.
sed "s/^address = $LAB-m2/address = 10.0.0.2/" "$T/$LAB.conf" >"$T/bad.conf"
out=$("$VACMLAB" kube "$T/bad.conf" 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"[machine m2] address '(an IPv4 address)' is not a pod name"*"address = $LAB-m2"* ]]
ok $? "an IPv4 machine address is refused with the name to write (rc $rc)"
printf '[lab]\nname = x\n[lan lan]\nsubnet = 10.9.9.0/24\n' >"$T/one.conf"
out=$("$VACMLAB" kube "$T/one.conf" 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"has no [machine] sections"* ]]
ok $? "a topology without [machine] sections is refused (rc $rc)"

# The image: built once per binary, from the cached Debian root.
t0=$SECONDS
IMG=$("$SRCDIR/contrib/kube/build-image.sh" --cache "$BUILD/kube" "$VACMLAB" 2>"$T/build.log" | tail -n1)
ok $? "contrib/kube/build-image.sh built the image $IMG" || sed 's/^/# /' "$T/build.log"
diag "image build: $((SECONDS - t0)) s (Debian root: $(grep -o 'took [0-9]* s' "$T/build.log" || echo cached))"

"$VACMLAB" kube --image "$IMG" --no-kvm "$T/$LAB.conf" >"$T/k.yaml"
ok $? "vacmlab kube prints the manifests"
# Structural check of what a cluster needs (Debian's kubectl needs an API
# server even for --dry-run=client).
check=$(python3 - "$T/k.yaml" "$LAB" "$T/$LAB.conf" <<'PY' 2>&1
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
lab, topo = sys.argv[2], sys.argv[3]
errs = []
kinds = sorted(d["kind"] for d in docs)
if kinds != ["ConfigMap", "Pod", "Pod", "Service", "Service"]:
    errs.append("kinds %s" % kinds)
for d in docs:
    if d.get("apiVersion") != "v1": errs.append("%s apiVersion" % d["kind"])
    if not d.get("metadata", {}).get("name"): errs.append("%s without a name" % d["kind"])
cm = [d for d in docs if d["kind"] == "ConfigMap"][0]
if cm["data"].get(topo.rsplit("/", 1)[1]) != open(topo).read(): errs.append("ConfigMap data is not the topology")
svcs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
for p in (d for d in docs if d["kind"] == "Pod"):
    name, spec = p["metadata"]["name"], p["spec"]
    s = svcs.get(name)
    if not s: errs.append("pod %s has no Service of its name" % name); continue
    if s["spec"].get("clusterIP") != "None": errs.append("Service %s not headless" % name)
    if any(p["metadata"]["labels"].get(k) != v for k, v in s["spec"]["selector"].items()):
        errs.append("Service %s does not select pod %s" % (name, name))
    if sorted((x["protocol"], x["port"]) for x in s["spec"]["ports"]) != [("TCP", 4789), ("UDP", 4789)]:
        errs.append("Service %s ports" % name)
    if spec["securityContext"].get("runAsUser", 0) == 0 or not spec["securityContext"].get("runAsNonRoot"):
        errs.append("pod %s runs as root" % name)
    c, = spec["containers"]
    for k in ("name", "image", "command", "readinessProbe", "volumeMounts"):
        if k not in c: errs.append("pod %s container lacks %s" % (name, k))
    m = p["metadata"]["labels"]["vacmlab.machine"]
    if c["command"] != ["/usr/local/bin/vacmlab", "up", "--machine", m, "--foreground", topo]:
        errs.append("pod %s command %s" % (name, c["command"]))
    if "status --here --json " + lab not in " ".join(c["readinessProbe"]["exec"]["command"]):
        errs.append("pod %s probe" % name)
    vols = {v["name"]: v for v in spec["volumes"]}
    for vm in c["volumeMounts"]:
        v = vols.get(vm["name"])
        if not v: errs.append("pod %s mounts unknown volume %s" % (name, vm["name"])); continue
        if vm["mountPath"] == "/dev/net/tun" and v.get("hostPath") != {"path": "/dev/net/tun", "type": "CharDevice"}:
            errs.append("pod %s: /dev/net/tun is not the device" % name)
        if "configMap" in v and v["configMap"]["name"] != cm["metadata"]["name"]:
            errs.append("pod %s: ConfigMap name" % name)
    paths = [vm["mountPath"] for vm in c["volumeMounts"]]
    if "/dev/net/tun" not in paths or "/dev/kvm" in paths: errs.append("pod %s devices %s" % (name, paths))
print("\n".join(errs) or "ok")
PY
)
is "$check" "ok" "the manifests: kinds, apiVersions, names, headless Services selecting their pods, devices, probe, command"
like "$("$VACMLAB" kube --image "$IMG" "$T/$LAB.conf")" 'path: "/dev/kvm", type: CharDevice' "without --no-kvm /dev/kvm is a device too"

# On this machine /dev/net/tun may be 0600 (root only): the pods' uid 1000
# could not open it. podman copies the host node's mode, so the test gives
# podman a node of its own (same device, 0666) instead of touching the host's.
KY=$T/k.yaml
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	mknod -m 0666 "$T/tun" c 10 200
	sed "s|path: \"/dev/net/tun\", type: CharDevice|path: \"$T/tun\", type: CharDevice|" "$T/k.yaml" >"$T/k-play.yaml"
	KY=$T/k-play.yaml
	diag "/dev/net/tun is $(stat -c %a /dev/net/tun) here: the pods get the same device from a 0666 node"
fi

podman network create "$NET" >/dev/null
t0=$SECONDS
# (podman kube play builds an image from ./NAME where that directory
# exists: ./vacmlab is the build symlink here, so play from $T.)
out=$(cd "$T" && podman kube play --network "$NET" "$KY" 2>&1); rc=$?
PODS_UP=true
is "$rc" 0 "podman kube play brings up two pods"
[ "$rc" = 0 ] || { diag "$out"; echo "Bail out! podman kube play failed"; exit 1; }
probe() { podman exec "$LAB-$1-vacmlab" /bin/sh -c "$(python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Pod" and d["metadata"]["name"] == sys.argv[2]:
        print(d["spec"]["containers"][0]["readinessProbe"]["exec"]["command"][2])' "$T/k.yaml" "$LAB-$1")"; }
wait_for 400 probe m1 && wait_for 100 probe m2
ok $? "both pods become ready (their readiness probes pass) in $((SECONDS - t0)) s" ||
	{ podman logs "$LAB-m1-vacmlab" 2>&1 | tail -n 20 | sed 's/^/# m1: /'
	  podman logs "$LAB-m2-vacmlab" 2>&1 | tail -n 20 | sed 's/^/# m2: /'; }
diag "two-machine lab up in pods in $((SECONDS - t0)) s"
like "$(podman logs "$LAB-m1-vacmlab" 2>&1)" "lab $LAB is up" "the pod's log (stdout) shows its part come up"
st=$(podman exec "$LAB-m2-vacmlab" vacmlab status --json "$LAB" 2>&1)
is "$(jq -r '[.nodes[] | "\(.name)@\(.machine)=\(.state)"] | sort | join(" ")' <<<"$st" 2>&1)" \
	"a1@m1=ready a2@m2=ready" "status in pod m2 shows both nodes (m1's over the pod network)"
# Node to node, across the pods, by name: a2 logs in and pings a1.
podman exec "$LAB-m2-vacmlab" vacmlab send "$LAB" a2 --expect '# ?$' --timeout 30 'root\n' >/dev/null 2>&1
out=$(podman exec "$LAB-m2-vacmlab" vacmlab send "$LAB" a2 --expect '^R=[0-9]' --timeout 60 \
	'ping -c2 -W5 a1 >/dev/null; echo R=$?\n' 2>&1)
like "$out" "^R=0" "node a2 (pod m2) pings node a1 (pod m1) by name"

# SIGTERM (what a cluster sends when a pod is deleted): each part goes down.
t0=$SECONDS
podman pod stop -t 60 "$LAB-m1" "$LAB-m2" >/dev/null 2>&1
ok $? "podman pod stop (SIGTERM) ends both pods in $((SECONDS - t0)) s"
like "$(podman logs "$LAB-m2-vacmlab" 2>&1)" "lab $LAB is down" "the pod's log shows its part went down gracefully"
podman kube down "$KY" >/dev/null 2>&1
ok $? "podman kube down"
PODS_UP=false
podman network rm "$NET" >/dev/null 2>&1
podman volume rm "$LAB-topology" >/dev/null 2>&1
left=$(podman ps -a --format '{{.Names}}' | grep -c -- "$LAB")
procs=$(pgrep -f -- "/home/vacmlab/run/$LAB" | wc -l)
is "$left $procs" "0 0" "no container and no process of the lab is left"
is "$(ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | sort)" "$links_before" "no link is left on the host"
is "$(ls /run/netns 2>/dev/null | sort) / $(podman volume ls -q | sort)" "$netns_before / $volumes_before" \
	"no network namespace and no volume is left"
