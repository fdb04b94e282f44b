// Command-line options of golem-proxyd.
#pragma once

#include "probe_sockets.hpp"

#include <libproxy/config.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace proxyd {

/// A VPN to join from the command line.
struct CommandLineVpn {
  libproxy::VpnConfig vpn;
  std::string tap_name;  ///< over this TAP device; empty: over the daemon's transport
  bool offload = false;  ///< the TAP device with segmentation offload (libproxy::TapOptions)
  /// Service addresses and the nodes hosting them (GSB transport).
  std::vector<std::pair<asio::ip::address_v4, std::string>> peers;
};

/// How VPNs are reached: `automatic` is GSB inside yagna's extension environment
/// (YAGNA_GSB_URL or YAGNA_NODE_ID set), TAP elsewhere.
enum class Transport { automatic, tap, gsb };

struct Options {
  std::vector<CommandLineVpn> vpns;
  Transport transport = Transport::automatic;
  bool tap_offload = false;  ///< TAP devices of API-created VPNs open with offload
  std::string gsb_url;       ///< empty: YAGNA_GSB_URL, GSB_URL, then unix:/tmp/yagna.sock
  std::string node_id;       ///< empty: YAGNA_NODE_ID, then the identity service
  std::chrono::milliseconds gsb_start_timeout = std::chrono::seconds(15);
  std::chrono::milliseconds rate_window = std::chrono::seconds(1);        ///< of "current" rates
  std::chrono::milliseconds udp_idle_timeout = std::chrono::seconds(60);  ///< of UDP flows
  std::size_t udp_max_flows = 4096;                                       ///< per UDP gateway
  std::vector<libproxy::TcpGatewayConfig> gateways;
  libproxy::TcpTimeouts timeouts;  ///< for every gateway, the API's too
  std::size_t max_connections = libproxy::TcpGatewayConfig{}.max_connections;
  std::string api_host = "127.0.0.1";
  int api_port = 7466;
  bool api = true;
  std::string api_token;  ///< also from GOLEM_PROXY_API_TOKEN
  asio::ip::address public_address = asio::ip::address_v4::any();
  bool help = false;
  // Limits on what outsiders can make the daemon hold (--memory-budget and the like).
  libproxy::ProxyLimits limits;
  std::size_t udp_max_flows_per_source = libproxy::UdpGatewayConfig{}.max_flows_per_source;
  std::chrono::milliseconds udp_min_idle_to_evict = std::chrono::seconds(10);
  ProbeLimits probe_limits;
  libproxy::StackLimits stack_limits;  ///< lwIP's out-of-order and reassembly bounds
};

/// Parses argv; throws std::invalid_argument with a message for the user on bad input.
Options parse_options(const std::vector<std::string_view>& args);

/// The --help text.
std::string usage();

}  // namespace proxyd
