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

/// Limits per client IP address (HAProxy stick-table style) of one gateway or probe: connections
/// open at once and a token bucket on new ones. Entries of sources with nothing open and a full
/// bucket expire, and the table holds at most max_sources; a new source beyond that is refused.
/// The defaults let one address (a NAT, a load tester) hold 2 048 connections and open 2 000 a
/// second, twice what the test suite's own loads do.
struct SourceLimits {
  std::size_t max_connections = 2048;  ///< open at once per source; 0: no limit
  double connection_rate = 2000;       ///< new connections per second per source; 0: no limit
  double connection_burst = 4000;      ///< the bucket's depth
  std::size_t max_sources = 65536;     ///< table entries per gateway
};

/// Bounds on what clients and services can make the whole proxy hold. Every connection's buffered
/// bytes are charged at their allocation: each held pbuf costs its payload plus pbuf_overhead.
struct ProxyLimits {
  /// Per TCP gateway: applied to every gateway added after Proxy::set_limits.
  SourceLimits tcp_per_source;
  /// Charged bytes one connection may hold for its client (service bytes the client has not
  /// taken). Past half of it lwIP's window stops reopening; past all of it (lwIP had already
  /// offered that window, in tiny segments) the connection is reset and counted.
  std::size_t max_connection_buffer = 2 * 1024 * 1024;
  /// Charged bytes of every connection together. Past high_watermark_percent of it no client
  /// socket is read and no window reopens; past all of it the newest connections that hold
  /// bytes are reset (both sides), until the total is under the budget again.
  std::size_t memory_budget = std::size_t{512} * 1024 * 1024;
  unsigned high_watermark_percent = 80;
  /// Charged bytes the connections of one client IP (IPv6: one /64) may hold together, over
  /// every gateway. A connection of a source past it is reset when it is charged more
  /// (cx_source_buffer_limit), so one source cannot take the whole budget. 0: no bound.
  std::size_t max_buffer_per_source = std::size_t{128} * 1024 * 1024;
  /// The smallest max_connection_buffer that never resets an ordinary connection: its window
  /// stops reopening at half the bound, and lwIP may already have offered a whole window
  /// (TCP_WND 512 KiB, about 557 KiB charged in MSS-sized pbufs), so the bound must exceed
  /// twice that, 1 114 KiB; rounded up. tcp_pcb.cpp checks it against lwipopts.h.
  static constexpr std::size_t min_connection_buffer = 1280 * 1024;
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
  /// Flows at once. A new client beyond that evicts the flow idle the longest, but only if that
  /// one has been idle for at least min_idle_to_evict; else the new client is refused (counted
  /// both ways). A flood of new (spoofable) sources then never displaces flows in active use.
  /// 0 here evicts always (plain LRU); the daemon's --udp-min-idle-to-evict defaults to 10 s.
  std::size_t max_flows = 4096;
  std::chrono::milliseconds min_idle_to_evict{0};
  /// Flows at once from one client IP address; a new one beyond that is refused (counted).
  std::size_t max_flows_per_source = 1024;
  /// Larger datagrams (either way) are dropped and counted. IP fragments them in the VPN.
  std::size_t max_datagram = 16 * 1024;
  /// Datagrams for clients wait in a queue of at most this many bytes while the public socket
  /// is full; beyond it they are dropped and counted. Each queued datagram is charged
  /// queued_datagram_overhead bytes beyond its payload, so empty datagrams count too.
  std::size_t max_queued_bytes = 1 << 20;
  static constexpr std::size_t queued_datagram_overhead = 64;
  /// As TcpGatewayConfig::meters.
  std::vector<std::shared_ptr<TrafficMeter>> meters;
};

/// Bounds of the embedded TCP/IP stack against what a VPN peer sends; the same for every VPN.
struct StackLimits {
  /// Out-of-order TCP data one connection may hold, in bytes (payload) and in buffers (about
  /// one per segment). The receive window (512 KiB) bounds the bytes anyway; the buffer cap
  /// bounds the per-segment walk of the queue. Past either, the queue's tail is dropped.
  /// 256 buffers hold more than half a full window of MSS segments for loss recovery, while
  /// each 1-byte segment with gaps that a flooding node sends walks a queue a quarter as long
  /// as at 1 024, where the walks took most of the io thread (tests/bench/performance.md,
  /// "Under attack").
  std::uint32_t tcp_ooseq_max_bytes = 512 * 1024;
  std::uint16_t tcp_ooseq_max_pbufs = 256;
  /// Buffers (about one per fragment) held by IPv4 reassembly, over all datagrams.
  std::uint16_t ip_reass_max_pbufs = 128;
};

}  // namespace libproxy
