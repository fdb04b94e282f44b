// The public sockets of a probe: they answer a requestor with its token, so that the requestor
// can check the address is reachable from the Internet (GAP-22's probes).
//
//   TCP: a minimal HTTP/1.1 responder, one request per connection.
//        GET /?requestorId=<id> or GET /<id>  ->  200 text/plain <token>
//        unknown requestor -> 404; not GET -> 405; malformed -> 400; head over 8 KiB -> 431;
//        no complete head within header_timeout (2 s) -> 408; at most max_connections (64) at once
//        per probe, and per client IP at most 8 at once and 10 new a second (burst 20); others
//        are closed at once (counted).
//   UDP: a datagram holding a requestor id (trailing whitespace ignored, at most 256 bytes) is
//        answered with a datagram holding its token; unknown ids get no answer. Never an
//        amplifier: a token longer than the request (and than 64 bytes) needs a request padded
//        with trailing whitespace to the token's length; answers are rate-limited per client IP
//        (5/s, burst 10) and per process (1 000/s): sources are spoofable.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <libproxy/source_table.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace proxyd {

/// The token for a requestor id (and counts it as served), or nothing.
using TokenLookup = std::function<std::optional<std::string>(const std::string& requestor_id)>;

/// What a probe's HTTP request head asks: a requestor id, or the error status to answer with.
struct ProbeHttpRequest {
  int status = 200;                ///< 200: look `requestor` up; else answer this
  std::string_view reason = "OK";  ///< the status line's reason phrase
  std::string_view body;           ///< the error's text (status != 200)
  std::string requestor;
};
/// Parses a request head (the bytes up to and including the blank line). Pure: fuzzed.
ProbeHttpRequest parse_probe_request(std::string_view head);

/// The requestor id a UDP probe datagram holds (trailing whitespace dropped), or nothing.
std::optional<std::string_view> udp_probe_requestor(std::string_view datagram);
/// Answers up to this size go to any request; longer ones only to requests at least as long.
inline constexpr std::size_t udp_probe_free_answer = 64;
/// Whether an answer may go: never more bytes out than came in, beyond the small allowance.
inline bool udp_probe_may_answer(std::size_t request_bytes, std::size_t answer_bytes) {
  return answer_bytes <= std::max(request_bytes, udp_probe_free_answer);
}

/// Limits of every probe socket (daemon flags --probe-*).
struct ProbeLimits {
  libproxy::SourceLimits tcp_per_source{8, 10, 20, 4096};
  std::chrono::milliseconds header_timeout = std::chrono::seconds(2);
  /// UDP answers per client IP (max_connections unused) and for the whole process.
  libproxy::SourceLimits udp_per_source{0, 5, 10, 4096};
  double udp_answers_per_second = 1000;
  /// Connections one TCP probe holds at once (over all sources); more are closed on arrival.
  std::size_t max_connections = 64;
  /// The longest request head a TCP probe reads; a longer one is refused.
  std::size_t max_head_bytes = 8 * 1024;
};

#define PROXYD_PROBE_COUNTERS(COUNTER)                                                            \
  COUNTER(tcp_refused_full)              /* closed on arrival: the probe had max_connections */   \
  COUNTER(tcp_refused_source_limit)      /* closed on arrival: its IP had too many open */        \
  COUNTER(tcp_refused_source_rate)       /* closed on arrival: its IP opened too many too fast */ \
  COUNTER(tcp_header_timeouts)           /* answered 408: no complete head in time */             \
  COUNTER(udp_answered)                  /* UDP requests answered */                              \
  COUNTER(udp_limited_source)            /* not answered: its IP asked too often */               \
  COUNTER(udp_limited_global)            /* not answered: the process answered too often */       \
  COUNTER(udp_refused_amplification)     /* not answered: the token is longer than the request */ \
  COUNTER(tcp_refused_source_table_full) /* closed on arrival: the per-source table was full */

/// Totals over every probe socket.
struct ProbeCounters {
#define PROXYD_PROBE_FIELD(name) std::uint64_t name = 0;
  PROXYD_PROBE_COUNTERS(PROXYD_PROBE_FIELD)
#undef PROXYD_PROBE_FIELD
};

/// Limits and counters every probe socket shares (owned by the ProbeService, io thread only).
struct ProbeShared {
  ProbeLimits limits;
  ProbeCounters counters;
  /// One bucket for the whole process: a table with a single key.
  libproxy::SourceTable udp_global{libproxy::SourceLimits{0, 1000, 1000, 1}};
  libproxy::SourceTable udp_sources{ProbeLimits{}.udp_per_source};
  explicit ProbeShared(const ProbeLimits& l = {})
      : limits(l),
        udp_global({0, l.udp_answers_per_second, l.udp_answers_per_second, 1}),
        udp_sources(l.udp_per_source) {}
};

class TcpProbeServer : public std::enable_shared_from_this<TcpProbeServer> {
public:
  /// Binds and listens on `address` and starts answering; nullptr and `ec` on failure.
  static std::shared_ptr<TcpProbeServer> open(asio::io_context& io,
                                              const asio::ip::tcp::endpoint& address,
                                              TokenLookup lookup, std::error_code& ec,
                                              std::shared_ptr<ProbeShared> shared = nullptr);
  TcpProbeServer(asio::io_context& io, TokenLookup lookup, std::shared_ptr<ProbeShared> shared);

  /// Stops accepting (connections being answered finish) and gives up the listening socket.
  asio::ip::tcp::acceptor& pause();
  /// Accepts again after pause(), unless the socket was taken meanwhile.
  void resume();
  /// Closes the listening socket; the port is free when this returns.
  void close();

private:
  class Session;
  void accept();

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  TokenLookup lookup_;
  std::shared_ptr<ProbeShared> shared_;
  std::shared_ptr<std::size_t> open_sessions_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<libproxy::SourceTable> sources_;  // this probe's per-source table
  bool accepting_ = false;                          // accepting, as opposed to paused or closed
  bool accept_pending_ = false;  // an async_accept is outstanding (maybe cancelled)
};

class UdpProbeServer : public std::enable_shared_from_this<UdpProbeServer> {
public:
  static std::shared_ptr<UdpProbeServer> open(asio::io_context& io,
                                              const asio::ip::udp::endpoint& address,
                                              TokenLookup lookup, std::error_code& ec,
                                              std::shared_ptr<ProbeShared> shared = nullptr);
  UdpProbeServer(asio::io_context& io, TokenLookup lookup, std::shared_ptr<ProbeShared> shared);
  /// Stops answering and gives up the socket (to a gateway, say).
  asio::ip::udp::socket& pause();
  /// Answers again after pause(), unless the socket was taken meanwhile.
  void resume();
  void close();

private:
  void receive();
  void answer(std::size_t size);

  asio::ip::udp::socket socket_;
  TokenLookup lookup_;
  std::shared_ptr<ProbeShared> shared_;
  std::array<char, 512> datagram_{};
  asio::ip::udp::endpoint sender_;
};

}  // namespace proxyd
