// MemoryBudget: the charged bytes every TCP connection holds, against one process-wide budget
// (an overload manager in Envoy's sense). Connections report changes of what they hold; the
// budget moves between three states:
//
//   [normal] ── used > high watermark ──▶ [overloaded] ── used > budget ──▶ shed (posted):
//      ▲                                    │ no client is read, no window      the newest
//      └──── used < 90 % of the watermark ──┘ reopens; waiters resume on exit   connections
//                                                                                holding bytes
//                                                                                are reset
// Shedding is posted, never run inside the report: reports come from lwIP callbacks.
#pragma once

#include <libproxy/counters.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace libproxy::proxy {

class MemoryBudget {
public:
  using Clock = std::chrono::steady_clock;

  MemoryBudget(asio::io_context& io, TcpCounters& counters) : io_(io), counters_(counters) {
    set_limits(counters_.memory_budget_bytes = std::size_t{512} << 20, 80);
  }

  void set_limits(std::size_t budget, unsigned high_percent) {
    budget_ = budget;
    high_ = budget / 100 * high_percent;
    counters_.memory_budget_bytes = budget;
  }

  std::size_t used() const { return used_; }
  bool overloaded() const { return overloaded_; }
  bool over_budget() const { return used_ > budget_; }

  /// A connection holds `delta` bytes more (or fewer).
  void charge(std::ptrdiff_t delta) {
    used_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(used_) + delta);
    counters_.memory_buffered_bytes = used_;
    if (used_ > counters_.memory_buffered_bytes_peak) counters_.memory_buffered_bytes_peak = used_;
    if (!overloaded_ && used_ > high_) {
      overloaded_ = true;
      since_ = Clock::now();
      counters_.memory_overloaded = 1;
      ++counters_.memory_overload_episodes;
    } else if (overloaded_ && used_ < high_ / 10 * 9) {
      overloaded_ = false;
      counters_.memory_overloaded = 0;
      counters_.memory_overload_ms += elapsed_ms();
      post_resume();
    }
    if (used_ > budget_ && !shed_posted_ && shed) {
      shed_posted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired()) return;  // the budget (and its Proxy) went meanwhile
        shed_posted_ = false;
        if (over_budget()) shed();
      });
    }
  }

  /// Calls `resume` once the overload ends (at once if there is none).
  void wait_for_room(std::function<void()> resume) {
    waiters_.push_back(std::move(resume));
    if (!overloaded_) post_resume();
  }

  /// Milliseconds of the overload going on now (0 if none), for a live counter.
  std::uint64_t current_overload_ms() const { return overloaded_ ? elapsed_ms() : 0; }

  /// Resets connections, newest first, until the budget holds again. Set by the Proxy.
  std::function<void()> shed;

private:
  std::uint64_t elapsed_ms() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since_).count());
  }

  void post_resume() {
    if (waiters_.empty()) return;
    asio::post(io_, [waiters = std::exchange(waiters_, {})] {
      for (const auto& resume : waiters) resume();
    });
  }

  asio::io_context& io_;
  TcpCounters& counters_;
  std::size_t budget_ = 0;
  std::size_t high_ = 0;
  std::size_t used_ = 0;
  bool overloaded_ = false;
  bool shed_posted_ = false;
  Clock::time_point since_;
  std::vector<std::function<void()>> waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace libproxy::proxy
