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
#include <libproxy/traffic.hpp>
#include <libproxy/vpn_link.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace libproxy {

/// What a gateway was created with, where it listens, and what went through it.
struct TcpGatewayInfo {
  TcpGatewayConfig config;
  asio::ip::tcp::endpoint bound;  ///< the listening address (the real port when 0 was asked)
  std::size_t connections = 0;    ///< open now
  Traffic traffic;                ///< every connection's bytes since the gateway opened
};

/// The same for a UDP gateway.
struct UdpGatewayInfo {
  UdpGatewayConfig config;
  asio::ip::udp::endpoint bound;
  std::size_t flows = 0;  ///< open now
  Traffic traffic;
};

/// One VPN the proxy is in.
struct VpnInfo {
  VpnConfig config;
  LinkState link_state = LinkState::up;
  LinkCounters link;
  bool link_offload = false;  ///< the link has segmentation offload (VpnLink)
};

/// One proxied connection (TCP) or flow (UDP), open now.
struct ConnectionInfo {
  std::uint64_t id = 0;          ///< unique while the Proxy lives; counts up from 1
  const char* protocol = "tcp";  ///< "tcp" or "udp"
  std::string vpn_id;
  asio::ip::tcp::endpoint gateway;  ///< the public address it came in on
  asio::ip::tcp::endpoint client;
  asio::ip::tcp::endpoint service;
  const char* state = "";  ///< "connecting" (to the service), "open" or "closing"
  Traffic traffic;
};

class Proxy {
public:
  /// `rate_window`: how often traffic meters close a window (the "current" rate's span).
  explicit Proxy(asio::io_context& io,
                 std::chrono::milliseconds rate_window = std::chrono::seconds(1));
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  /// Bounds on memory and per-source limits (config.hpp). Per-source limits apply to gateways
  /// added afterwards; the memory bounds at once.
  void set_limits(const ProxyLimits& limits);
  const ProxyLimits& limits() const;
  /// Bounds of the embedded stack (process-wide; applies from the next frame on).
  void set_stack_limits(const StackLimits& limits);

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

  /// Binds a public UDP socket and forwards each client's datagrams into the VPN in a flow of
  /// its own.
  Result<UdpGatewayInfo> add_udp_gateway(const UdpGatewayConfig& config);
  /// The same on `listening`, a UDP socket already bound to config.listen (a probe's, say).
  Result<UdpGatewayInfo> add_udp_gateway(const UdpGatewayConfig& config,
                                         asio::ip::udp::socket& listening);
  /// Closes the socket on `listen` and ends its flows.
  std::error_code remove_udp_gateway(const asio::ip::udp::endpoint& listen);
  std::vector<UdpGatewayInfo> udp_gateways() const;

  /// A snapshot of the data plane's counters.
  ProxyCounters counters() const;
  /// Bytes and rates of every connection since the proxy started.
  Traffic traffic() const;
  /// Every open connection and flow, of every gateway.
  std::vector<ConnectionInfo> connections() const;
  /// Counters of one VPN's link, or unknown_vpn.
  Result<LinkCounters> link_counters(const std::string& vpn_id) const;
  /// Every VPN, by id.
  std::vector<VpnInfo> vpns() const;

  /// Removes every gateway and VPN (connections are reset). Idempotent; the destructor calls it.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace libproxy
