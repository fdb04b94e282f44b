// Plain configuration values for VPNs and gateways.
#pragma once

#include <asio/ip/address_v4.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include <libproxy/traffic.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace libproxy {

/// The proxy's own presence in one VPN: one virtual network interface.
struct VpnConfig {
  std::string id;                ///< the VPN's id (the Golem network id)
  asio::ip::address_v4 address;  ///< the proxy's address in the VPN
  unsigned prefix_length = 24;   ///< the VPN's netmask, as a prefix length (1..32)
  std::uint16_t mtu = 1220;      ///< IP MTU of the VPN (the Golem VM default); 576..1500
};

/// Time limits of every connection through one gateway.
struct TcpTimeouts {
  /// How long the service may take to accept the virtual connection; the client is reset then.
  std::chrono::milliseconds connect = std::chrono::seconds(5);
  /// A connection in which no byte moved for this long is reset in both directions.
  std::chrono::milliseconds idle = std::chrono::minutes(10);
  /// How long one direction may stay open after the other closed (half-close linger).
  std::chrono::milliseconds linger = std::chrono::seconds(30);
};

/// A TCP gateway: one public listening socket forwarding to one service inside one VPN.
struct TcpGatewayConfig {
  asio::ip::tcp::endpoint listen;   ///< public address (IPv4 or IPv6); port 0 picks a free one
  std::string vpn_id;               ///< the VPN the service lives in
  asio::ip::tcp::endpoint service;  ///< the service's IPv4 address and port inside the VPN
  TcpTimeouts timeouts;
  /// Connections open at once; one more is reset on arrival (memory is bounded per connection,
  /// so this bounds the gateway's memory).
  std::size_t max_connections = 16384;
  /// Meters that every connection of the gateway counts into as well (say, its activity's and
  /// its VPN's, shared by several gateways and kept after they go). The Proxy samples them
  /// while they live.
  std::vector<std::shared_ptr<TrafficMeter>> meters;
};

/// A UDP gateway: one public UDP socket forwarding to one service inside one VPN. Each client
/// (source address and port) gets its own flow: a UDP socket in the VPN with its own local
/// port, so that the service's replies go back to the client that asked.
struct UdpGatewayConfig {
  asio::ip::udp::endpoint listen;   ///< public address; port 0 picks a free one
  std::string vpn_id;               ///< the VPN the service lives in
  asio::ip::udp::endpoint service;  ///< the service's IPv4 address and port inside the VPN
  /// A flow with no datagram either way for this long ends.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  /// Flows at once; a new client beyond that evicts the flow idle the longest (counted).
  std::size_t max_flows = 4096;
  /// Larger datagrams (either way) are dropped and counted. IP fragments them in the VPN.
  std::size_t max_datagram = 16 * 1024;
  /// Datagrams for clients wait in a queue of at most this many bytes while the public socket
  /// is full; beyond it they are dropped and counted.
  std::size_t max_queued_bytes = 1 << 20;
  /// As TcpGatewayConfig::meters.
  std::vector<std::shared_ptr<TrafficMeter>> meters;
};

/// Bounds of the embedded TCP/IP stack against what a VPN peer sends; the same for every VPN.
struct StackLimits {
  /// Out-of-order TCP data one connection may hold, in bytes (payload) and in buffers (about
  /// one per segment). The receive window (512 KiB) bounds the bytes anyway; the buffer cap
  /// bounds the per-segment walk of the queue. Past either, the queue's tail is dropped.
  std::uint32_t tcp_ooseq_max_bytes = 512 * 1024;
  std::uint16_t tcp_ooseq_max_pbufs = 1024;
  /// Buffers (about one per fragment) held by IPv4 reassembly, over all datagrams.
  std::uint16_t ip_reass_max_pbufs = 128;
};

}  // namespace libproxy
