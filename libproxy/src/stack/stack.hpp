// Stack: the process-wide lwIP instance (NO_SYS), owned by the thread that runs the io_context.
//
// lwIP has global state and no teardown, so lwip_init() runs once per process and at most one
// Stack exists at a time. The Stack drives lwIP's timers from one asio::steady_timer, re-armed to
// lwIP's next deadline (no fixed polling loop).
#pragma once

#include <libproxy/counters.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <thread>

namespace libproxy::stack {

/// Tests and fuzzers: while `now_ms` is set, lwIP's clock (sys_now) reads it instead of the
/// steady clock, so that they drive lwIP's timers themselves (sys_check_timeouts).
void use_manual_clock(const std::uint32_t* now_ms);

class Stack {
public:
  /// Claims the process's lwIP instance for the calling thread. Aborts if another Stack exists.
  explicit Stack(asio::io_context& io);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  asio::io_context& io() { return io_; }

  /// Call after anything that may have given lwIP an earlier timer deadline (frame input, new
  /// connections): re-arms the timer if lwIP now wants to run sooner than planned.
  void kick_timers();

  /// Frame counters kept by the interfaces, and pcb counts read from lwIP's lists.
  StackCounters counters() const;
  StackCounters& frame_counters() { return frames_; }

  /// The Stack that owns lwIP now, or nullptr.
  static Stack* current();
  /// True on the thread that owns the Stack.
  bool on_owner_thread() const { return std::this_thread::get_id() == owner_; }

private:
  void on_timer();

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
  std::thread::id owner_;
  StackCounters frames_;
};

}  // namespace libproxy::stack
