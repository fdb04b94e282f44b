// Command-line options of golem-proxyd.
#pragma once

#include <libproxy/config.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace proxyd {

/// A VPN to join over a TAP device.
struct TapVpn {
  libproxy::VpnConfig vpn;
  std::string tap_name;
};

struct Options {
  std::vector<TapVpn> vpns;
  std::vector<libproxy::TcpGatewayConfig> gateways;
  libproxy::TcpTimeouts timeouts;  ///< for every gateway, the API's too
  std::size_t max_connections = libproxy::TcpGatewayConfig{}.max_connections;
  std::string api_host = "127.0.0.1";
  int api_port = 7466;
  bool api = true;
  std::string api_token;  ///< also from GOLEM_PROXY_API_TOKEN
  asio::ip::address public_address = asio::ip::address_v4::any();
  bool help = false;
};

/// Parses argv; throws std::invalid_argument with a message for the user on bad input.
Options parse_options(const std::vector<std::string_view>& args);

/// The --help text.
std::string usage();

}  // namespace proxyd
