// Proxy: the facade of libproxy. It owns the embedded TCP/IP stack, one virtual network
// interface per attached VPN, and the TCP gateways that forward public connections into them.
//
// Threading: a Proxy belongs to the thread that constructs it, which must be the thread that
// runs its asio::io_context. Call every member on that thread; other threads asio::post() to it.
// lwIP is a process-wide singleton, so at most one Proxy exists in a process at a time.
#pragma once

#include <libproxy/config.hpp>
#include <libproxy/counters.hpp>
#include <libproxy/error.hpp>
#include <libproxy/result.hpp>
#include <libproxy/vpn_link.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace libproxy {

/// What a gateway was created with, and where it listens.
struct TcpGatewayInfo {
  TcpGatewayConfig config;
  asio::ip::tcp::endpoint bound;  ///< the listening address (the real port when 0 was asked)
};

class Proxy {
public:
  explicit Proxy(asio::io_context& io);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  /// Joins a VPN: a virtual interface with `config`'s address, carried by `link`.
  std::error_code add_vpn(const VpnConfig& config, std::unique_ptr<VpnLink> link);
  /// Leaves a VPN: its gateways are removed and their connections reset.
  std::error_code remove_vpn(const std::string& vpn_id);

  /// Binds a public TCP socket and forwards every connection to it into the VPN.
  Result<TcpGatewayInfo> add_tcp_gateway(const TcpGatewayConfig& config);
  /// The same on `listening`, a socket already bound to config.listen and listening (say, a
  /// probe's): the port never becomes free, and connections waiting in its backlog are
  /// forwarded. On failure `listening` is left as it was.
  Result<TcpGatewayInfo> add_tcp_gateway(const TcpGatewayConfig& config,
                                         asio::ip::tcp::acceptor& listening);
  /// Stops accepting on `listen`, resets its connections and frees the port at once.
  std::error_code remove_tcp_gateway(const asio::ip::tcp::endpoint& listen);
  /// Every gateway, in the order they were added.
  std::vector<TcpGatewayInfo> tcp_gateways() const;

  /// A snapshot of the data plane's counters.
  ProxyCounters counters() const;
  /// Counters of one VPN's link, or unknown_vpn.
  Result<LinkCounters> link_counters(const std::string& vpn_id) const;

  /// Removes every gateway and VPN (connections are reset). Idempotent; the destructor calls it.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace libproxy
