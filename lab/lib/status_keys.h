/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status_keys.h - every key of the status JSON (the answer to the control
 * method "status", `vacmlab status --json`) and every value readers compare
 * against, spelled once. The writer (lab/sv/sv_status.c, sv_fwd.c, sv_udp.c,
 * node_state_name()) and every reader in lab/cli use these names; the
 * meaning of each key is docs/control.md. tests/03-status-keys.t fails when a
 * key is spelled as a literal in the writer or a reader, and when a key the
 * pytest plugin or the shell completion reads is missing here.
 *
 * Readers outside C (they cannot include this file; a key renamed here must
 * be renamed there, and tests/03-status-keys.t names them):
 *   python/pytest_vacmlab/lab.py, plugin.py: `status --json`: lab, nodes,
 *     name, nics, address, state, ports, socket_ro, kind, peer, plugged,
 *     index, device, device_state, device_exit, device_restarts;
 *     `up --json`: lab.
 *   contrib/completion/vacmlab.bash: `ls --json`: lab; `status --json`:
 *     nodes, hosts, lans, name, port, nics, guest_ifname, ports, kind (and
 *     jansson's 2-space indentation).
 * The same table is in docs/control.md ("Who reads which key").
 */
#ifndef VACMLAB_STATUS_KEYS_H
#define VACMLAB_STATUS_KEYS_H

/* The top object. */
#define SK_LAB "lab"
#define SK_DOMAIN "domain"
#define SK_TOPOLOGY "topology"
#define SK_SUPERVISOR_PID "supervisor_pid"
#define SK_RUNDIR "rundir"
#define SK_STATEDIR "statedir"
#define SK_LOGDIR "logdir"
#define SK_UPTIME_S "uptime_s" /* also a node's */
#define SK_NO_BOOT "no_boot"
#define SK_ACCEL "accel" /* also a node's */
#define SK_STATE "state" /* also a node's and a host's */
#define SK_LANS "lans"
#define SK_NODES "nodes"
#define SK_HOSTS "hosts"
/* A lab spread over machines (docs/multi-machine.md): this machine, the
 * nodes and hosts elsewhere (away[]: name, machine) and the VXLAN tunnels. */
#define SK_MACHINE "machine" /* also away[]'s, peers[]', nodes[]' and hosts[]' */
#define SK_AWAY "away"	     /* away[]: name, machine, kind (node or host), nics */
#define SK_TUNNELS "tunnels"
/* machines[]: every machine of the lab: name, address, port, here; the
 * CLI adds reached (asked over the underlay) and reason (why not). */
#define SK_MACHINES "machines"
#define SK_HERE "here"
#define SK_REACHED "reached"
#define SK_MACHINE_ERROR "reason"

/* Shared by several objects. */
#define SK_NAME "name"	       /* lans[], nodes[], hosts[], away[] */
#define SK_ADDRESS "address"   /* lans[], nics[], peers[] */
#define SK_ADDRESS6 "address6" /* lans[], nics[] */
#define SK_LOG "log"	       /* lans[], hosts[], ports[] */
#define SK_DNS "dns"	       /* nodes[], hosts[] */
#define SK_PID "pid"	       /* nodes[], hosts[] */
#define SK_NICS "nics"	       /* nodes[], hosts[] */
#define SK_LAN "lan"	       /* nics[], tunnels[] */
#define SK_KIND "kind"	       /* nics[], ports[] */
#define SK_BYTES "bytes"       /* ports[], forwards[] */
#define SK_PORT "port"	       /* ports[] (ttySN), peers[] (UDP port) */
#define SK_IMAGE "image"       /* nodes[], firmware */

/* lans[] */
#define SK_BRIDGE "bridge"
#define SK_SUBNET "subnet"
#define SK_SUBNET6 "subnet6"
#define SK_DNSMASQ_PID "dnsmasq_pid"
#define SK_LEASES "leases"
#define SK_UPLINK "uplink"
#define SK_HOST_ADDRESS "host_address"
#define SK_HOST_NAME "host_name"

/* nodes[] */
#define SK_DISK "disk"
#define SK_QMP "qmp"
#define SK_USB "usb" /* the USB key's directory or image, or null */
#define SK_CONSOLE "console"
#define SK_QEMU_LOG "qemu_log"
#define SK_BOOT_S "boot_s"
#define SK_EXIT_STATUS "exit_status"
#define SK_EXIT_SIGNAL "exit_signal"
#define SK_ATTEMPT "attempt"
#define SK_RETRIES "retries"
#define SK_BOOTS "boots"
#define SK_READY "ready" /* an object: each readiness condition, met or not */
#define SK_RUNSTATE "runstate"
#define SK_VM_EVENT "vm_event"
#define SK_PORTS "ports"
/* ports[] of kind cable (sv_cable.c) */
#define SK_PEER "peer"			   /* NODE:ttySN, the other end */
#define SK_PLUGGED "plugged"		   /* false while pulled (link down) */
#define SK_BYTES_SENT "bytes_sent"	   /* carried from this end */
#define SK_BYTES_RECEIVED "bytes_received" /* carried to this end */
#define SK_LOST_SENT "lost_sent"	   /* from this end, dropped (pulled, far end down) */
#define SK_LOST_RECEIVED "lost_received"   /* from the far end, dropped */
#define SK_BAUD "baud"			   /* pacing; 0 unpaced */
/* ports[] of kind device (sv_device.c): the cable keys (peer device:NAME)
 * and SK_DEVICE, the device's name */
#define SK_DEVICE_STATE "device_state"	     /* SKV_DEVICE_* */
#define SK_DEVICE_EXIT "device_exit"	     /* how it last exited, or null */
#define SK_DEVICE_RESTARTS "device_restarts" /* restart = yes: times started again */
#define SK_PTY "pty" /* ports[] of kind pty: the pseudo-terminal's path (/dev/pts/N) */
#define SK_DEVICE_PID "device_pid" /* while it runs, else null */
#define SK_FORWARDS "forwards"
/* Added by the CLI's ctl_status() from the state dir (NODE.firmware, the
 * same three keys as that file's), not by the supervisor. */
#define SK_FIRMWARE "firmware"
#define SK_FW_VERSION "version"
#define SK_FW_SHA256 "sha256"

/* hosts[] */
#define SK_HOLDER_PID "holder_pid"
#define SK_COMMAND "command"

/* nics[] */
#define SK_IFNAME "ifname"
#define SK_GUEST_IFNAME "guest_ifname"
#define SK_MAC "mac"
#define SK_LEASE "lease"
#define SK_FIXED "fixed"
#define SK_FIXED6 "fixed6"
#define SK_LINK "link" /* SKV_LINK_*: as `vacmlab link` last set it (this machine's NICs) */

/* ports[] */
#define SK_INDEX "index"
#define SK_SOCKET "socket"
#define SK_SOCKET_RO "socket_ro"
#define SK_CLIENTS "clients"
#define SK_TCP "tcp"

/* forwards[] (sv_fwd.c; udp ones sv_udp.c) */
#define SK_PROTO "proto"
#define SK_LISTEN "listen"
#define SK_GUEST_PORT "guest_port"
#define SK_CONNECTIONS "connections"
#define SK_ACTIVE "active"
#define SK_IDLE_S "idle_s"
#define SK_DATAGRAMS_TO_GUEST "datagrams_to_guest"
#define SK_DATAGRAMS_FROM_GUEST "datagrams_from_guest"
#define SK_BYTES_TO_GUEST "bytes_to_guest"
#define SK_BYTES_FROM_GUEST "bytes_from_guest"
#define SK_DROPPED_TO_GUEST "dropped_to_guest"
#define SK_DROPPED_FROM_GUEST "dropped_from_guest"
#define SK_REFUSED "refused"
#define SK_EXPIRED "expired"

/* tunnels[] (peers[]: machine, address, port) */
#define SK_DEVICE "device"
#define SK_VNI "vni"
#define SK_HOME "home"
#define SK_HOME_HERE "home_here"
#define SK_PEERS "peers"
#define SK_RX_PACKETS "rx_packets"
#define SK_TX_PACKETS "tx_packets"
#define SK_RX_BYTES "rx_bytes"
#define SK_TX_BYTES "tx_bytes"
#define SK_RX_DROPPED "rx_dropped"
#define SK_TX_DROPPED "tx_dropped"
#define SK_TX_ERRORS "tx_errors"
/* The netlink stats could not be read. The same spelling as the control
 * protocol's error replies ({"ok":false,"error":...}), which are not status
 * keys: tests/03-status-keys.t cannot tell them apart in the readers. */
#define SK_TUNNEL_ERROR "error"

/* `vacmlab ls --json`: per lab, SK_LAB, SK_STATE, SK_TOPOLOGY, SK_UPTIME_S,
 * SK_SUPERVISOR_PID as in the status, and two counts of its own. */
#define SK_LS_NODES "nodes"
#define SK_LS_READY "ready"

/* Values. The lab's state. */
#define SKV_LAB_STARTING "starting"
/* away[]'s kind */
#define SKV_NODE "node"
#define SKV_HOST "host"
/* A node or host whose machine did not answer (the CLI's merge) */
#define SKV_UNREACHABLE "unreachable"
#define SKV_LAB_RUNNING "running"
#define SKV_LAB_STOPPING "stopping"
/* A node's state (node_state_name()); a host's is ready, running or exited. */
#define SKV_STOPPED "stopped"
#define SKV_QUEUED "queued"
#define SKV_BOOTING "booting"
#define SKV_READY "ready"
#define SKV_STOPPING "stopping"
#define SKV_EXITED "exited"
#define SKV_PANICKED "panicked"
#define SKV_INTERNAL_ERROR "internal-error"
#define SKV_FAILED "failed"
#define SKV_RUNNING "running"
/* accel */
#define SKV_KVM "kvm"
#define SKV_TCG "tcg"
/* a NIC's kind */
#define SKV_TAP "tap"
#define SKV_VETH "veth"
/* a serial port's kind (serial_kind_name(), the topology's words) */
#define SKV_PORT_CONSOLE "console"
#define SKV_PORT_LOOP "loop"
#define SKV_PORT_RINGBUF "ringbuf"
#define SKV_PORT_TCP "tcp"
#define SKV_PORT_UNIX "unix"
#define SKV_PORT_LOG "log"
#define SKV_PORT_NONE "none"
#define SKV_PORT_CABLE "cable"
#define SKV_PORT_DEVICE "device"
#define SKV_PORT_PTY "pty"
/* nics[].link */
#define SKV_LINK_UP "up"
#define SKV_LINK_DOWN "down"
/* device_state */
#define SKV_DEVICE_PENDING "pending" /* its node has not started */
#define SKV_DEVICE_RUNNING "running"
#define SKV_DEVICE_EXITED "exited"
/* a forward's proto */
#define SKV_PROTO_TCP "tcp"
#define SKV_PROTO_UDP "udp"

#endif
