// The TCP probe's HTTP request head (probe_sockets.cpp, parse_probe_request): the request
// line, the target's path or query, percent-decoding. Whatever comes in, the answer is one of
// the documented statuses, and a 200 names a non-empty requestor.
#include "probe_sockets.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  const auto request = proxyd::parse_probe_request(head);
  switch (request.status) {
    case 200:
      if (request.requestor.empty()) __builtin_trap();
      break;
    case 400:
    case 405:
      if (request.body.empty() || request.reason.empty() || !request.requestor.empty())
        __builtin_trap();
      break;
    default:
      __builtin_trap();
  }
  return 0;
}
