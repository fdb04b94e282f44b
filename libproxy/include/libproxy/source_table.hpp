// SourceTable: per-source admission of new connections (HAProxy's stick table, keyed by client
// IP): how many each source has open, and a token bucket on how fast it opens new ones.
//
//   admit(ip) ──▶ entry (created on first sight; table full ──▶ sweep expired ──▶ still full:
//                 refused) ──▶ open >= max_connections: refused ──▶ bucket empty: refused
//                 ──▶ admitted (open + 1, one token taken)
//   release(ip) ──▶ open - 1
//   An entry expires once nothing of it is open and its bucket has refilled: it then says
//   nothing a fresh entry would not.
//
// Not thread-safe: it belongs to the io thread, as everything of the data plane.
#pragma once

#include <libproxy/config.hpp>

#include <asio/ip/address.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>

namespace libproxy {

class SourceTable {
public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { admitted, too_many, too_fast, table_full };

  explicit SourceTable(const SourceLimits& limits = {}) : limits_(limits) {}

  const SourceLimits& limits() const { return limits_; }
  std::size_t size() const { return entries_.size(); }
  /// Connections open now from `source`.
  std::size_t open(const asio::ip::address& source) const {
    const auto it = entries_.find(source);
    return it == entries_.end() ? 0 : it->second.open;
  }

  /// Decides on a new connection from `source`; on admitted the caller must release() it later.
  Verdict admit(const asio::ip::address& source, Clock::time_point now = Clock::now()) {
    auto it = entries_.find(source);
    if (it == entries_.end()) {
      if (entries_.size() >= limits_.max_sources) sweep(now);
      if (entries_.size() >= limits_.max_sources) return Verdict::table_full;
      it = entries_.emplace(source, Entry{0, limits_.connection_burst, now}).first;
    }
    auto& entry = it->second;
    refill(entry, now);
    if (limits_.max_connections != 0 && entry.open >= limits_.max_connections)
      return Verdict::too_many;
    if (limits_.connection_rate > 0) {
      if (entry.tokens < 1) return Verdict::too_fast;
      entry.tokens -= 1;
    }
    ++entry.open;
    return Verdict::admitted;
  }

  void release(const asio::ip::address& source) {
    const auto it = entries_.find(source);
    if (it != entries_.end() && it->second.open > 0) --it->second.open;
  }

private:
  struct Entry {
    std::size_t open;
    double tokens;
    Clock::time_point refilled;
  };

  void refill(Entry& entry, Clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - entry.refilled).count();
    entry.tokens =
        std::min(limits_.connection_burst, entry.tokens + seconds * limits_.connection_rate);
    entry.refilled = now;
  }

  // O(entries), but only when the table is full: each sweep frees every expired entry.
  void sweep(Clock::time_point now) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      refill(it->second, now);
      if (it->second.open == 0 && it->second.tokens >= limits_.connection_burst)
        it = entries_.erase(it);
      else
        ++it;
    }
  }

  SourceLimits limits_;
  std::map<asio::ip::address, Entry> entries_;
};

}  // namespace libproxy
