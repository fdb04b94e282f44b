/* C functions that libproxy provides to lwIP through lwipopts.h (implemented in sys_arch.cpp,
 * checksum.cpp). */
#ifndef LIBPROXY_HOOKS_H
#define LIBPROXY_HOOKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Aborts unless called on the thread that owns the stack (debug builds only). */
void libproxy_assert_core_locked(void);
/* A random 32-bit value from a PRNG seeded by the OS. */
uint32_t libproxy_random_u32(void);
/* RFC 6528 initial sequence number: a keyed hash of the 4-tuple plus a 4 µs clock.
 * Addresses are in network byte order, ports in host byte order. */
uint32_t libproxy_tcp_isn(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
                          uint16_t remote_port);

/* LWIP_CHKSUM: the Internet checksum's 16-bit one's complement sum of `len` bytes, as native
 * 16-bit loads (a trailing odd byte padded with zero), not inverted. */
uint16_t libproxy_chksum(const void* data, int len);
/* LWIP_CHKSUM_COPY: copies `len` bytes from src to dst and returns their sum as above. */
uint16_t libproxy_chksum_copy(void* dst, const void* src, uint16_t len);
/* While set, libproxy_chksum_copy only copies (and returns 0): tcp_write's sum would never be
 * used, because the pcb's netif leaves TCP checksums to its link (segmentation offload). */
void libproxy_copy_sum_unused(int unused);

struct tcp_pcb;
/* TCP_OOSEQ_BYTES_LIMIT / TCP_OOSEQ_PBUFS_LIMIT: the per-pcb caps of the out-of-order queue,
 * set at run time (stack/stack_limits.cpp). lwIP evaluates the bytes limit first, right before
 * it trims the queue, so that call also counts the segments the trim will drop. */
uint32_t libproxy_tcp_ooseq_bytes_limit(const struct tcp_pcb* pcb);
uint16_t libproxy_tcp_ooseq_pbufs_limit(void);
/* IP_REASS_MAX_PBUFS: pbufs held by IPv4 reassembly over all datagrams (stack_limits.cpp). */
extern uint16_t libproxy_ip_reass_max_pbufs;

#ifdef __cplusplus
}
#endif

#endif /* LIBPROXY_HOOKS_H */
