// Traffic metering (GAP-22 "Metrics"): bytes and rates of one connection, or of any group of
// connections (a gateway, an activity, a VPN, the whole proxy).
//
// "In" is what public clients send: received by the proxy and forwarded into the VPN. "Out" is
// what the services answer: sent to the clients. Bytes are counted on every read and write, so
// long connections show live numbers. A sampler closes a window about every second (the Proxy's
// rate window, 1 s by default):
//   current = bytes of the last closed window / its length
//   average = bytes up to the last closed window / the time from the meter's start to it
//   max     = the highest window sample so far
// so that max >= average always holds. A meter's first window is at least half a window long
// (a meter born just before a tick waits for the next), so that no sliver makes a false peak.
// A meter is plain counters on the io thread: no lock, no allocation when bytes are added.
#pragma once

#include <chrono>
#include <cstdint>

namespace libproxy {

/// A value snapshot of a meter, safe to copy to any thread.
struct Traffic {
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  double current_in = 0;  ///< bytes per second
  double current_out = 0;
  double average_in = 0;
  double average_out = 0;
  double max_in = 0;
  double max_out = 0;
  double seconds = 0;  ///< since the meter started
};

class TrafficMeter {
public:
  using Clock = std::chrono::steady_clock;

  TrafficMeter() : started_(Clock::now()), window_start_(started_) {}

  void add_in(std::uint64_t bytes) { in_ += bytes; }
  void add_out(std::uint64_t bytes) { out_ += bytes; }

  /// Closes the window that ends `now`, for a sampler's `tick`. A second call for the same
  /// tick does nothing, so a meter shared by several owners is sampled once. A window shorter
  /// than `min_window` stays open until the next tick.
  void sample(std::uint64_t tick, Clock::time_point now, Clock::duration min_window) {
    if (tick == last_tick_) return;
    last_tick_ = tick;
    const auto elapsed = now - window_start_;
    if (elapsed < min_window || elapsed.count() <= 0) return;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    current_in_ = static_cast<double>(in_ - window_in_) / seconds;
    current_out_ = static_cast<double>(out_ - window_out_) / seconds;
    window_in_ = in_;
    window_out_ = out_;
    window_start_ = now;
    if (current_in_ > max_in_) max_in_ = current_in_;
    if (current_out_ > max_out_) max_out_ = current_out_;
    const double age = std::chrono::duration<double>(now - started_).count();
    average_in_ = static_cast<double>(in_) / age;
    average_out_ = static_cast<double>(out_) / age;
  }

  Traffic snapshot(Clock::time_point now = Clock::now()) const {
    Traffic t;
    t.bytes_in = in_;
    t.bytes_out = out_;
    t.current_in = current_in_;
    t.current_out = current_out_;
    t.average_in = average_in_;
    t.average_out = average_out_;
    t.max_in = max_in_;
    t.max_out = max_out_;
    t.seconds = std::chrono::duration<double>(now - started_).count();
    return t;
  }

private:
  Clock::time_point started_;
  Clock::time_point window_start_;
  std::uint64_t in_ = 0;
  std::uint64_t out_ = 0;
  std::uint64_t window_in_ = 0;
  std::uint64_t window_out_ = 0;
  std::uint64_t last_tick_ = 0;
  double current_in_ = 0;
  double current_out_ = 0;
  double max_in_ = 0;
  double max_out_ = 0;
  double average_in_ = 0;
  double average_out_ = 0;
};

}  // namespace libproxy
