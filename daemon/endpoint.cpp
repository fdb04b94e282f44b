#include "endpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace proxyd {
namespace {

[[noreturn]] void bad(std::string message) { throw std::invalid_argument(std::move(message)); }

unsigned parse_unsigned(std::string_view text, unsigned max, std::string_view what) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > max)
    bad(fmt::format("invalid {} '{}' (expected 0..{})", what, text, max));
  return value;
}

asio::ip::address parse_address(std::string_view text) {
  std::error_code ec;
  const auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) bad(fmt::format("invalid IP address '{}'", text));
  return address;
}

}  // namespace

asio::ip::tcp::endpoint parse_endpoint(std::string_view text,
                                       const asio::ip::address& default_address) {
  if (text.empty()) bad("empty address");
  if (text.find_first_not_of("0123456789") == std::string_view::npos)
    return {default_address, static_cast<unsigned short>(parse_unsigned(text, 65535, "port"))};
  std::string_view host, port;
  if (text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) bad(fmt::format("invalid address '{}'", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) bad(fmt::format("'{}' needs a port (ip:port)", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      bad(fmt::format("write IPv6 addresses as [addr]:port, not '{}'", text));
  }
  return {parse_address(host), static_cast<unsigned short>(parse_unsigned(port, 65535, "port"))};
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

Cidr parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    bad(fmt::format("'{}' needs a prefix length, e.g. 10.20.30.41/24", text));
  const auto address = parse_address(text.substr(0, slash));
  if (!address.is_v4()) bad(fmt::format("'{}' is not an IPv4 address", text));
  const unsigned prefix = parse_unsigned(text.substr(slash + 1), 32, "prefix length");
  if (prefix == 0) bad(fmt::format("invalid prefix length in '{}' (expected 1..32)", text));
  return {address.to_v4(), prefix};
}

std::string to_string(const Cidr& cidr) {
  return fmt::format("{}/{}", cidr.address.to_string(), cidr.prefix_length);
}

}  // namespace proxyd
