// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tc.c - traffic control for link impairments: netem and tbf on the egress
 * of an interface (traffic towards the guest behind a tap), and the same on
 * its ingress (traffic from the guest) through an IFB device.
 *
 * DOC: Theory of operation
 * A qdisc shapes only what a device sends. What a tap sends goes to its
 * guest; what the guest sends arrives on the tap's ingress, where no qdisc
 * can delay it. So for the "from" direction the tap gets an ingress qdisc
 * with one match-everything u32 filter whose mirred action redirects each
 * frame to the egress of an IFB device ("vlifbN", N the tap's ifindex, so
 * the name is derived, never stored). The IFB's own root qdisc (netem/tbf,
 * exactly as on the egress side) shapes the frame, and the IFB hands it back
 * to the tap's receive path, after tc, so bridging goes on as before. The
 * IFB lives in the lab's namespace and goes away with it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "netns/nl.h"
#include "netns/nl_priv.h"

static void qdisc_putp(struct rtnl_qdisc **q)
{
	if (*q)
		rtnl_qdisc_put(*q);
}
#define _cleanup_qdisc_ __attribute__((cleanup(qdisc_putp)))

/* A token bucket at @parent: rate in bits per second. */
static int tbf_add(struct nlx *nl, int idx, uint32_t parent, uint32_t handle, uint64_t rate_bps)
{
	_cleanup_qdisc_ struct rtnl_qdisc *t = rtnl_qdisc_alloc();
	uint64_t Bps = rate_bps / 8;
	int bucket, r;

	if (!t)
		return -ENOMEM;
	if (Bps > UINT32_MAX)
		Bps = UINT32_MAX;
	bucket = (int)(Bps / 100 > 3200 ? Bps / 100 : 3200);
	rtnl_tc_set_ifindex(TC_CAST(t), idx);
	rtnl_tc_set_parent(TC_CAST(t), parent);
	rtnl_tc_set_handle(TC_CAST(t), handle);
	r = rtnl_tc_set_kind(TC_CAST(t), "tbf");
	if (r < 0)
		return nl_errno(r);
	rtnl_qdisc_tbf_set_rate(t, (int)Bps, bucket, 0);
	rtnl_qdisc_tbf_set_limit(t, bucket * 4 > 65536 ? bucket * 4 : 65536);
	return nl_errno(rtnl_qdisc_add(nl->sk, t, NLM_F_CREATE | NLM_F_REPLACE));
}

/* netem's probabilities are 32-bit fractions: 100% == UINT32_MAX. */
static int prob(double pct)
{
	return (int)(uint32_t)(pct / 100.0 * 4294967295.0);
}

static int netem_set_idx(struct nlx *nl, int idx, const struct nlx_netem *ne)
{
	_cleanup_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int r;

	if (!q)
		return -ENOMEM;
	/* A rate alone needs no netem (which some kernels lack): tbf at root. */
	if (!ne->delay_us && !ne->jitter_us && ne->loss_pct <= 0 && ne->duplicate_pct <= 0 &&
	    ne->corrupt_pct <= 0 && ne->reorder_pct <= 0)
		return tbf_add(nl, idx, TC_H_ROOT, TC_HANDLE(1, 0), ne->rate_bps);
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	r = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (r < 0)
		return nl_errno(r);
	/* libnl takes netem times in microseconds and converts to ticks. */
	if (ne->delay_us)
		rtnl_netem_set_delay(q, (int)ne->delay_us);
	if (ne->jitter_us)
		rtnl_netem_set_jitter(q, (int)ne->jitter_us);
	if (ne->loss_pct > 0)
		rtnl_netem_set_loss(q, prob(ne->loss_pct));
	if (ne->duplicate_pct > 0)
		rtnl_netem_set_duplicate(q, prob(ne->duplicate_pct));
	if (ne->corrupt_pct > 0)
		rtnl_netem_set_corruption_probability(q, prob(ne->corrupt_pct));
	if (ne->reorder_pct > 0) {
		/* As tc does: reordering sends every packet but the reordered
		 * ones with the delay; gap 1 means any packet may jump ahead. */
		rtnl_netem_set_reorder_probability(q, prob(ne->reorder_pct));
		rtnl_netem_set_gap(q, 1);
	}
	/* A long enough queue that delay at line rate does not drop packets. */
	rtnl_netem_set_limit(q, 10000);
	r = rtnl_qdisc_add(nl->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0 || !ne->rate_bps)
		return nl_errno(r);
	/* Rate below netem (netem's own rate is not exposed by libnl 3.7). */
	return tbf_add(nl, idx, TC_HANDLE(1, 0), TC_HANDLE(2, 0), ne->rate_bps);
}

int nlx_netem_set(struct nlx *nl, const char *ifname, const struct nlx_netem *ne)
{
	int idx = ifindex_of(ifname);

	return idx < 0 ? idx : netem_set_idx(nl, idx, ne);
}

static int root_clear_idx(struct nlx *nl, int idx)
{
	_cleanup_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int r;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = nl_errno(rtnl_qdisc_delete(nl->sk, q));
	/* No root qdisc to delete: already clear. */
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

int nlx_qdisc_clear(struct nlx *nl, const char *ifname)
{
	int idx = ifindex_of(ifname);

	return idx < 0 ? idx : root_clear_idx(nl, idx);
}

/* The IFB that carries @idx's ingress: its name is derived from the index. */
static void ifb_name(int idx, char name[IFNAMSIZ])
{
	snprintf(name, IFNAMSIZ, "vlifb%d", idx);
}

static int ingress_del(struct nlx *nl, int idx)
{
	_cleanup_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int r;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffff, 0));
	r = nl_errno(rtnl_qdisc_delete(nl->sk, q));
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

/* An IFB named @name, up; -errno. An existing one is reused. */
static int ifb_up(struct nlx *nl, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	r = rtnl_link_set_type(l, "ifb");
	if (r >= 0)
		r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	r = nl_errno(r);
	if (r && r != -EEXIST)
		return r;
	return nlx_link_up(nl, name, NULL);
}

/* Redirect everything arriving on @idx to the egress of @ifb. */
static int ingress_redirect(struct nlx *nl, int idx, int ifb)
{
	_cleanup_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int r = -ENOMEM;

	if (!q || !cls || !act)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffff, 0));
	if ((r = nl_errno(rtnl_tc_set_kind(TC_CAST(q), "ingress"))) ||
	    (r = nl_errno(rtnl_qdisc_add(nl->sk, q, NLM_F_CREATE))))
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(cls), idx);
	rtnl_tc_set_parent(TC_CAST(cls), TC_HANDLE(0xffff, 0));
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	rtnl_cls_set_prio(cls, 1);
	if ((r = nl_errno(rtnl_tc_set_kind(TC_CAST(cls), "u32"))) ||
	    (r = nl_errno(rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0))) ||
	    /* Without the terminal flag the key matches but runs no action. */
	    (r = nl_errno(rtnl_u32_set_cls_terminal(cls))) ||
	    (r = nl_errno(rtnl_tc_set_kind(TC_CAST(act), "mirred"))))
		goto out;
	rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
	rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
	rtnl_mirred_set_ifindex(act, (uint32_t)ifb);
	if ((r = nl_errno(rtnl_u32_add_action(cls, act))))
		goto out;
	r = nl_errno(rtnl_cls_add(nl->sk, cls, NLM_F_CREATE | NLM_F_EXCL));
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	return r;
}

int nlx_ingress_netem_set(struct nlx *nl, const char *ifname, const struct nlx_netem *ne)
{
	char name[IFNAMSIZ];
	int idx = ifindex_of(ifname), ifb, r;

	if (idx < 0)
		return idx;
	ifb_name(idx, name);
	if ((r = ifb_up(nl, name)))
		return r;
	if ((ifb = ifindex_of(name)) < 0)
		return ifb;
	/* Shape first, redirect second: no frame passes an unshaped IFB. */
	if ((r = netem_set_idx(nl, ifb, ne)))
		return r;
	/* Replace any earlier redirect (its filter goes with its qdisc). */
	if ((r = ingress_del(nl, idx)))
		return r;
	return ingress_redirect(nl, idx, ifb);
}

int nlx_ingress_clear(struct nlx *nl, const char *ifname)
{
	char name[IFNAMSIZ];
	int idx = ifindex_of(ifname), ifb, r;

	if (idx < 0)
		return idx;
	if ((r = ingress_del(nl, idx)))
		return r;
	ifb_name(idx, name);
	ifb = ifindex_of(name);
	/* The IFB stays (reused by the next impairment); its qdisc goes. */
	return ifb < 0 ? 0 : root_clear_idx(nl, ifb);
}
