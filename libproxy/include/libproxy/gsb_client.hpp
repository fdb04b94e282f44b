// GsbClient: one connection to the Golem Service Bus (GSB) of a local yagna daemon, or to a
// standalone ya-sb-router, on the io thread. It serves the addresses bound to it (bind), sends
// pushes and calls, answers pings, and reconnects with backoff after any failure, registering
// every bound address again. The wire protocol is ya-sb-proto 0.6 (../shared/notes/golem-vpn.md
// §1): frames of a 4-byte big-endian length and one protobuf Packet.
//
// Writes are batched: every frame queued during one turn of the io loop leaves in one write.
#pragma once

#include <libproxy/result.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace libproxy {

struct GsbClientConfig {
  /// `unix:/path` (or `unix:///path`), `tcp://host:port`, or `host:port`.
  std::string url;
  /// What the client's Hello says about it.
  std::string name = "golem-proxy";
  std::string version = "0.1.0";
  /// A call with no reply by then fails with errc::gsb_call_timeout.
  std::chrono::milliseconds call_timeout = std::chrono::seconds(10);
  /// Reconnect delays: doubled after each failed attempt, from min up to max.
  std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(100);
  std::chrono::milliseconds reconnect_max = std::chrono::seconds(5);
  /// Queued outgoing bytes beyond this drop pushes and call replies (counted); the bus is not
  /// a buffer. Our own requests (Hello, Pong, Register, calls) are few and always queued.
  std::size_t max_queued_bytes = 4 << 20;
  /// Incoming frames longer than this are skipped and counted (frames_oversize), never fatal:
  /// any node of any VPN can send one through the daemon.
  std::size_t max_frame_bytes = 1 << 20;
  /// Debug and benchmark switch: write each frame on its own instead of batching a turn's worth.
  bool batch_writes = true;
};

/// Where yagna's bus is: YAGNA_GSB_URL (set for extensions), else GSB_URL, else yagna's default
/// unix:/tmp/yagna.sock.
std::string gsb_url_from_environment();

enum class GsbState {
  stopped,     ///< not started, or stopped
  connecting,  ///< resolving and connecting
  connected,   ///< Hello sent; bound addresses registered or being registered
  backoff,     ///< the last attempt failed; waiting to try again
};
const char* to_string(GsbState state);

struct GsbCounters {
  std::uint64_t connects = 0;     ///< connections established
  std::uint64_t disconnects = 0;  ///< connections lost or refused
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t writes = 0;  ///< socket writes (frames_sent / writes = frames per batch)
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t pushes_dropped = 0;  ///< not connected, or the write queue was full
  std::uint64_t calls_timed_out = 0;
  std::uint64_t calls_unroutable = 0;  ///< calls to addresses this client does not serve
  std::uint64_t frames_oversize = 0;   ///< incoming frames over max_frame_bytes, skipped
  std::uint64_t replies_dropped = 0;   ///< call replies not sent: the write queue was full
};

struct GsbBindingStatus {
  std::string address;
  bool registered = false;  ///< the router confirmed it on the current connection
};

/// A value snapshot of the client.
struct GsbStatus {
  std::string url;
  GsbState state = GsbState::stopped;
  std::string last_error;  ///< why the last connection ended or failed; empty if none did
  std::vector<GsbBindingStatus> bindings;
  GsbCounters counters;
};

/// A call or push that arrived at a bound address. Views are valid only during the handler.
struct GsbIncoming {
  std::string_view caller;   ///< the sender's node id (as the router or daemon passes it)
  std::string_view address;  ///< the full address called
  std::span<const std::uint8_t> data;
  bool expects_reply = false;  ///< false for a push
};

/// The answer to a call: code 0 (ok), 400 (bad request) or 500 (service failure).
struct GsbReply {
  std::int32_t code = 0;
  std::string data;
};

class GsbClient {
public:
  /// Serves one bound address; its reply is sent only when the caller expects one.
  using Handler = std::function<GsbReply(const GsbIncoming&)>;
  /// The end of an outgoing call: an error (errc::gsb_*) or the reply's data.
  using CallDone = std::function<void(std::error_code, std::string data)>;
  /// Told each time the connection comes up (true) or goes down (false).
  using StateHandler = std::function<void(bool connected)>;

  /// A client for `config.url`; errc::gsb_bad_url if the URL is not one.
  static Result<std::unique_ptr<GsbClient>> create(asio::io_context& io, GsbClientConfig config);
  ~GsbClient();
  GsbClient(const GsbClient&) = delete;
  GsbClient& operator=(const GsbClient&) = delete;

  /// Connects, and keeps reconnecting until stop().
  void start();
  /// Closes the connection; pending calls fail with errc::gsb_disconnected. Bindings are kept
  /// for a later start().
  void stop();

  /// Serves `address` (registered with the router now, or on each connect); calls to it and to
  /// addresses under it reach `handler`. errc::gsb_address_bound if already bound here.
  std::error_code bind(const std::string& address, Handler handler);
  /// Stops serving `address` and unregisters it.
  void unbind(const std::string& address);

  /// Sends a push (a call with no reply). False if it was dropped: not connected, or the write
  /// queue is full. The bytes are copied before it returns.
  bool push(std::string_view caller, std::string_view address, std::span<const std::uint8_t> data);
  /// Calls `address` and hands the reply to `done` (on the io thread, never inside call()).
  void call(std::string_view caller, std::string_view address, std::string data, CallDone done,
            std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  void on_state(StateHandler handler);
  bool connected() const;
  /// True when the bus confirmed `address` on the current connection.
  bool registered(const std::string& address) const;
  /// Bytes queued for the socket and not yet written (a sender's cue to slow down).
  std::size_t queued_bytes() const;
  GsbStatus status() const;

private:
  struct Impl;
  explicit GsbClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace libproxy
