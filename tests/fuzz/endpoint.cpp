// The daemon's textual addresses: "ip:port", "[ipv6]:port", bare ports and CIDRs, as the
// management API's paths and bodies and the command line give them.
#include "endpoint.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto endpoint = proxyd::parse_endpoint(text, asio::ip::address_v4::loopback());
    // What parses prints back to something that parses to the same endpoint.
    if (proxyd::parse_endpoint(proxyd::to_string(endpoint), {}) != endpoint) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  try {
    const auto cidr = proxyd::parse_cidr(text);
    if (proxyd::parse_cidr(proxyd::to_string(cidr)) != cidr) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
