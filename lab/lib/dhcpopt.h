/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dhcpopt.h - DHCP options a topology adds (`dhcp_option = CODE VALUE`,
 * `ztp = config=URL [firmware=URL]`): each value parsed against its
 * option's type into the bytes a client receives, and written in the form
 * dnsmasq reads back as exactly those bytes. Pure functions, unit-tested
 * (tests/unit/test_dhcpopt.c); no I/O.
 */
#ifndef VACMLAB_DHCPOPT_H
#define VACMLAB_DHCPOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCPOPT_LEN_MAX 255 /* one option's payload (its length is one byte) */
#define ZTP_LEN_MAX 250	    /* option 43 of a ZTP: sub-options 1 and 2 together */
#define DHCPOPT_VENDOR_ENCAP 43

/* One option, encoded. */
struct dhcpopt {
	int code;		      /* 1..254 */
	uint8_t val[DHCPOPT_LEN_MAX]; /* what the client receives */
	int len;		      /* 1..255 */
	bool addrs;		      /* an IPv4 address list: dnsmasq takes these as addresses */
};

/**
 * dhcpopt_owned() - the options vacmlab sets itself (from the LAN and the
 * lab: subnet mask, router, DNS servers, host name, domain, lease times,
 * server identifier) or that belong to the protocol (message type,
 * parameter request list, client identifier, ...)
 * Return: the option's name if @code is one of them, else NULL.
 */
const char *dhcpopt_owned(int code);

/**
 * dhcpopt_parse() - parse "CODE VALUE" (the value of `dhcp_option =`)
 * @spec:	CODE 1..254, blanks, then VALUE: an IPv4 list (a.b.c.d, comma- or
 *		blank-separated), a quoted string ("..." with \" and \\), a
 *		decimal number, or hex bytes (01:04:c0:a8, or one byte "0a")
 * @o:		filled on success
 * @why:	on failure, the reason (no "file:line" prefix)
 *
 * The value must fit the option's type: addresses for an address option,
 * a number in range (or hex of the option's size) for a numeric one, a
 * string or hex for a text one; an option vacmlab owns is refused.
 * Return: 0, or -1 with @why filled.
 */
int dhcpopt_parse(const char *spec, struct dhcpopt *o, char *why, size_t wlen);

/**
 * ztp_url_check() - a ZTP URL as the appliance documents them:
 * http://, https://, ftp:// or tftp://, a host, a path; printable ASCII
 * without blanks. On success fills the host part's position in @url.
 * Return: 0, or -1 with @why filled.
 */
int ztp_url_check(const char *url, size_t *host_off, size_t *host_len, char *why, size_t wlen);

/**
 * ztp_encode() - option 43 for a ZTP: sub-option 1 the configuration URL,
 * sub-option 2 the firmware URL (@firmware may be NULL), each as
 * code, length, bytes; at most ZTP_LEN_MAX bytes in all.
 * Return: 0, or -1 with @why filled (too long).
 */
int ztp_encode(const char *config, const char *firmware, struct dhcpopt *o, char *why, size_t wlen);

/**
 * dhcpopt_dnsmasq_value() - @o's value for a dhcp-option= line: addresses
 * for an address list, "Nb" for one byte (dnsmasq reads one hex pair as a
 * number), else hex bytes "hh:hh:...". dnsmasq turns each back into
 * exactly @o->val.
 */
void dhcpopt_dnsmasq_value(const struct dhcpopt *o, char *buf, size_t len);

/* A short text of @o for `check`: the addresses, the string if every byte
 * is printable ("..."), else hex. */
void dhcpopt_describe(const struct dhcpopt *o, char *buf, size_t len);

/* The option's name ("ntp-server", "vendor-encap", ...) or "" if unknown. */
const char *dhcpopt_name(int code);

#endif
