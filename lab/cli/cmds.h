/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmds.h - one function per CLI verb, one file per verb (lab/cmd_VERB.c).
 * Each takes the verb's own argv (argv[0] is the verb) and returns the exit
 * status (enum vacmlab_exit in util.h, or a child's status for exec/run).
 */
#ifndef VACMLAB_CMDS_H
#define VACMLAB_CMDS_H

int cmd_check(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_impair(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_usb(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_web(int argc, char **argv);
int cmd_kube(int argc, char **argv);

#endif
