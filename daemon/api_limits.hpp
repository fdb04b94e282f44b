// The management API's bounds on what a caller can make it hold before it is authenticated:
// each is a daemon flag (options.cpp), enforced by ManagementFront.
#pragma once

#include <chrono>
#include <cstddef>

namespace proxyd {

struct ApiLimits {
  std::size_t max_header_bytes = 16 * 1024;  ///< request line and headers together
  std::size_t max_headers = 100;
  /// From accept to the request's last byte (a slow-loris sender gets 408 at this point).
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_pending_connections = 512;  ///< connections still sending their request
  /// Connections the front holds from one address (sending, or being answered an error), so
  /// that one address cannot take every pending slot before the Provider Agent's calls.
  std::size_t max_pending_per_source = 32;
  std::size_t workers = 4;               ///< threads running handlers
  std::size_t max_queued_requests = 64;  ///< complete requests waiting for a worker
  /// How long a rejected connection is read from (input dropped) before it is closed, so
  /// that the peer reads the answer instead of a reset. Not a flag: tests lengthen it.
  std::chrono::milliseconds closing_time = std::chrono::milliseconds(500);
  /// Every connection the front holds (sending or being answered an error); past it a new
  /// one is closed at once. The closing ones share the process's descriptors with gateways.
  std::size_t max_connections() const { return 2 * max_pending_connections; }
};

}  // namespace proxyd
