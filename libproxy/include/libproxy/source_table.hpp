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
// Sources are keyed by source_key(): an IPv4 address as it is, an IPv6 address by its /64 (one
// subscriber gets a whole /64 and can use any address in it).
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

/// What per-source limits count by: an IPv4 address (also one mapped into IPv6) as it is, an
/// IPv6 address by its /64 prefix (the rest zeroed).
inline asio::ip::address source_key(const asio::ip::address& address) {
  if (!address.is_v6()) return address;
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes);
}

class SourceTable {
public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { admitted, too_many, too_fast, table_full };

  explicit SourceTable(const SourceLimits& limits = {}) : limits_(limits) {}

  const SourceLimits& limits() const { return limits_; }
  std::size_t size() const { return entries_.size(); }
  /// Connections open now from `source`.
  std::size_t open(const asio::ip::address& source) const {
    const auto it = entries_.find(source_key(source));
    return it == entries_.end() ? 0 : it->second.open;
  }

  /// Decides on a new connection from `source`; on admitted the caller must release() it later.
  Verdict admit(const asio::ip::address& address, Clock::time_point now = Clock::now()) {
    const auto source = source_key(address);
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
    const auto it = entries_.find(source_key(source));
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
