// Network namespaces for tests: a real Linux kernel as the VPN peer, behind the proxy's TAP link.
#pragma once

#include <string>

namespace testing {

/// Exits the test process with 77 (ctest reports "skipped") unless it runs as root with
/// /dev/net/tun available, printing why.
void require_root_and_tap();

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

private:
  std::string name_;
};

}  // namespace testing
