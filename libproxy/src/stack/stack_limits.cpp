#include "stack_limits.hpp"

#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include <algorithm>

namespace libproxy::stack {
namespace {

StackLimits g_limits;
std::uint64_t g_ooseq_dropped = 0;

}  // namespace

void set_limits(const StackLimits& limits) {
  g_limits = limits;
  g_limits.tcp_ooseq_max_bytes = std::max<std::uint32_t>(g_limits.tcp_ooseq_max_bytes, 1);
  g_limits.tcp_ooseq_max_pbufs = std::max<std::uint16_t>(g_limits.tcp_ooseq_max_pbufs, 1);
  g_limits.ip_reass_max_pbufs = std::max<std::uint16_t>(g_limits.ip_reass_max_pbufs, 1);
  libproxy_ip_reass_max_pbufs = g_limits.ip_reass_max_pbufs;
}

const StackLimits& limits() { return g_limits; }

std::uint64_t ooseq_segments_dropped() { return g_ooseq_dropped; }

}  // namespace libproxy::stack

extern "C" {

uint16_t libproxy_ip_reass_max_pbufs = libproxy::StackLimits{}.ip_reass_max_pbufs;

// lwIP (tcp_receive, after queueing an out-of-order segment) asks for the limits, then walks the
// queue summing bytes and pbufs and frees everything from the first segment that crosses either
// limit. It does not report what it freed, so this walk predicts it the same way. Both walks are
// bounded: the queue held at most the pbuf limit before this segment came.
uint32_t libproxy_tcp_ooseq_bytes_limit(const struct tcp_pcb* pcb) {
  const auto& limits = libproxy::stack::g_limits;
  std::uint64_t bytes = 0, pbufs = 0;
  bool over = false;
  for (const tcp_seg* seg = pcb->ooseq; seg != nullptr; seg = seg->next) {
    bytes += seg->p->tot_len;
    pbufs += pbuf_clen(seg->p);
    over = over || bytes > limits.tcp_ooseq_max_bytes || pbufs > limits.tcp_ooseq_max_pbufs;
    if (over) ++libproxy::stack::g_ooseq_dropped;
  }
  return limits.tcp_ooseq_max_bytes;
}

uint16_t libproxy_tcp_ooseq_pbufs_limit(void) {
  return libproxy::stack::g_limits.tcp_ooseq_max_pbufs;
}

}  // extern "C"
