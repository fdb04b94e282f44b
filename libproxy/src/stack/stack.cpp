#include "stack.hpp"

#include "stack_limits.hpp"

#include <lwip/init.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/stats.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>

#include <cstdio>
#include <cstdlib>

namespace libproxy::stack {
namespace {

Stack* g_current = nullptr;
bool g_lwip_initialised = false;

template <class Pcb>
std::uint64_t count(const Pcb* list) {
  std::uint64_t n = 0;
  for (const Pcb* pcb = list; pcb != nullptr; pcb = pcb->next) ++n;
  return n;
}

}  // namespace

Stack::Stack(asio::io_context& io) : io_(io), timer_(io), owner_(std::this_thread::get_id()) {
  if (g_current != nullptr) {
    std::fputs("libproxy: only one Proxy (lwIP stack) may exist in a process at a time\n", stderr);
    std::abort();
  }
  g_current = this;
  if (!g_lwip_initialised) {
    lwip_init();
    g_lwip_initialised = true;
  } else {
    // lwIP's cyclic timers kept their old deadlines while no Stack drove them.
    sys_restart_timeouts();
  }
  kick_timers();
}

Stack::~Stack() {
  timer_.cancel();
  g_current = nullptr;
}

Stack* Stack::current() { return g_current; }

void Stack::kick_timers() {
  const u32_t sleep_ms = sys_timeouts_sleeptime();
  if (sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE) return;
  const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(sleep_ms);
  if (due >= armed_for_) return;
  armed_for_ = due;
  timer_.expires_at(due);
  timer_.async_wait([this](const std::error_code& ec) {
    if (!ec) on_timer();  // cancelled: re-armed for an earlier deadline, or the Stack is gone
  });
}

void Stack::on_timer() {
  armed_for_ = std::chrono::steady_clock::time_point::max();
  sys_check_timeouts();
  kick_timers();
}

StackCounters Stack::counters() const {
  StackCounters c = frames_;
  c.vnet_pcbs_active =
      count(tcp_active_pcbs) + count(tcp_bound_pcbs) + count(tcp_listen_pcbs.listen_pcbs);
  c.vnet_pcbs_time_wait = count(tcp_tw_pcbs);
  c.tcp_ooseq_segments_dropped = ooseq_segments_dropped();
  c.ip_reass_fragments_dropped = lwip_stats.ip_frag.memerr;
  return c;
}

}  // namespace libproxy::stack
