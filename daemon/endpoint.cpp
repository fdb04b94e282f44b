#include "endpoint.hpp"

#include <fmt/format.h>

#include <net/if.h>

#include <charconv>
#include <stdexcept>

namespace proxyd {
namespace {

[[noreturn]] void bad(std::string message) { throw std::invalid_argument(std::move(message)); }

unsigned parse_unsigned(std::string_view text, unsigned max, std::string_view what) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > max)
    bad(fmt::format("invalid {} '{}' (expected 0..{})", what, printable(text), max));
  return value;
}

// Interface names as the kernel allows them (IFNAMSIZ - 1 bytes, no '/' or space).
bool is_interface_name(std::string_view name) {
  return !name.empty() && name.size() < 16 &&
         name.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "-_.") == std::string_view::npos;
}

}  // namespace

asio::ip::address parse_ip_address(std::string_view text) {
  // Only the characters of an address: asio reads a C string, so an embedded NUL would cut the
  // text short ("127.0.0.1\0junk" would pass as 127.0.0.1). Messages print no raw bytes.
  const auto percent = text.find('%');
  const auto numeric = text.substr(0, percent);
  if (numeric.empty() ||
      numeric.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
    bad(fmt::format("invalid IP address '{}'", printable(text)));
  std::error_code ec;
  const auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) bad(fmt::format("invalid IP address '{}'", printable(text)));
  if (percent != std::string_view::npos) {
    // A zone means something only for IPv6 link-local addresses, and only if the interface is
    // there: asio maps an unknown name to zone 0 and drops it ("[::1%junk]" would be "[::1]").
    const auto zone = text.substr(percent + 1);
    // A numeric zone ("%5") is taken by asio as an index unchecked: the index must name one.
    char name[IF_NAMESIZE];
    if (!address.is_v6() || !address.to_v6().is_link_local() || !is_interface_name(zone) ||
        address.to_v6().scope_id() == 0 ||
        if_indextoname(static_cast<unsigned>(address.to_v6().scope_id()), name) == nullptr)
      bad(
          fmt::format("'{}': a zone (%NAME) is only allowed on an IPv6 link-local address, "
                      "naming an interface of this machine",
                      printable(text)));
  }
  return address;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 256)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\')
      out += c;
    else
      out += fmt::format("\\x{:02x}", byte);
  }
  if (text.size() > 256) out += "...";
  return out;
}

asio::ip::tcp::endpoint parse_endpoint(std::string_view text,
                                       const asio::ip::address& default_address) {
  if (text.empty()) bad("empty address");
  if (text.find_first_not_of("0123456789") == std::string_view::npos)
    return {default_address, static_cast<unsigned short>(parse_unsigned(text, 65535, "port"))};
  std::string_view host, port;
  if (text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) bad(fmt::format("invalid address '{}'", printable(text)));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      bad(fmt::format("'{}' needs a port (ip:port)", printable(text)));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      bad(fmt::format("write IPv6 addresses as [addr]:port, not '{}'", printable(text)));
  }
  return {parse_ip_address(host), static_cast<unsigned short>(parse_unsigned(port, 65535, "port"))};
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

Cidr parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    bad(fmt::format("'{}' needs a prefix length, e.g. 10.20.30.41/24", printable(text)));
  const auto address = parse_ip_address(text.substr(0, slash));
  if (!address.is_v4()) bad(fmt::format("'{}' is not an IPv4 address", printable(text)));
  const unsigned prefix = parse_unsigned(text.substr(slash + 1), 32, "prefix length");
  if (prefix == 0)
    bad(fmt::format("invalid prefix length in '{}' (expected 1..32)", printable(text)));
  return {address.to_v4(), prefix};
}

std::string to_string(const Cidr& cidr) {
  return fmt::format("{}/{}", cidr.address.to_string(), cidr.prefix_length);
}

}  // namespace proxyd
