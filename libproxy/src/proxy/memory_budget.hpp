// MemoryBudget: the charged bytes every TCP connection holds, against one process-wide budget
// (an overload manager in Envoy's sense). Connections report changes of what they hold; the
// budget moves between three states:
//
//   [normal] ── used > high watermark ──▶ [overloaded] ── used > budget ──▶ shed (posted):
//      ▲                                    │ no client is read, no window      the newest
//      │                                    │ reopens; waiters resume on exit   connections
//      │                                    │                                   holding bytes
//      │                          still overloaded after overload_grace         are reset
//      │                                    ▼
//      └──── used < 90 % of the watermark ── shed newest-first down to 90 % of the watermark
//
// The grace shed ends every overload: with reads and windows held, nothing else brings the use
// down while clients do not read (they would freeze every tenant until the idle timeout).
// Each source's bytes are summed too (IPv6 by its /64); the connections ask whether their
// source is past max_buffer_per_source.
// Shedding is posted or timed, never run inside the report: reports come from lwIP callbacks.
#pragma once

#include <libproxy/counters.hpp>
#include <libproxy/source_table.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace libproxy::proxy {

class MemoryBudget {
public:
  using Clock = std::chrono::steady_clock;

  /// How long an overload may last before connections are shed to end it. Long enough for
  /// clients that read to drain a burst (milliseconds on any live path), short enough that the
  /// other tenants, whose reads are held meanwhile, stall for about a second at most.
  static constexpr std::chrono::milliseconds overload_grace{1000};

  MemoryBudget(asio::io_context& io, TcpCounters& counters)
      : io_(io), counters_(counters), grace_timer_(io) {
    set_limits(std::size_t{512} << 20, 80, std::size_t{128} << 20);
  }

  void set_limits(std::size_t budget, unsigned high_percent, std::size_t per_source) {
    budget_ = budget;
    high_ = budget / 100 * high_percent;
    per_source_ = per_source;
    counters_.memory_budget_bytes = budget;
  }

  std::size_t used() const { return used_; }
  bool overloaded() const { return overloaded_; }
  bool over_budget() const { return used_ > budget_; }
  /// Where an overload ends, and what the grace shed brings the use down to.
  std::size_t resume_level() const { return high_ / 10 * 9; }

  /// Charged bytes the connections of `source` hold together (0 if none).
  std::size_t used_by(const asio::ip::address& source) const {
    const auto it = per_source_used_.find(source_key(source));
    return it == per_source_used_.end() ? 0 : it->second;
  }
  /// Whether `source` holds more than max_buffer_per_source (never, if that is 0).
  bool source_over_bound(const asio::ip::address& source) const {
    return per_source_ != 0 && used_by(source) > per_source_;
  }

  /// A connection from `source` holds `delta` bytes more (or fewer).
  void charge(const asio::ip::address& source, std::ptrdiff_t delta) {
    if (delta != 0) {
      const auto key = source_key(source);
      auto& held = per_source_used_[key];
      held = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(held) + delta);
      if (held == 0) per_source_used_.erase(key);
    }
    charge(delta);
  }

  /// Re-evaluates the state against new bounds (may shed).
  void reevaluate() { charge(0); }

private:
  void charge(std::ptrdiff_t delta) {
    used_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(used_) + delta);
    counters_.memory_buffered_bytes = used_;
    if (used_ > counters_.memory_buffered_bytes_peak) counters_.memory_buffered_bytes_peak = used_;
    if (!overloaded_ && used_ > high_) {
      overloaded_ = true;
      since_ = Clock::now();
      counters_.memory_overloaded = 1;
      ++counters_.memory_overload_episodes;
      arm_grace();
    } else if (overloaded_ && used_ < resume_level()) {
      overloaded_ = false;
      ++episode_;  // a grace timer still pending belongs to the episode that ended
      grace_timer_.cancel();
      counters_.memory_overloaded = 0;
      counters_.memory_overload_ms += elapsed_ms();
      post_resume();
    }
    if (used_ > budget_ && !shed_posted_ && shed) {
      shed_posted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired()) return;  // the budget (and its Proxy) went meanwhile
        shed_posted_ = false;
        if (over_budget()) shed(budget_);
      });
    }
  }

public:
  /// Calls `resume` once the overload ends (at once if there is none).
  void wait_for_room(std::function<void()> resume) {
    waiters_.push_back(std::move(resume));
    if (!overloaded_) post_resume();
  }

  /// Milliseconds of the overload going on now (0 if none), for a live counter.
  std::uint64_t current_overload_ms() const { return overloaded_ ? elapsed_ms() : 0; }

  /// Resets connections holding bytes, newest first, until at most `target` bytes are held.
  /// Set by the Proxy.
  std::function<void(std::size_t target)> shed;

private:
  // The handler checks the episode, not only the error code: a wait that had completed when
  // cancel() came still runs with success.
  void arm_grace() {
    grace_timer_.expires_after(overload_grace);
    grace_timer_.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_), episode = episode_](const std::error_code& ec) {
          if (ec || alive.expired() || episode != episode_ || !overloaded_ || !shed) return;
          shed(resume_level());
          if (overloaded_ && episode == episode_) arm_grace();  // what is left holds nothing shed
        });
  }

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
  std::size_t per_source_ = 0;
  std::uint64_t episode_ = 0;
  std::map<asio::ip::address, std::size_t> per_source_used_;
  asio::steady_timer grace_timer_;
  Clock::time_point since_;
  std::vector<std::function<void()>> waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace libproxy::proxy
