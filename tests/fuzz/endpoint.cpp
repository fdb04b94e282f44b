// The daemon's textual addresses: "ip:port", "[ipv6]:port", bare ports and CIDRs, as the
// management API's paths and bodies and the command line give them. What is accepted holds no
// NUL and no zone but on an IPv6 link-local address, and prints back to the same value.
#include "endpoint.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool has_nul = text.find('\0') != std::string_view::npos;
  try {
    const auto endpoint = proxyd::parse_endpoint(text, asio::ip::address_v4::loopback());
    if (has_nul) __builtin_trap();
    const auto address = endpoint.address();
    if (text.find('%') != std::string_view::npos &&
        (!address.is_v6() || !address.to_v6().is_link_local() || address.to_v6().scope_id() == 0))
      __builtin_trap();
    // What parses prints back to something that parses to the same endpoint.
    if (proxyd::parse_endpoint(proxyd::to_string(endpoint), {}) != endpoint) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  try {
    const auto address = proxyd::parse_ip_address(text);
    if (has_nul) __builtin_trap();
    if (proxyd::parse_ip_address(address.to_string()) != address) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  try {
    const auto cidr = proxyd::parse_cidr(text);
    if (has_nul) __builtin_trap();
    if (proxyd::parse_cidr(proxyd::to_string(cidr)) != cidr) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  // Messages quote input through printable(): never a raw control byte.
  for (const char c : proxyd::printable(text))
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      __builtin_trap();
  return 0;
}
