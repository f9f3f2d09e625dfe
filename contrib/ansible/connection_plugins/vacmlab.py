# SPDX-License-Identifier: GPL-2.0-or-later
# Ansible connection plugin: run commands on a vacmlab node over its serial
# console (`vacmlab send --expect`), for appliances that have neither sshd
# nor Python, such as the stand-in. Only commands: use the raw module with
# gather_facts: false; no file transfer.
#
#   ANSIBLE_CONNECTION_PLUGINS=/usr/share/vacmlab/ansible/connection_plugins \
#     ansible-playbook -i <(vacmlab inventory --connection console LAB) play.yml
#
# Each command is framed by markers the shell prints but the terminal's echo
# of the command line does not contain (printf builds them), so the output
# is exactly what the command wrote, and its exit status comes back too.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: vacmlab
short_description: run commands on a vacmlab node over its serial console
description:
  - Logs in as root on the node's console (ttyS0) once and runs each command
    there through C(vacmlab send --expect). Works without sshd or Python on
    the node; use the raw module.
author: vacmlab developers
options:
  lab:
    description: the running lab
    vars:
      - name: vacmlab_lab
  node:
    description: the node, by default the inventory host name
    vars:
      - name: vacmlab_node
  vacmlab:
    description: the vacmlab program
    default: vacmlab
    vars:
      - name: vacmlab_program
  command_timeout:
    description: seconds a command may take
    default: 60
    type: int
    vars:
      - name: vacmlab_timeout
"""

import re
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase

PROMPT = r"(# |login: )$"


class Connection(ConnectionBase):
    transport = "vacmlab"
    has_pipelining = False

    def _send(self, text, expect, timeout):
        lab = self.get_option("lab")
        node = self.get_option("node") or self._play_context.remote_addr
        if not lab:
            raise AnsibleConnectionFailure("vacmlab: set vacmlab_lab for %s" % node)
        argv = [self.get_option("vacmlab"), "send", lab, node, "--expect", expect,
                "--timeout", str(timeout), "-"]
        p = subprocess.run(argv, input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout + 10)
        if p.returncode != 0:
            raise AnsibleConnectionFailure("vacmlab send to %s/%s failed (%d): %s" % (
                lab, node, p.returncode, p.stderr.decode(errors="replace").strip()))
        return p.stdout.decode(errors="replace").replace("\r", "")

    def _connect(self):
        if not self._connected:
            out = self._send("\n", PROMPT, 30)
            if re.search(r"login: *\s*$", out):
                self._send("root\n", r"# $", 30)
            self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if in_data:
            raise AnsibleError("vacmlab: no pipelining (stdin data) over a console")
        self._connect()
        # One compound command: the shell reads (and the terminal echoes)
        # all of it before running any of it, so no echo lands inside. A
        # subshell, as each command over ssh gets a shell of its own: an
        # `exit 3` ends it, not the console's login shell.
        line = "printf '__VL_%%s__\\n' BEGIN; (\n%s\n); printf '__VL_RC_%%s__\\n' $?\n" % cmd
        out = self._send(line, r"^__VL_RC_[0-9]+__", self.get_option("command_timeout"))
        m = re.search(r"^__VL_BEGIN__\n(.*?)^__VL_RC_([0-9]+)__", out, re.S | re.M)
        if not m:
            raise AnsibleConnectionFailure("vacmlab: no framed output from the console: %r" % out[-300:])
        return int(m.group(2)), m.group(1).encode(), b""

    def put_file(self, in_path, out_path):
        raise AnsibleError("vacmlab: no file transfer over a console (use the raw module)")

    def fetch_file(self, in_path, out_path):
        raise AnsibleError("vacmlab: no file transfer over a console (use the raw module)")

    def close(self):
        self._connected = False
