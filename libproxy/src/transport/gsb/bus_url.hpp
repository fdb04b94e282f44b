// Service Bus URLs as ya-sb-proto reads them: `unix:<path>` (also `unix:///abs/path`),
// `tcp://host[:port]` and a bare `host:port` (tcp). The port defaults to 7464.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace libproxy::gsb {

struct BusUrl {
  bool is_unix = false;
  std::string path;  ///< unix socket path
  std::string host;  ///< tcp host name or address (without IPv6 brackets)
  std::uint16_t port = 0;
};

/// The parsed URL, or nothing if `url` is not a Service Bus URL.
std::optional<BusUrl> parse_bus_url(std::string_view url);

}  // namespace libproxy::gsb
