// ProxyFixture: a libproxy::Proxy on its own io thread, with VPN nodes (network namespaces
// behind TAP links) and helpers to add gateways and read counters.
#pragma once

#include "io_thread.hpp"
#include "netns.hpp"

#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <memory>
#include <optional>
#include <string>

namespace testing {

/// The proxy's and the service node's addresses in every test VPN.
inline const char* const proxy_cidr = "10.20.30.41/24";
inline const char* const node_cidr = "10.20.30.40/24";
inline const asio::ip::address_v4 node_address = asio::ip::make_address_v4("10.20.30.40");

class ProxyFixture {
public:
  ProxyFixture();
  ~ProxyFixture();

  /// Joins VPN `vpn_id` over a new TAP link (opened with `options`) and moves the link into a
  /// new namespace, where the kernel answers as `node_cidr`. Returns that namespace.
  Netns& add_vpn_node(const std::string& vpn_id, libproxy::TapOptions options = {});

  /// Adds a TCP gateway on 127.0.0.1 (a free port) to `service` in `vpn_id`; returns the port.
  unsigned short add_gateway(const std::string& vpn_id, const asio::ip::tcp::endpoint& service,
                             const libproxy::TcpTimeouts& timeouts = {});

  /// The same on `listening_fd`, a fresh TCP socket the test made (in a namespace, say): bound
  /// to 127.0.0.1 and a free port there, and handed to the gateway. Returns the port.
  unsigned short add_gateway_on(int listening_fd, const std::string& vpn_id,
                                const asio::ip::tcp::endpoint& service);

  libproxy::ProxyCounters counters();
  /// Runs f(proxy) on the proxy's thread.
  template <class F>
  auto with_proxy(F&& f) {
    return io_.call([&] { return f(*proxy_); });
  }

  /// True once no connection, and no lwIP pcb other than those in TIME_WAIT, is left.
  bool idle();

private:
  IoThread io_;
  std::optional<libproxy::Proxy> proxy_;
  std::vector<std::unique_ptr<Netns>> nodes_;
};

}  // namespace testing
