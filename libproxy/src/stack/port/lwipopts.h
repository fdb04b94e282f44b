/*
 * lwIP configuration for libproxy: NO_SYS lwIP owned by one Asio thread, one Ethernet netif per
 * Golem VPN, tuned for throughput and many concurrent TCP connections.
 *
 * The values and their reasons are in ../shared/notes/lwip.md (§2, §5, §8). Every option not set
 * here keeps lwIP's default from src/include/lwip/opt.h.
 */
#ifndef LIBPROXY_LWIPOPTS_H
#define LIBPROXY_LWIPOPTS_H

#include "libproxy_hooks.h"

/* ---- Threading: one io thread, no OS layer ---------------------------------------------- */
#define NO_SYS 1
#define LWIP_TIMERS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#ifndef NDEBUG
/* Debug builds: every lwIP API entry checks that it runs on the io thread that owns the stack. */
#define LWIP_ASSERT_CORE_LOCKED() libproxy_assert_core_locked()
#endif

/* ---- Memory: the C allocator for everything; the application enforces connection caps --- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define PBUF_POOL_SIZE 64

/* ---- Protocols: IPv4 over Ethernet II with ARP; the Golem VPN carries no working IPv6 ----- */
#define LWIP_SINGLE_NETIF 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ARP_TABLE_SIZE 256
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 256
#define ETHARP_SUPPORT_VLAN 0
#define LWIP_ACD 0
#define LWIP_AUTOIP 0
#define LWIP_DHCP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_RAW 0
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
/* Fragments of UDP datagrams over the VPN MTU (UDP gateways allow 16 KiB datagrams) are
 * reassembled; the pbufs they hold are capped at run time (--ip-reass-max-pbufs). The "+ 0"
 * keeps init.c's preprocessor check (MEMP_NUM_REASSDATA > IP_REASS_MAX_PBUFS) valid: there the
 * variable reads as 0. With MEMP_MEM_MALLOC the REASSDATA pool has no count of its own. */
#define IP_REASS_MAX_PBUFS (libproxy_ip_reass_max_pbufs + 0)
#define MEMP_NUM_REASSDATA 0
#define IP_DEFAULT_TTL 64
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

/* ---- TCP: windows for a VPN's bandwidth-delay product, segments sized from the netif MTU -- */
/* Upper bound only: the MSS actually used is clamped to each netif's MTU - 40 (1180 at the
 * Golem default MTU 1220). */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 6
#define TCP_WND (512 * 1024)
#define TCP_SND_BUF (512 * 1024)
/* Sized for the smallest MSS a peer may force (536) and two pbufs per segment. */
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + 535) / 536)
/* Socket-API knobs; defined only so init.c's sanity checks pass with large buffers. */
#define TCP_SNDLOWAT (0xFFFF - (4 * TCP_MSS) - 1)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
/* Out-of-order data per pcb, capped in bytes and pbufs at run time (--tcp-ooseq-max-bytes,
 * --tcp-ooseq-max-pbufs). The pbuf cap also bounds lwIP's linear walk of the queue per arriving
 * segment: a peer sending many tiny segments with gaps cannot make it long. Past a cap lwIP
 * drops the queue's tail (the highest sequence numbers), which the peer retransmits. */
#define TCP_OOSEQ_BYTES_LIMIT(pcb) libproxy_tcp_ooseq_bytes_limit(pcb)
#define TCP_OOSEQ_PBUFS_LIMIT(pcb) libproxy_tcp_ooseq_pbufs_limit()
#define LWIP_TCP_SACK_OUT 1
#define LWIP_TCP_MAX_SACK_NUM 4
#define LWIP_TCP_KEEPALIVE 0 /* the bridges' idle and linger timers cover dead peers */
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_LISTEN_BACKLOG 0
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0
/* "pcb destroyed" hooks, since lwIP frees TIME_WAIT pcbs without any callback: one for the
 * TcpPcb that owns the pcb, one for the local port it holds (stack/port_table.hpp). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 2

/* TIME_WAIT policy. lwIP is the active closer when a user hangs up, so every user teardown
 * leaves a TIME_WAIT pcb holding an ephemeral port, and lwIP keeps local ports unique across
 * all peers. 2 x TCP_MSL = 4 s of TIME_WAIT over 49 151 ports sustains about 12 000 new
 * connections per second (20 s gave 2 450/s, below HAProxy's rate in tests/bench; the default
 * 16 383 ports and 120 s give 136/s). 4 s is still thousands of round trips on a VPN link and
 * longer than Linux's own TIME_WAIT reuse delay (1 s, net.ipv4.tcp_tw_reuse); the RFC 6528
 * initial sequence numbers keep a reused port's old segments out of the new window. lwIP also
 * gives up a LAST_ACK after 2 x TCP_MSL: a pcb whose last FIN stays unacknowledged for 4 s is
 * freed without a RST (the bridge has finished with it by then). */
#define TCP_MSL 2000UL
#define TCP_LOCAL_PORT_RANGE_START 0x4000
#define TCP_LOCAL_PORT_RANGE_END 0xffff
/* The random first port, kept below END: lwIP's mask form could yield 0xFFFF, whose successor
 * wraps to port 0. */
#define TCP_ENSURE_LOCAL_PORT_RANGE(port) \
  ((u16_t)(TCP_LOCAL_PORT_RANGE_START +   \
           ((port) % (TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START))))
#define UDP_LOCAL_PORT_RANGE_START 0x4000
#define UDP_LOCAL_PORT_RANGE_END 0xffff
#define UDP_ENSURE_LOCAL_PORT_RANGE(port) \
  ((u16_t)(UDP_LOCAL_PORT_RANGE_START +   \
           ((port) % (UDP_LOCAL_PORT_RANGE_END - UDP_LOCAL_PORT_RANGE_START))))

/* ---- Checksums: generated and verified (a TAP link is not authenticated), except where a
 * link with segmentation offload completes TCP checksums itself, or vouches for a frame whose
 * checksum its kernel left to offload or already checked (VpnInterface sets that per netif and
 * per frame). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHECKSUM_ON_COPY 1
/* Sums 8 bytes per step (port/checksum.cpp); lwIP's best portable one (algorithm 3) was 22 % of
 * the daemon's CPU time at 10 Gbit/s. tcp_write sums what it copies in the same pass. */
#define LWIP_CHKSUM libproxy_chksum
#define LWIP_CHKSUM_COPY(dst, src, len) libproxy_chksum_copy(dst, src, len)

/* ---- Hooks ---------------------------------------------------------------------------------- */
/* RSTs and ICMP errors for segments that match no pcb leave through the netif the segment came
 * in on, not through whichever netif owns the address first (VPNs may overlap). Bound pcbs never
 * route by address, so this only affects replies generated during input. */
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) ((src) != NULL ? ip_current_input_netif() : NULL)
/* RFC 6528 initial sequence numbers; lwIP's default ISN is predictable. */
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) \
  libproxy_tcp_isn(ip_2_ip4(local_ip)->addr, local_port, ip_2_ip4(remote_ip)->addr, remote_port)
#define LWIP_RAND() libproxy_random_u32()

/* ---- Statistics and debugging: off (the library keeps its own counters), except IPv4
 * reassembly's, read for the ip_reass_dropped counter (Stack::counters) ---------------------- */
#define LWIP_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 1
#define ICMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define MEM_STATS 0
#define MEMP_STATS 0
#define SYS_STATS 0
#define LWIP_STATS_DISPLAY 0

#endif /* LIBPROXY_LWIPOPTS_H */
