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
  bool help = false;
};

/// Parses argv; throws std::invalid_argument with a message for the user on bad input.
Options parse_options(const std::vector<std::string_view>& args);

/// "ip:port", "[ipv6]:port" or a bare port (bound on `default_address`).
asio::ip::tcp::endpoint parse_endpoint(std::string_view text,
                                       const asio::ip::address& default_address);

/// The --help text.
std::string usage();

}  // namespace proxyd
