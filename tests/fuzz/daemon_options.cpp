// golem-proxyd's command line: the input is argv, its arguments separated by NUL bytes (which
// no real argument can hold). Anything but a clean std::invalid_argument is a finding, and
// what parses must hold only what the checks allow.
#include "options.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool has_control(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  for (std::size_t start = 0; start <= input.size() && args.size() < 64;) {
    const auto end = std::min(input.find('\0', start), input.size());
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  try {
    const auto options = proxyd::parse_options(args);
    for (const auto& vpn : options.vpns) {
      if (vpn.vpn.id.empty() || has_control(vpn.vpn.id) || has_control(vpn.tap_name))
        __builtin_trap();
      if (vpn.vpn.prefix_length < 1 || vpn.vpn.prefix_length > 32) __builtin_trap();
    }
    for (const auto& gateway : options.gateways)
      if (gateway.listen.port() == 0 || gateway.service.port() == 0 || has_control(gateway.vpn_id))
        __builtin_trap();
    if (has_control(options.api_token) || has_control(options.gsb_url)) __builtin_trap();
    const auto& limits = options.api_limits;
    if (limits.workers == 0 || limits.max_queued_requests == 0 || limits.max_headers == 0 ||
        limits.max_pending_per_source == 0 || limits.request_timeout.count() <= 0)
      __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
