/* lwIP architecture port for libproxy: Linux (glibc), GCC or Clang, 64-bit little endian. */
#ifndef LIBPROXY_ARCH_CC_H
#define LIBPROXY_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_NO_STDINT_H 0
#define LWIP_NO_INTTYPES_H 0
#define LWIP_NO_LIMITS_H 0
#define LWIP_NO_CTYPE_H 0
#define LWIP_ERRNO_STDINCLUDE 1

/* Inline byte swaps instead of lwIP's out-of-line lwip_htons/lwip_htonl. */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_ntohs(x) lwip_htons(x)
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#define lwip_ntohl(x) lwip_htonl(x)

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    printf x;                 \
  } while (0)
/* An lwIP assertion is a broken invariant inside the stack: stop at once, in release builds too
 * (LWIP_NOASSERT stays undefined). Silencing them would not make lwIP safe: past a failed
 * assertion it goes on with a corrupt state (a receive window wrapped to 4 GiB, a queue out of
 * order, a pbuf freed twice), which is worse than a restart. Instead, no assertion may be
 * reachable from the network: the ones a VPN peer could reach in 2.1.3 are fixed by
 * third_party/lwip/patches (0002: SYN in SYN_RCVD; 0007: out-of-order data past the window;
 * 0008: options read past the header) and by VpnInterface's input checks (runt and malformed
 * frames and IPv4 headers never reach lwIP). The evidence is tests/fuzz/stack_frames.cpp: it
 * feeds arbitrary frames, split into arbitrary pbuf chains, to a stack built from this port with
 * every assertion armed, through handshakes into established connections. */
#define LWIP_PLATFORM_ASSERT(x)                                                                \
  do {                                                                                         \
    fprintf(stderr, "lwIP assertion \"%s\" failed at line %d in %s\n", x, __LINE__, __FILE__); \
    fflush(stderr);                                                                            \
    abort();                                                                                   \
  } while (0)

#endif /* LIBPROXY_ARCH_CC_H */
