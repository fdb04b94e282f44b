// ManagementFront: the management API's sockets. One thread accepts and reads every request's
// head and body within ApiLimits; only a complete request reaches a worker (httplib's parser
// and the route handlers), so a slow or endless sender holds a slot of the front, never a
// worker, and every bound is enforced before authentication.
//
//   accept --(held >= 2 x max pending: closed at once; descriptors short: accepts paused)
//     |----(its address holds >= max per source, or pending >= max: 503, closed at once)
//     |
//     v
//   reading --(head + body arrived)--> queued --(worker)--> handle() --> closed
//     |            \--(queue full: 503)--> closing
//     +--(head over max bytes / headers: 431, body over max: 413, chunked: 411,
//     |   malformed: 400, request time over: 408)--> closing
//     +--(peer closed)--> closed
//   closing: the error is sent and the write side shut; input is read and dropped for a
//   moment (so that the peer reads the answer instead of a reset), then closed.
#pragma once

#include "api_limits.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace proxyd {

/// Finds the end of a request head in the bytes received so far, incrementally (each byte is
/// looked at once however the bytes arrive), and checks it against the limits.
class RequestHeadScanner {
public:
  enum class State {
    incomplete,        ///< more bytes needed
    complete,          ///< head (and body, once `wanted()` bytes are there) is acceptable
    too_large,         ///< head over max_header_bytes (431)
    too_many_headers,  ///< over max_headers (431)
    body_too_large,    ///< Content-Length over max_body_bytes (413)
    chunked,           ///< Transfer-Encoding: not accepted, Content-Length needed (411)
    malformed,         ///< not an HTTP/1.x request head (400)
  };
  explicit RequestHeadScanner(const ApiLimits& limits) : limits_(limits) {}
  /// `received`: every byte of the connection so far (a longer view of the same bytes each
  /// call). Once complete or failed the state no longer changes.
  State scan(std::string_view received);
  /// Head and body bytes, once complete.
  std::size_t wanted() const { return head_bytes_ + content_length_; }
  bool expects_continue() const { return expect_continue_; }

private:
  State check_head(std::string_view head);

  const ApiLimits& limits_;
  State state_ = State::incomplete;
  std::size_t scanned_ = 0;  ///< bytes before this hold no head end
  std::size_t lines_ = 0;    ///< line ends seen so far
  std::size_t head_bytes_ = 0, content_length_ = 0;
  bool expect_continue_ = false;
};

/// What the front counted; gauges are values now, the rest only grow.
struct ApiFrontCounters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> requests_handled{0};  ///< handed to a worker
  std::atomic<std::uint64_t> rejected_header_too_large{0};
  std::atomic<std::uint64_t> rejected_too_many_headers{0};
  std::atomic<std::uint64_t> rejected_body_too_large{0};
  std::atomic<std::uint64_t> rejected_chunked{0};
  std::atomic<std::uint64_t> rejected_malformed{0};
  std::atomic<std::uint64_t> rejected_request_timeout{0};
  std::atomic<std::uint64_t> rejected_too_many_pending{0};
  std::atomic<std::uint64_t> rejected_queue_full{0};
  std::atomic<std::uint64_t> rejected_too_many_connections{0};  ///< closed without an answer
  std::atomic<std::uint64_t> rejected_per_source{0};  ///< over --api-max-pending-per-source
  std::atomic<std::uint64_t> accept_paused_no_descriptors{0};  ///< EMFILE/ENFILE back-offs
  std::atomic<std::uint64_t> rejected_unauthorized{0};         ///< counted by the server's handlers
  std::atomic<std::uint64_t> pending_connections{0};           ///< gauge: reading a request
  std::atomic<std::uint64_t> queued_requests{0};               ///< gauge: waiting for a worker
  std::atomic<std::uint64_t> closing_connections{0};           ///< gauge: answered, input dropped

  /// f(name, value, is_gauge) for each, in a fixed order.
  template <class F>
  void for_each(F&& f) const {
    f("connections_accepted", connections_accepted.load(), false);
    f("requests_handled", requests_handled.load(), false);
    f("rejected_header_too_large", rejected_header_too_large.load(), false);
    f("rejected_too_many_headers", rejected_too_many_headers.load(), false);
    f("rejected_body_too_large", rejected_body_too_large.load(), false);
    f("rejected_chunked", rejected_chunked.load(), false);
    f("rejected_malformed", rejected_malformed.load(), false);
    f("rejected_request_timeout", rejected_request_timeout.load(), false);
    f("rejected_too_many_pending", rejected_too_many_pending.load(), false);
    f("rejected_queue_full", rejected_queue_full.load(), false);
    f("rejected_too_many_connections", rejected_too_many_connections.load(), false);
    f("accept_paused_no_descriptors", accept_paused_no_descriptors.load(), false);
    f("rejected_per_source", rejected_per_source.load(), false);
    f("rejected_unauthorized", rejected_unauthorized.load(), false);
    f("pending_connections", pending_connections.load(), true);
    f("queued_requests", queued_requests.load(), true);
    f("closing_connections", closing_connections.load(), true);
  }
};

class ManagementFront {
public:
  /// Runs on a worker with a complete request (head and body; "Expect: 100-continue" is
  /// answered already); the connection's socket is non-blocking and closed after the call.
  using Handler = std::function<void(int fd, const std::string& request)>;

  explicit ManagementFront(ApiLimits limits) : limits_(limits) {}
  ~ManagementFront();
  ManagementFront(const ManagementFront&) = delete;
  ManagementFront& operator=(const ManagementFront&) = delete;

  /// Binds and listens on `host` (a numeric address) and `port` (0: a free one).
  bool bind(const std::string& host, int port, std::string& error);
  int port() const { return port_; }
  void start(Handler handler);
  /// Stops accepting, drops pending and queued requests, joins every thread. Idempotent.
  void stop();

  const ApiLimits& limits() const { return limits_; }
  ApiFrontCounters& counters() { return counters_; }
  const ApiFrontCounters& counters() const { return counters_; }

  /// Writes all of `data` to a non-blocking socket, waiting for room up to `timeout`.
  static bool write_all(int fd, std::string_view data, std::chrono::milliseconds timeout);
  /// The same, up to `deadline`: one response's writes share one deadline.
  static bool write_all(int fd, std::string_view data,
                        std::chrono::steady_clock::time_point deadline);

private:
  struct Connection;
  struct Job {
    int fd;
    std::string request;
  };
  void run_front();
  void run_worker();
  void accept_all(std::vector<Connection>& connections);
  /// Reads what is there; false when the connection is done with (closed or handed on).
  bool read_from(Connection& connection);
  void reject(Connection& connection, int status, const char* code, const std::string& message);
  bool enqueue(Job job);

  ApiLimits limits_;
  ApiFrontCounters counters_;
  Handler handler_;
  int listen_fd_ = -1, wake_fd_ = -1, port_ = 0;
  std::chrono::steady_clock::time_point accept_paused_until_{};  ///< front thread only
  std::atomic<bool> stopping_{false};
  std::thread front_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;  // guards jobs_ between the front and the workers (not the data plane)
  std::condition_variable jobs_ready_;
  std::deque<Job> jobs_;
};

}  // namespace proxyd
