#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Provisioning as the field does it (docs/provisioning.md), with real
# guests in ONE lab booted once: factory-fresh stand-ins provision over
# DHCP option 43 + HTTP (a [host] with serve =), over option 43 + TFTP
# (the LAN's tftp =), and from a USB key (usb =); a ZTP firmware URL
# upgrades sda2 and the unit runs it with its configuration kept; a node
# whose options are for another vendor class gets nothing; `config erase`
# on the running lab makes a node provision again; `vacmlab usb`
# inserts and ejects a key (status shows it). Bad options: see
# tests/topo/invalid/{dhcp-option,ztp,vendor-class}-*.
. "$(dirname "$0")/lib.sh"
need_image
need_cmd qemu-system-x86_64 dnsmasq jq python3 mkfs.fat mcopy
lab_env
T=$TMPDIR_TEST
L=ztpt

mkdir -p "$T/www" "$T/tftp" "$T/key" "$T/key2" "$T/cfgtar"
cat > "$T/www/cfg.sh" <<'EOF'
echo ztp-http > /etc/config/hostname
echo "from http" > /etc/config/origin
EOF
echo ztp-tftp > "$T/cfgtar/hostname"
echo "from tftp" > "$T/cfgtar/origin"
tar -C "$T/cfgtar" -cf "$T/tftp/cfg.tar" hostname origin
cat > "$T/key/config.sh" <<'EOF'
echo ztp-usb > /etc/config/hostname
EOF
echo "second key" > "$T/key2/readme.txt"
# A firmware blob as build.sh writes it, another version.
{ printf 'VACM-STANDIN-FIRMWARE version=ztp2 kernel=x\n'; head -c 4096 /dev/zero; } > "$T/www/fw.flash"

cat > "$T/ztp.conf" <<EOF
[lab]
name = $L
[lan lan]
subnet = 10.64.0.0/24
dhcp = 10.64.0.100-10.64.0.150
tftp = tftp
[host files]
nic = lan 10.64.0.5
serve = www
[node nhttp]
image = $IMAGE
nic = lan
ready = console "login:"
timeout = 400
vendor_class = Opengear/
ztp = config=http://files/cfg.sh firmware=http://files/fw.flash
[node ntftp]
image = $IMAGE
nic = lan
ready = console "login:"
ztp = config=tftp://lan/cfg.tar
[node nusb]
image = $IMAGE
nic = lan
ready = console "login:"
usb = key
[node nother]
image = $IMAGE
nic = lan
ready = console "login:"
vendor_class = Cisco/
ztp = config=http://files/cfg.sh
EOF
cons() { cat "$VACMLAB_STATE_DIR/$L/logs/console-$1.log" "$VACMLAB_STATE_DIR/$L/logs/$1.ttyS0.log" 2>/dev/null; }
conslog() { ls "$VACMLAB_STATE_DIR/$L/logs/" | grep -E "^(console-)?$1[.-].*(ttyS0|console)" | head -1; }

out=$("$VACMLAB" check "$T/ztp.conf" 2>&1)
ok $? "check accepts the ZTP lab"
like "$out" 'option  43 \(vendor-encap\) 1="http://10.64.0.5/cfg.sh" 2="http://10.64.0.5/fw.flash"' \
	"check shows option 43 with the host's address in the URLs"
like "$out" "vendor class Opengear/" "and the vendor class"

lab_up "$T/ztp.conf" > "$T/up.out" 2>&1
ok $? "the lab is up (4 nodes, one boot each)" || { sed 's/^/# /' "$T/up.out"; lab_logs $L; }
log() { cat "$VACMLAB_STATE_DIR/$L/logs/$1.ttyS0.log"; }
# wait_log NODE ERE SECONDS: until the node's console log has a match.
wait_log() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do log "$1" | grep -qE "$2" && return 0; sleep 0.5; done
	return 1
}
# nhttp: config, then firmware, reboot: its second ready line says version=ztp2.
wait_log nhttp 'ready.*version=ztp2' 300
c=$(log nhttp)
like "$c" "ztp: applied http://10.64.0.5/cfg.sh" "DHCP + HTTP: the configuration applied"
like "$c" "ztp: firmware http://10.64.0.5/fw.flash written, rebooting" "the firmware URL written to sda2"
like "$c" "vacm-standin ready .*version=ztp2" "the unit runs the new firmware"
is "$(echo "$c" | grep -c 'ztp: applied')" 1 "after the reboot it is configured: no second ZTP"
wait_log nhttp 'ztp-http login:' 60
ok $? "configuration kept across the firmware upgrade (hostname ztp-http)"
grep -q '"GET /cfg.sh' "$VACMLAB_STATE_DIR/$L/logs/"*files* 2>/dev/null
ok $? "the file server logged the request"
c=$(log ntftp)
like "$c" "ztp: applied tftp://10.64.0.254/cfg.tar" "DHCP + TFTP: the tar unpacked"
like "$c" "ztp-tftp login:" "into /etc/config (hostname ztp-tftp)"
c=$(log nusb)
like "$c" "ztp: applied usb:config.sh" "USB key: its config.sh applied"
like "$c" "ztp-usb login:" "(hostname ztp-usb)"
is "$("$VACMLAB" status --json $L | jq -r '.nodes[] | select(.name=="nusb") | .usb')" "$T/key" \
	"status: the key in nusb"
c=$(log nother)
like "$c" "ztp: nothing offered" "another vendor class: no option 43 reaches the node"
unlike "$c" "ztp: applied" "and nothing is applied"

# config erase on the running lab: nhttp is powered off, erased, started,
# and provisions again; its firmware stays (already installed).
out=$("$VACMLAB" config erase $L nhttp 2>&1)
is "$?" 0 "config erase on a running node" || diag "$out"
like "$out" "factory-fresh, firmware kept" "saying so"
wait_log nhttp 'already installed' 60
c=$(log nhttp)
# (the boot before the erase is in nhttp.ttyS0.attempt1.log)
grep -q "ztp: applied http" "$VACMLAB_STATE_DIR/$L/logs/nhttp.ttyS0.attempt1.log"
ok $? "the first provisioning is in the previous boot's log"
is "$(echo "$c" | grep -c 'ztp: applied http://10.64.0.5/cfg.sh')" 1 \
	"after the erase it provisions again"
like "$c" "firmware http://10.64.0.5/fw.flash already installed" "sda2 kept: no second upgrade"

# A key into a running node and out again.
out=$("$VACMLAB" usb $L nother insert "$T/key2" 2>&1)
is "$?" 0 "usb insert" || diag "$out"
is "$("$VACMLAB" status --json $L | jq -r '.nodes[] | select(.name=="nother") | .usb')" "$T/key2" \
	"status: the inserted key"
GSH="python3 $SRCDIR/tests/guest-sh.py"
SOCK=$VACMLAB_RUNTIME_DIR/$L/nother/ttyS0.sock
gsee() { $GSH "$SOCK" 60 'for i in $(seq 50); do ls /sys/bus/usb/drivers/usb-storage/ | grep -q : && break; sleep 0.1; done; ls /sys/bus/usb/drivers/usb-storage/ | grep -c :' 2>/dev/null | tail -n1 | tr -d '\r'; }
is "$(gsee)" 1 "the guest sees a USB mass-storage device"
out=$("$VACMLAB" usb $L nother insert "$T/key2" 2>&1)
[ $? != 0 ]
ok $? "a second key is refused"
like "$out" "already has a USB key" "saying so"
out=$("$VACMLAB" usb $L nother eject 2>&1)
is "$?" 0 "usb eject" || diag "$out"
is "$("$VACMLAB" status --json $L | jq -r '.nodes[] | select(.name=="nother") | .usb')" null \
	"status: no key"
sleep 1
is "$($GSH "$SOCK" 60 'ls /sys/bus/usb/drivers/usb-storage/ | grep -c :' 2>/dev/null | tail -n1 | tr -d '\r')" 0 \
	"and the guest sees it gone"

"$VACMLAB" down $L >/dev/null 2>&1
ok $? "down"
# config erase on a lab that is down: the overlay changes, the next up provisions.
out=$("$VACMLAB" config erase --nvlog $L ntftp 2>&1)
is "$?" 0 "config erase --nvlog on a lab that is down" || diag "$out"
ok_cmd "no process left" no_leftovers
done_testing
