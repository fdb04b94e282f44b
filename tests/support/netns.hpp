// Network namespaces for tests: a real Linux kernel as the VPN peer, behind the proxy's TAP link;
// and the sealed namespaces the real Golem software runs in (loopback only, see golem_tools.hpp).
#pragma once

#include <sys/types.h>

#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace testing {

/// Exits the test process with 77 (ctest reports "skipped") unless it runs as root with
/// /dev/net/tun available, printing why.
void require_root_and_tap();

/// Exits the test process with 77 unless it runs as root (it creates network namespaces),
/// printing why: `what` needs them.
void require_root(const std::string& what);

/// Runs a shell command; throws with its output if it fails.
void sh(const std::string& command);

/// A network namespace that exists as long as the object does.
class Netns {
public:
  /// Creates "lp-<prefix>-<pid>-<n>" with loopback up and IPv6 off.
  explicit Netns(const std::string& prefix);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }

  /// Moves `device` (e.g. the proxy's TAP) into the namespace, gives it `cidr` and `mtu`, and
  /// brings it up.
  void adopt_link(const std::string& device, const std::string& cidr, int mtu = 1220);

  /// A socket created inside the namespace (it stays there whichever thread uses it).
  int socket(int domain, int type) const;

  /// Runs `command` inside the namespace (ip netns exec).
  void exec(const std::string& command) const;

  /// Runs work() on a short-lived thread inside the namespace and returns its result (an
  /// exception travels back too). Sockets it creates stay in the namespace.
  template <class Work>
  auto run(Work&& work) const -> std::invoke_result_t<Work&>;

  /// Opens the namespace (O_CLOEXEC), for setns() in a child between fork and exec.
  int open() const;
  /// Whether process `pid` runs in this namespace (what `ip netns identify PID` compares).
  bool holds(pid_t pid) const;
  /// Throws unless nothing in the namespace can leave the machine: its only interface is lo and
  /// no address outside 127.0.0.0/8 has a route (UDP connect(), which sends nothing, must fail
  /// with ENETUNREACH or EADDRNOTAVAIL for public and private addresses, IPv4 and IPv6, and for
  /// each nameserver in /etc/resolv.conf).
  void require_loopback_only() const;

private:
  // Moves the calling thread into the namespace; throws on failure.
  void enter_this_thread() const;

  std::string name_;
};

template <class Work>
auto Netns::run(Work&& work) const -> std::invoke_result_t<Work&> {
  using Result = std::invoke_result_t<Work&>;
  std::exception_ptr error;
  // setns() changes only the calling thread: a fresh one, so that ours stays where it is.
  if constexpr (std::is_void_v<Result>) {
    std::thread([&] {
      try {
        enter_this_thread();
        work();
      } catch (...) {
        error = std::current_exception();
      }
    }).join();
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<Result> result;
    std::thread([&] {
      try {
        enter_this_thread();
        result.emplace(work());
      } catch (...) {
        error = std::current_exception();
      }
    }).join();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
}

}  // namespace testing
