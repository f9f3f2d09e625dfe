# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab objects of pytest-vacmlab.

Everything goes through the `vacmlab` command line and its --json output
(`up --warm --json`, `status --json`, `exec`, `send`, `restore`, `node`,
`link`, `logs`, `down`); the only thing read directly is a console's
read-only socket, whose path `status --json` gives, for Console.expect().
"""
import json
import os
import re
import shutil
import socket
import subprocess
import time


class VacmlabError(RuntimeError):
    """A vacmlab command failed; the message holds its stderr."""


def _binary():
    b = os.environ.get("VACMLAB") or shutil.which("vacmlab")
    if not b:
        raise VacmlabError("vacmlab not found: put it in PATH or set VACMLAB")
    return b


def run(args, check=True, timeout=600, **kw):
    """Run `vacmlab ARGS...`; a CompletedProcess (text)."""
    p = subprocess.run([_binary(), *args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise VacmlabError(
            "vacmlab %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr.strip())
        )
    return p


class Console:
    """A node's serial console (ttyS0): send text, expect output."""

    def __init__(self, lab, node):
        self._lab, self._node = lab, node
        self._sock = None
        self._buf = ""

    def _connect(self):
        path = self._lab._port(self._node)["socket_ro"]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        s.connect(path)
        # The supervisor first replays recent output: that is the past.
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                if not s.recv(65536):
                    break
            except socket.timeout:
                break
        self._sock, self._buf = s, ""

    SETTLE = 0.05

    def _quiet(self, t):
        """True if nothing arrives for @t seconds; else False, with what
        arrived added to the buffer."""
        self._sock.settimeout(t)
        try:
            d = self._sock.recv(65536)
        except socket.timeout:
            return True
        if not d:
            return True  # the node went away: what is here is all there is
        self._buf += d.decode(errors="replace").replace("\r", "")
        return False

    def reset(self):
        """Forget the output seen so far (after a restore or a restart)."""
        if self._sock:
            self._sock.close()
        self._sock = None

    def send(self, text):
        """Write @text to the console as is (no escapes, no newline added)."""
        if not self._sock:
            self._connect()
        run(["send", "--raw", self._lab.name, self._node, text])

    def expect(self, regex, timeout=30):
        """Wait until @regex matches output that arrived after the previous
        match (or since the console was first used); return the re.Match.
        Raises TimeoutError with the output seen."""
        if not self._sock:
            self._connect()
        rx = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self._buf)
            # A match that reaches the end of what has arrived may be the
            # start of a line still coming ('# $' on the '# ' of '# Title'):
            # it stands once the output pauses for SETTLE seconds.
            if m and (m.end() < len(self._buf) or self._quiet(self.SETTLE)):
                self._buf = self._buf[m.end():]
                return m
            if m:
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    "console of %s: no match for %r in %g s; output:\n%s"
                    % (self._node, regex, timeout, self._buf[-2000:])
                )
            self._sock.settimeout(min(left, 0.5))
            try:
                d = self._sock.recv(65536)
            except socket.timeout:
                continue
            if not d:  # the node went away (stop, restart): reconnect
                self._sock = None
                time.sleep(0.2)
                self._connect()
                continue
            self._buf += d.decode(errors="replace").replace("\r", "")


class Node:
    """One node of a running lab."""

    def __init__(self, lab, name):
        self.lab, self.name = lab, name
        self.console = Console(lab, name)

    def _status(self):
        for n in self.lab.status()["nodes"]:
            if n["name"] == self.name:
                return n
        raise VacmlabError("lab %s has no node %s" % (self.lab.name, self.name))

    @property
    def addr(self):
        """The node's first address (fixed, or its DHCP lease), or None."""
        for nic in self._status().get("nics", []):
            if nic.get("address"):
                return nic["address"]
        return None

    @property
    def state(self):
        return self._status()["state"]

    def _node(self, op, timeout):
        run(["node", "--timeout", str(timeout), op, self.lab.name, self.name],
            timeout=timeout + 60)
        self.console.reset()

    def stop(self, timeout=20):
        """Graceful power-off (`vacmlab node stop`)."""
        self._node("stop", timeout)

    def start(self, timeout=300):
        """Boot again on the same disk; returns when ready."""
        self._node("start", timeout)

    def restart(self, timeout=300):
        self._node("restart", timeout)

    def config_erase(self, nvlog=False, timeout=600):
        """Make the node factory-fresh (`vacmlab config erase`): its
        /etc/config (and nvlog with @nvlog) emptied, the firmware kept; on a
        running lab the node is powered off, erased and started again, so
        it provisions itself anew (ZTP). Returns when it is ready."""
        args = ["config", "erase"] + (["--nvlog"] if nvlog else [])
        run(args + [self.lab.name, self.name], timeout=timeout)
        self.console.reset()

    def usb_insert(self, path):
        """Plug a USB key (a directory or an image) into the running node."""
        run(["usb", self.lab.name, self.name, "insert", os.path.abspath(path)])

    def usb_eject(self):
        run(["usb", self.lab.name, self.name, "eject"])

    def link_down(self, nic="eth0"):
        """Pull the cable of @nic: the guest sees carrier 0."""
        run(["link", "down", self.lab.name, "%s:%s" % (self.name, nic)])

    def link_up(self, nic="eth0"):
        run(["link", "up", self.lab.name, "%s:%s" % (self.name, nic)])

    def cable(self, port):
        """The serial cable on this node's port @port (0..15 or "ttySN"):
        a cable to another node, or the cable to a device or a pty."""
        return Cable(self.lab, self.name, port)

    def send_break(self, port=0):
        """A serial BREAK on port @port (`vacmlab send --break`): the
        guest's UART sees a break (on a Linux console, the next key is a
        magic SysRq command)."""
        run(["send", "--break", self.lab.name, self.name, str(port)])

    _seq = 0

    def sh(self, cmd, timeout=30):
        """Run the shell command @cmd on the node's console (logging in as
        root first if the console shows a login prompt); its output, with
        surrounding white space stripped.

        The output is what comes between two markers the shell itself
        prints, so neither a stale prompt, nor the echo of the command line
        (which holds the markers unexpanded), nor a prompt printed late is
        taken for output."""
        c = self.console
        c.send("\n")
        m = c.expect(r"(login: ?$|# (?:\x1b\[6n)?$)", timeout=timeout)
        if m.group(1).startswith("login"):
            c.send("root\n")
            c.expect(r"# (?:\x1b\[6n)?$", timeout=timeout)
        Node._seq += 1
        tag = "__VL%d_%d" % (os.getpid(), Node._seq)
        c.send("echo %s_$((0+1))B; %s; echo %s_$((1+1))E\n" % (tag, cmd, tag))
        m = c.expect(r"(?s)%s_1B\n(.*?)%s_2E" % (tag, tag), timeout=timeout)
        return m.group(1).strip()

    def log(self):
        """The console log of this run of the lab."""
        return run(["logs", self.lab.name, self.name], check=False).stdout


def _chunks(log):
    """A cable's log as (direction "FROM>TO", bytes, lost) tuples, in order
    (notes such as "cable ... plugged" are left out)."""
    out = []
    for line in log.splitlines():
        m = re.match(r'^\S+Z (\S+>\S+) (lost )?"(.*)"$', line)
        if m:
            raw = m.group(3).encode("latin-1", "backslashreplace")
            out.append((m.group(1), raw.decode("unicode_escape").encode("latin-1"),
                        bool(m.group(2))))
    return out


CABLE_KINDS = ("cable", "device", "pty")


class Cable:
    """A serial cable (serial = cable:...), named by either of its ends;
    also the cable from a node's port to a device or a pty."""

    def __init__(self, lab, node, port):
        self.lab, self.node = lab, node
        self.port = int(str(port).replace("ttyS", ""))
        self.end = "%s:ttyS%d" % (node, self.port)

    def status(self):
        """This end's ports[] object: peer, plugged, bytes_sent, lost_sent, ..."""
        p = self.lab._port(self.node, self.port)
        if p.get("kind") not in CABLE_KINDS:
            raise VacmlabError("%s is a %s port, not a cable" % (self.end, p.get("kind")))
        return p

    @property
    def plugged(self):
        return self.status()["plugged"]

    @property
    def peer(self):
        return self.status()["peer"]

    def pull(self):
        """`vacmlab link down`: bytes sent while it is pulled are lost."""
        run(["link", "down", self.lab.name, self.end])

    def plug(self):
        run(["link", "up", self.lab.name, self.end])

    def log(self):
        """The cable's log: one line a chunk, TIME FROM>TO "BYTES"."""
        return run(["logs", self.lab.name, self.node, str(self.port)]).stdout

    def chunks(self):
        """The log as (direction "NODE:ttySN>NODE:ttySN", bytes, lost) tuples."""
        return _chunks(self.log())

    def received(self, end=None):
        """The bytes carried to @end ("NODE:ttySN", "device:NAME"; default
        the far end of this one), the log's chunks joined."""
        to = end or self.peer
        return b"".join(b for d, b, lost in self.chunks() if d.split(">")[1] == to and not lost)

    def expect(self, regex, end=None, timeout=30):
        """Wait until the bytes carried to @end (default the far end) match
        @regex (bytes or str, searched in the whole run's log); the
        re.Match. Raises TimeoutError with what was carried."""
        rx = re.compile(regex.encode() if isinstance(regex, str) else regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            got = self.received(end)
            m = rx.search(got)
            if m:
                return m
            if time.monotonic() > deadline:
                raise TimeoutError("cable %s: no match for %r in %g s; carried to %s:\n%r"
                                   % (self.end, regex, timeout, end or self.peer, got[-2000:]))
            time.sleep(0.1)


class Device:
    """A [device] of a running lab: its program on a pseudo-terminal, the
    far end of the cable from the node port that names it (serial =
    device:NAME).

    There is no read-write console to a device: its pty has two talkers,
    the program and the node's UART, and the supervisor offers a device
    port's watchers a read-only socket only (as for any cable end, so no
    third party can put bytes on the line between them). Drive a device
    through its node (write to the guest's /dev/ttySN, as the appliance
    does) and read what it answered with expect() or chunks()."""

    def __init__(self, lab, name):
        self.lab, self.name = lab, name
        self.node, self.port = self._where()
        self.cable = Cable(lab, self.node, self.port)

    def _where(self):
        for n in self.lab.status()["nodes"]:
            for p in n.get("ports", []):
                if p.get("kind") == "device" and p.get("device") == self.name:
                    return n["name"], p["index"]
        raise VacmlabError("lab %s has no device %s on a port" % (self.lab.name, self.name))

    def status(self):
        """Its port's ports[] object (device_state, device_exit, ...)."""
        return self.cable.status()

    @property
    def state(self):
        """"running" or "exited" (as status says)."""
        return self.status().get("device_state")

    @property
    def exit(self):
        """How the program last ended ("exited with status 3"), or None."""
        return self.status().get("device_exit")

    @property
    def restarts(self):
        return self.status().get("device_restarts", 0)

    @property
    def plugged(self):
        return self.cable.plugged

    def pull(self):
        """Pull the cable between the device and its node's port."""
        self.cable.pull()

    def plug(self):
        self.cable.plug()

    def log(self):
        """Its cable's log (both directions, one line a chunk)."""
        return self.cable.log()

    def chunks(self):
        return self.cable.chunks()

    def expect(self, regex, timeout=30):
        """Wait until what the device sent matches @regex; the re.Match."""
        return self.cable.expect(regex, end=self.cable.end, timeout=timeout)


def _run_lab_of(topo):
    """Whether this process runs in the CMD of a `vacmlab run` of @topo
    (VACMLAB_LAB and VACMLAB_TOPOLOGY, which names the same file)."""
    lab, t = os.environ.get("VACMLAB_LAB"), os.environ.get("VACMLAB_TOPOLOGY")
    if not lab or not t:
        return False
    try:
        return os.path.samefile(t, topo)
    except OSError:
        return False


class Lab:
    """A running lab."""

    def __init__(self, name, topo, owned=True):
        self.name, self.topo = name, topo
        self.owned = owned  # brought up by this session, so taken down by it
        self._nodes = {}

    def status(self):
        return json.loads(run(["status", "--json", self.name]).stdout)

    def _port(self, node, idx=0):
        for n in self.status()["nodes"]:
            if n["name"] == node:
                return n["ports"][idx]
        raise VacmlabError("lab %s has no node %s" % (self.name, node))

    def device(self, name):
        """The [device] @name (on whichever node port names it)."""
        return Device(self, name)

    def node(self, name):
        if name not in self._nodes:
            self._nodes[name] = Node(self, name)
            self._nodes[name]._status()  # fail early on a bad name
        return self._nodes[name]

    @property
    def nodes(self):
        return [self.node(n["name"]) for n in self.status()["nodes"]]

    def exec(self, cmd, check=False, timeout=120, host=None):
        """Run @cmd (a list) inside the lab's namespaces; CompletedProcess."""
        args = [_binary(), "exec", self.name]
        if host:
            args += ["--host", host]
        return subprocess.run(args + ["--", *cmd], capture_output=True, text=True,
                              timeout=timeout, check=check)

    def restore(self, snapshot=None):
        """Every node back to @snapshot (default: the warm one)."""
        run(["restore", self.name] + ([snapshot] if snapshot else []))
        for n in self._nodes.values():
            n.console.reset()

    def down(self):
        run(["down", self.name], check=False)


class Vacmlab:
    """The labs of a test session: each topology is brought up once, warm
    (`vacmlab up --warm`), and restored when a later test asks for it."""

    def __init__(self, prefix=None):
        self._labs = {}
        self._prefix = prefix
        self.used = []  # labs the current test asked for

    def up(self, topo, name=None):
        key = os.path.realpath(topo)
        lab = self._labs.get(key)
        if lab is None and not name and _run_lab_of(topo):
            # Under `vacmlab run [--warm] TOPO -- pytest`: run's lab, which
            # run takes down (a throwaway lab: at once, without a power-off).
            lab = Lab(os.environ["VACMLAB_LAB"], topo, owned=False)
            self._labs[key] = lab
        elif lab is None:
            args = ["up", "--warm", "--json"]
            if name or self._prefix:
                args += ["--name", name or "%s%d" % (self._prefix, len(self._labs))]
            try:
                st = json.loads(run(args + [topo]).stdout)
            except VacmlabError as e:
                if self._prefix or name:
                    raise
                # A lab of that name is the user's (up, or with disks of
                # its own): the session can run under other names.
                raise VacmlabError("%s\n(pytest: --vacmlab-prefix NAME brings the session's "
                                   "labs up as NAME0, NAME1, ...)" % e) from None
            lab = Lab(st["lab"], topo)
            self._labs[key] = lab
        elif lab not in self.used:
            lab.restore()
        if lab not in self.used:
            self.used.append(lab)
        return lab

    def close(self):
        for lab in self._labs.values():
            if lab.owned:
                lab.down()
        self._labs.clear()
