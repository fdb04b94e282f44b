// LWIP_CHKSUM for lwIP: the one's complement sum behind every IPv4, TCP and UDP checksum.
//
// One's complement addition does not care about word size or byte order as long as the loads
// are native and the result is folded the same way (RFC 1071, §2), so this adds 64-bit loads
// as two 32-bit halves into 64-bit accumulators (no carries to chase; the compiler vectorises
// the loop) and folds to 16 bits at the end.
#include "libproxy_hooks.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

// Sums `left` bytes from `from`, copying them to `to` on the way when it is not null: one pass
// over the data for lwIP's checksum-on-copy (tcp_write), as cheap as the copy alone.
std::uint16_t sum_and_copy(unsigned char* to, const unsigned char* from, std::size_t left) {
  std::uint64_t sum = 0;
  for (; left >= 8; from += 8, left -= 8) {
    std::uint64_t word;
    std::memcpy(&word, from, 8);
    if (to != nullptr) {
      std::memcpy(to, &word, 8);
      to += 8;
    }
    sum += (word & 0xFFFFFFFFu) + (word >> 32);
  }
  if (left > 0) {  // the tail, zero-padded in place: its bytes keep their positions
    std::uint64_t word = 0;
    std::memcpy(&word, from, left);
    if (to != nullptr) std::memcpy(to, from, left);
    sum += (word & 0xFFFFFFFFu) + (word >> 32);
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

extern "C" uint16_t libproxy_chksum(const void* data, int len) {
  return sum_and_copy(nullptr, static_cast<const unsigned char*>(data),
                      static_cast<std::size_t>(len > 0 ? len : 0));
}

namespace {
bool g_copy_sum_unused = false;
}

extern "C" void libproxy_copy_sum_unused(int unused) { g_copy_sum_unused = unused != 0; }

extern "C" uint16_t libproxy_chksum_copy(void* dst, const void* src, uint16_t len) {
  if (g_copy_sum_unused) {
    std::memcpy(dst, src, len);
    return 0;
  }
  return sum_and_copy(static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src),
                      len);
}
