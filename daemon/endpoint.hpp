// Textual addresses as users and the management API write them.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/tcp.hpp>

#include <string>
#include <string_view>

namespace proxyd {

/// An IPv4 or IPv6 address; a zone ("%eth0") only on an IPv6 link-local address naming an
/// interface that exists. Throws std::invalid_argument.
asio::ip::address parse_ip_address(std::string_view text);

/// `text` for a message: at most 256 bytes, anything but printable ASCII as \xNN.
std::string printable(std::string_view text);

/// "ip:port", "[ipv6]:port", or a bare port (which binds `default_address`). Throws
/// std::invalid_argument with a message for the user.
asio::ip::tcp::endpoint parse_endpoint(std::string_view text,
                                       const asio::ip::address& default_address);

/// "ip:port" or "[ipv6]:port".
std::string to_string(const asio::ip::tcp::endpoint& endpoint);

/// An IPv4 address with a prefix length, "10.20.30.41/24".
struct Cidr {
  asio::ip::address_v4 address;
  unsigned prefix_length = 0;
  bool operator==(const Cidr&) const = default;
};

/// Parses "A.B.C.D/LEN" (LEN 1..32). Throws std::invalid_argument.
Cidr parse_cidr(std::string_view text);
std::string to_string(const Cidr& cidr);

}  // namespace proxyd
