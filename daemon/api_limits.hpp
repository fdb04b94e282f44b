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
  std::size_t workers = 4;                    ///< threads running handlers
  std::size_t max_queued_requests = 64;       ///< complete requests waiting for a worker
};

}  // namespace proxyd
