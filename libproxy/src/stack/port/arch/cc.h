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
/* An lwIP assertion is a broken invariant inside the stack: stop at once. */
#define LWIP_PLATFORM_ASSERT(x)                                                                \
  do {                                                                                         \
    fprintf(stderr, "lwIP assertion \"%s\" failed at line %d in %s\n", x, __LINE__, __FILE__); \
    fflush(stderr);                                                                            \
    abort();                                                                                   \
  } while (0)

#endif /* LIBPROXY_ARCH_CC_H */
