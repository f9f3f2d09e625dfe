#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 70-lifecycle.t - the appliance's own lifecycle with real guests: a v1
# node writes /etc/config and nvlog over its console; after an upgrade to
# v2 (`up --upgrade`) the guest reports v2 and still has both, and neither
# image was written. Also: seeding sda3/sda4 from the topology (a seeded
# hostname on the login prompt), export from a running and a stopped node,
# import into another lab's node and boot it, bad inputs that change
# nothing, a partition that is not ext*, and a SIGKILL mid-upgrade that
# leaves the old disk usable.
#
# The v1 and v2 stand-ins are built by tests/appliance/build.sh with
# APPLIANCE_VERSION=1 and 2 into tests/out/, named by a hash of the recipe,
# so later runs reuse them (a build takes 15-60 s on a loaded machine).
. "$(dirname "$0")/lib.sh"
need_image
need_cmd python3 sha256sum qemu-img qemu-io jq mke2fs debugfs e2fsck tar
lab_env

GSH="python3 $SRCDIR/tests/guest-sh.py"
T=$TMPDIR_TEST
A=life-a$$ B=life-b$$ C=life-c$$
A=${A:0:32} B=${B:0:32} C=${C:0:32}

# ---- the v1 and v2 stand-ins -------------------------------------------------
out=$SRCDIR/tests/out
mkdir -p "$out"
recipe=$(cd "$SRCDIR/tests/appliance" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
build_version() {
	local v=$1 f=$out/standin-v$1-$recipe.bin
	if [ ! -f "$f" ]; then
		rm -f "$f.tmp"
		APPLIANCE_CACHE=${APPLIANCE_CACHE:-$SRCDIR/images/cache} APPLIANCE_VERSION=$v \
			"$SRCDIR/tests/appliance/build.sh" "$f.tmp" >"$out/build-v$v.log" 2>&1 &&
			mv "$f.tmp" "$f" || { sed 's/^/# /' "$out/build-v$v.log" | tail -5; return 1; }
	fi
	echo "$f"
}
# images/cache may be a symlink into the lead's checkout: read-only use.
[ -d "$SRCDIR/images/cache" ] || [ -n "${APPLIANCE_CACHE:-}" ] ||
	APPLIANCE_CACHE=$(dirname "$(readlink -f "$IMAGE")")/cache
V1=$(build_version 1) && V2=$(build_version 2) ||
	{ echo "1..0 # SKIP cannot build the v1/v2 stand-ins (see tests/out/build-v*.log)"; exit 0; }
V1_SUM=$(sha256sum < "$V1") V2_SUM=$(sha256sum < "$V2") IMG_SUM=$(sha256sum < "$IMAGE")

# The topology's image path: a copy of v1 now, replaced by v2 later.
cp "$V1" "$T/fw.bin"

node_conf() { # LAB NODE IMAGE [extra lines]
	local lab=$1 node=$2 img=$3; shift 3
	printf '[lab]\nname = %s\n[node %s]\nimage = %s\nmemory = 256\nserial = console\n' \
		"$lab" "$node" "$img"
	printf 'ready = console "login:"\ntimeout = 120\n'
	printf '%s\n' "$@"
}
gsh() { $GSH "$VACMLAB_RUNTIME_DIR/$1/$2/ttyS0.sock" 40 "${@:3}"; }
fail_logs() { [ "$1" = 0 ] || lab_logs "$2"; }
down() { "$VACMLAB" down --timeout 20 "$1" >/dev/null 2>&1; }
ST_A=$VACMLAB_STATE_DIR/$A

# ---- v1 boots; config and nvlog written over the console ---------------------
node_conf "$A" n1 "$T/fw.bin" > "$T/a.conf"
lab_up "$T/a.conf" >"$T/up.out" 2>&1
r=$?; ok $r "lab A up on v1"; fail_logs $r "$A"
like "$(tr -d '\r' < "$ST_A/logs/n1.ttyS0.log")" "^vacm-standin ready version=1$" \
	"the ready line says version=1 (read from the firmware blob on sda2)"
like "$(cat "$T/up.out")" "n1 .* v1 +vacmlab console" "the status table shows firmware v1"
out=$(gsh "$A" n1 'cat /run/firmware.version' \
	'echo v1-wrote-this > /etc/config/app.conf && chmod 640 /etc/config/app.conf' \
	'echo "nvlog line from v1" >> /var/mnt/nvlog/messages && sync && echo synced' 2>&1)
is "$out" "$(printf '1\nsynced')" "guest on v1: file written to /etc/config, line to nvlog, synced"
# What a hostile guest leaves for `config export`: world-writable and setuid
# modes, symlinks out of the tree, a FIFO.
out=$(gsh "$A" n1 'mkdir -m 777 /etc/config/open && echo x > /etc/config/open/f' \
	'chmod 777 /etc/config/open/f && echo s > /etc/config/suid && chmod 4777 /etc/config/suid' \
	'ln -s /etc/shadow /etc/config/abs && ln -s ../../../root /etc/config/up' \
	'ln -s app.conf /etc/config/rel && mkfifo /etc/config/fifo && sync && echo planted' 2>&1)
is "$out" planted "guest on v1: planted a 0777 dir and file, a setuid file, symlinks, a FIFO"

# ---- export from the running node (point-in-time copy over QMP) -------------
"$VACMLAB" config export "$A" n1 -o "$T/live.tar" 2>"$T/err"
r=$?; ok $r "config export from the running node"; [ $r = 0 ] || sed 's/^/# /' "$T/err"
like "$(cat "$T/err")" "running: point-in-time copy" "... from a point-in-time copy"
like "$(tar -xOf "$T/live.tar" ./app.conf 2>&1)" "^v1-wrote-this$" "... the tar holds app.conf"
like "$(tar -tvf "$T/live.tar" ./app.conf)" "^-rw-r----- 0/0 " "... mode 0640, owner root"
is "$(stat -c %a "$T/live.tar")" 600 "... the tar itself is 0600 (/etc/config holds secrets)"
like "$(tar -tvf "$T/live.tar" | awk '$6 ~ /^\.\/(open\/?|open\/f|suid)$/ { print $1 }' | tr '\n' ' ')" \
	"^drwxr-xr-x -rwxr-xr-x -rwxr-xr-x $" "... 0777 and 4777 members masked with 0755"
unlike "$(tar -tvf "$T/live.tar")" "fifo" "... the FIFO left out"
"$VACMLAB" config export --part nvlog "$A" n1 -o - > "$T/live-nv.tar" 2>/dev/null
like "$(tar -xOf "$T/live-nv.tar" ./messages 2>&1)" "nvlog line from v1" \
	"config export --part nvlog -o - (tar on stdout) has the nvlog line"
ls "$ST_A"/.vacmlab-work.* >/dev/null 2>&1
ok $(( $? == 0 )) "no temporary copy is left in the state dir"
err=$("$VACMLAB" config import "$A" n1 "$T/live.tar" 2>&1)
is $? 5 "import into a running node is refused (exit 5)"
like "$err" "is running.*down" "... saying to bring the lab down"

down "$A"; ok $? "down A"

# ---- export from the stopped node --------------------------------------------
"$VACMLAB" config export "$A" n1 -o "$T/cfg-a" >/dev/null 2>"$T/err"
ok $? "config export from the stopped node into a directory"
like "$(cat "$T/err")" "left out [0-9]+ entries .* such as (up|abs) \\(a symlink that may point out" \
	"... warning about what it left out"
is "$(cat "$T/cfg-a/app.conf" 2>&1)" v1-wrote-this "... holds app.conf"
ok_cmd "... without lost+found" test ! -e "$T/cfg-a/lost+found"
is "$(stat -c %a "$T/cfg-a")" 700 "... the directory made is 0700"
is "$(stat -c %a "$T/cfg-a/open") $(stat -c %a "$T/cfg-a/open/f") $(stat -c %a "$T/cfg-a/suid")" \
	"755 755 755" "... the guest's 0777 dir, 0777 file and 4777 file came out 0755"
is "$(find "$T/cfg-a" ! -type l \( -perm /022 -o -perm /6000 \) | wc -l)" 0 \
	"... nothing group- or world-writable, setuid or setgid"
ok_cmd "... the symlink to /etc/shadow left out" test ! -L "$T/cfg-a/abs"
ok_cmd "... the symlink through .. left out" test ! -L "$T/cfg-a/up"
is "$(readlink "$T/cfg-a/rel")" app.conf "... a symlink inside the tree kept"
ok_cmd "... the FIFO left out" test ! -e "$T/cfg-a/fifo"
is "$(find "$T/cfg-a" ! -user "$(id -u)" | wc -l)" 0 "... everything owned by the user"
err=$("$VACMLAB" config export "$A" n1 -o "$T/cfg-a" 2>&1)
is $? 1 "export into a non-empty directory is refused (exit 1)"

# ---- upgrade to v2: up --upgrade ---------------------------------------------
cp "$V2" "$T/fw.bin.new" && mv "$T/fw.bin.new" "$T/fw.bin"
err=$("$VACMLAB" up "$T/a.conf" 2>&1)
is $? 5 "plain up refuses the changed image (exit 5)"
ov_before=$(sha256sum < "$ST_A/n1.qcow2")
lab_up --upgrade "$T/a.conf" >"$T/up.out" 2>&1
r=$?; ok $r "up --upgrade"; fail_logs $r "$A"; [ $r = 0 ] || sed 's/^/# /' "$T/up.out"
like "$(cat "$T/up.out")" "n1 +upgrading its disk to .*fw.bin" "... says it upgrades n1"
like "$(tr -d '\r' < "$ST_A/logs/n1.ttyS0.log")" "^vacm-standin ready version=2$" \
	"the guest's ready line says version=2"
out=$(gsh "$A" n1 'cat /run/firmware.version' 'cat /etc/config/app.conf' \
	'stat -c %a /etc/config/app.conf' 'cat /var/mnt/nvlog/messages' 2>&1)
is "$out" "$(printf '2\nv1-wrote-this\n640\nnvlog line from v1')" \
	"guest on v2 still has the /etc/config file (mode kept) and the nvlog line"
like "$(gsh "$A" n1 'cat /etc/issue' 2>&1)" "firmware version 2" "/etc/issue says version 2"
like "$(gsh "$A" n1 'wget -qO- http://127.0.0.1/' 2>&1)" "firmware version 2" \
	"the guest's web page says version 2"
st=$("$VACMLAB" status --json "$A" 2>/dev/null)
is "$(jq -r '.nodes[0].firmware.version' <<<"$st")" 2 "status --json: node n1 runs firmware 2"
like "$(grep '^sha256' "$ST_A/n1.firmware")" "^sha256=[0-9a-f]{64}$" "... with its sha256 recorded"
down "$A"
is "$(sha256sum < "$V1")" "$V1_SUM" "v1 image unchanged (sha256)"
is "$(sha256sum < "$V2")" "$V2_SUM" "v2 image unchanged (sha256)"
is "$(sha256sum < "$T/fw.bin")" "$V2_SUM" "the topology's image (a copy of v2) unchanged"
ls "$ST_A"/n1.*.new "$ST_A"/.vacmlab-work.* >/dev/null 2>&1
ok $(( $? == 0 )) "no .new or work files left after the upgrade"

# ---- image info: firmware identity --------------------------------------------
info=$("$VACMLAB" image info --json "$V2")
is "$(jq -r .firmware.version <<<"$info")" 2 "image info --json: sda2 firmware version 2"
like "$(jq -r .firmware.sha256 <<<"$info")" "^[0-9a-f]{64}$" "... and its sha256"
like "$("$VACMLAB" image info "$V1")" "Firmware \(sda2\): 4194304 bytes, sha256 [0-9a-f]{64}, version 1" \
	"image info: sda2 size, sha256 and version of v1"

# ---- SIGKILL mid-upgrade leaves the old disk usable ----------------------------
ov_v2=$(sha256sum < "$ST_A/n1.qcow2")
base_v2=$(cat "$ST_A/n1.base")
killed=no
for try in 1 2 3; do
	"$VACMLAB" upgrade "$A" n1 --image "$V1" >/dev/null 2>&1 &
	up_pid=$!
	end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ] && [ ! -e "$ST_A/n1.qcow2.new" ] && kill -0 $up_pid 2>/dev/null; do
		sleep 0.005
	done
	if [ -e "$ST_A/n1.qcow2.new" ]; then kill -9 $up_pid 2>/dev/null && killed=yes; fi
	wait $up_pid 2>/dev/null
	# its qemu-img children finish on their own: wait for them
	wait_for 20 sh -c "! pgrep -f '$ST_A/n1[.]qcow2[.]new' >/dev/null"
	[ $killed = yes ] && [ "$(cat "$ST_A/n1.base")" = "$base_v2" ] && break
	# it finished before the kill: go back to v2 and try again
	killed=no
	"$VACMLAB" upgrade "$A" n1 --image "$T/fw.bin" >/dev/null 2>&1
	ov_v2=$(sha256sum < "$ST_A/n1.qcow2") base_v2=$(cat "$ST_A/n1.base")
done
is $killed yes "upgrade SIGKILLed while it was building the new disk"
is "$(sha256sum < "$ST_A/n1.qcow2")" "$ov_v2" "... the old overlay is untouched"
is "$(cat "$ST_A/n1.base")" "$base_v2" "... and its base record too"
lab_up "$T/a.conf" >/dev/null 2>&1
r=$?; ok $r "up on the old disk after the kill"; fail_logs $r "$A"
ok_cmd "... the interrupted upgrade's leftover is gone" test ! -e "$ST_A/n1.qcow2.new"
is "$(gsh "$A" n1 'cat /run/firmware.version; cat /etc/config/app.conf' 2>&1)" \
	"$(printf '2\nv1-wrote-this')" "... the guest runs v2 with its config"
down "$A"

# ---- a new layout with a smaller sda4 is refused, nothing changed ---------------
qemu-img dd -f qcow2 -O raw bs=512 count=1 if="$V2" of="$T/mbr.bin" 2>/dev/null
python3 - "$T/mbr.bin" <<'PY'
import struct, sys
p = sys.argv[1]; m = bytearray(open(p, "rb").read())
off = 0x1be + 3 * 16 + 12                      # sda4's sector count
n, = struct.unpack_from("<I", m, off); struct.pack_into("<I", m, off, n // 2)
open(p, "wb").write(m)
PY
qemu-img create -q -f qcow2 -b "$V2" -F qcow2 "$T/shrunk.bin"
qemu-io -f qcow2 -c "write -q -s $T/mbr.bin 0 512" "$T/shrunk.bin"
ov_now=$(sha256sum < "$ST_A/n1.qcow2")
# (shrunk.bin is an overlay this test made: allowed to name its base.)
err=$(VACMLAB_ALLOW_BACKING=1 "$VACMLAB" upgrade "$A" n1 --image "$T/shrunk.bin" 2>&1)
is $? 1 "upgrade to an image whose sda4 is smaller is refused (exit 1)"
like "$err" "sda4 \(nvlog\) is 8388608 bytes in .*shrunk.bin, smaller than the 16777216" \
	"... saying which partition and both sizes"
is "$(sha256sum < "$ST_A/n1.qcow2")" "$ov_now" "... and the disk is unchanged"

# ---- seeding sda3/sda4 from the topology ----------------------------------------
mkdir -p "$T/seed/sub"
echo seeded-host > "$T/seed/hostname"
echo secret > "$T/seed/sub/key" && chmod 600 "$T/seed/sub/key"
chmod 750 "$T/seed/sub"
mkdir "$T/nvseed" && echo "seeded nvlog" > "$T/nvseed/boot.log"
tar -C "$T/nvseed" -czf "$T/nvseed.tar.gz" .
node_conf "$B" b1 "$V1" "config = seed" "nvlog = nvseed.tar.gz" > "$T/b.conf"
lab_up "$T/b.conf" >/dev/null 2>"$T/err"
r=$?; ok $r "lab B up with config = DIR and nvlog = TAR.GZ"; fail_logs $r "$B"
like "$(tr -d '\r' < "$VACMLAB_STATE_DIR/$B/logs/b1.ttyS0.log")" "^seeded-host login:" \
	"the seeded hostname shows on the login prompt"
out=$(gsh "$B" b1 'ls -1 /etc/config' 'stat -c "%a %u %g" /etc/config/sub /etc/config/sub/key' \
	'cat /var/mnt/nvlog/boot.log' 2>&1)
is "$out" "$(printf 'hostname\nlost+found\nsub\n750 0 0\n600 0 0\nseeded nvlog')" \
	"sda3 holds exactly the seed (owner root, modes kept), sda4 the tar"

# ---- import: bad inputs change nothing; then a real import -----------------------
down "$B"
ST_B=$VACMLAB_STATE_DIR/$B
python3 - "$T" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, members):
    with tarfile.open(f"{d}/{name}", "w") as t:
        for n, data in members:
            ti = tarfile.TarInfo(n); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
mk("abs.tar", [("ok", b"x"), ("/etc/passwd", b"evil")])
mk("dotdot.tar", [("ok", b"x"), ("a/../../evil", b"evil")])
mk("big.tar", [("big", b"\0" * (17 << 20))])
mk("full.tar", [(f"f{i}", b"\1" * (1 << 20)) for i in range(16)])
with tarfile.open(f"{d}/link.tar", "w") as t:
    ti = tarfile.TarInfo("l"); ti.type = tarfile.SYMTYPE; ti.linkname = "/tmp"; t.addfile(ti)
    ti = tarfile.TarInfo("l/x"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))
PY
sum_b=$(sha256sum < "$ST_B/b1.qcow2")
bad() { # NAME FILE PATTERN
	local err
	err=$("$VACMLAB" config import "$B" b1 "$2" 2>&1)
	is $? 1 "import of $1 refused (exit 1)"
	like "$err" "$3" "... $1: clear message"
}
bad "a missing path" "$T/nonexistent.tar" "nonexistent.tar: No such file"
bad "a tar with an absolute path" "$T/abs.tar" "member '/etc/passwd' is an absolute path"
bad "a tar with .." "$T/dotdot.tar" "member 'a/../../evil' has a '\.\.' component"
bad "a tar through a symlink" "$T/link.tar" "goes through 'l'"
bad "a tar larger than the partition" "$T/big.tar" "more than the 16777216 bytes"
bad "a tar that fits only without the fs overhead" "$T/full.tar" "does not fit in sda3"
is "$(sha256sum < "$ST_B/b1.qcow2")" "$sum_b" "... and b1's disk is unchanged"
ls "$ST_B"/b1.qcow2.new "$ST_B"/.vacmlab-work.* >/dev/null 2>&1
ok $(( $? == 0 )) "... with nothing left behind"
err=$("$VACMLAB" config import "$C" c1 "$T/live.tar" 2>&1)
is $? 5 "import into a node that has no disk yet is refused (exit 5)"
like "$err" "no disk .* yet" "... saying so"

# A's v1 config into B's node (another lab), then boot it.
"$VACMLAB" config import "$B" b1 "$T/live.tar" >/dev/null 2>"$T/err"
r=$?; ok $r "import lab A's export into lab B's node"; [ $r = 0 ] || sed 's/^/# /' "$T/err"
lab_up "$T/b.conf" >/dev/null 2>&1
r=$?; ok $r "lab B up after the import"; fail_logs $r "$B"
out=$(gsh "$B" b1 'cat /etc/config/app.conf' 'ls -1 /etc/config' 'hostname' 2>&1)
# (the tar keeps the planted symlinks: they are the guest's data; the FIFO
# was left out, the modes masked)
is "$out" "$(printf 'v1-wrote-this\nabs\napp.conf\nlost+found\nopen\nrel\nsuid\nup\nvacm-standin')" \
	"b1 boots with exactly the imported config (the seeded hostname is gone)"
down "$B"

# ---- a partition that is not ext* is an error at up, before anything starts ---
off=$((51200 * 512)) len=$((32768 * 512))
qemu-img create -q -f qcow2 -b "$V1" -F qcow2 "$T/noext.bin"
qemu-io -f qcow2 -c "write -z $off $len" "$T/noext.bin" >/dev/null
node_conf "$C" c1 "$T/noext.bin" "config = seed" > "$T/c.conf"
err=$(VACMLAB_ALLOW_BACKING=1 "$VACMLAB" up "$T/c.conf" 2>&1)
is $? 2 "up with a seed for a partition that is not ext* fails (exit 2)"
like "$err" "node c1: config = .*sda3 \(/etc/config\) .* does not hold an ext2/3/4 filesystem" \
	"... naming the node, the key and the partition"
ok_cmd "... nothing started, no disk left" test ! -e "$VACMLAB_STATE_DIR/$C/c1.qcow2"
printf '[lab]\nname = %s\n[node c1]\nimage = %s\nconfig = nope\n' "$C" "$V1" > "$T/c2.conf"
err=$("$VACMLAB" up "$T/c2.conf" 2>&1)
is $? 1 "up with a missing config = path fails (exit 1)"
like "$err" "c2.conf:5: config 'nope': No such file or directory" "... file:line: message"

ok_cmd "nothing left at the end" no_leftovers
is "$(sha256sum < "$IMAGE")" "$IMG_SUM" "images/image.bin never written"
done_testing
