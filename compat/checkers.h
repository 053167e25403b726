/*
 * Every port checker by name, for the chain: the in-process "ctdb" and
 * "bind" from checks/, the external "nmap", "netstat" and "ss" here.
 */
#ifndef COMPAT_CHECKERS_H
#define COMPAT_CHECKERS_H

#include <stdbool.h>
#include <stdint.h>

#include "checks/check.h"

extern const struct port_checker checker_nmap;
extern const struct port_checker checker_netstat;
extern const struct port_checker checker_ss;

/* NULL-terminated: ctdb, bind, nmap, netstat, ss */
extern const struct port_checker *const compat_checkers[];

/**
 * @brief Pure parsers of each tool's output: is @p port listening?
 * nmap: the "Ports:" field lists "P/open/tcp//".  netstat/ss: a LISTEN
 * line has local address ADDR:P for any IPv4 or IPv6 address.
 */
bool nmap_parse(const char *output, uint16_t port);
bool netstat_parse(const char *output, uint16_t port);
bool ss_parse(const char *output, uint16_t port);

#endif
