// A blocking TCP client for tests, connecting to the proxy's public side on 127.0.0.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace testing {

class Client {
public:
  /// Connects to 127.0.0.1:port; reads and writes give up after `io_timeout_s` (a guard
  /// against hangs, not a timing assertion). Throws if the connection fails.
  explicit Client(unsigned short port, int io_timeout_s = 30);
  /// The same with a socket made elsewhere (say, in a network namespace); takes it over.
  Client(int socket_fd, unsigned short port, int io_timeout_s = 30);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int fd() const { return fd_; }
  void send_all(std::span<const std::uint8_t> data);
  void send_all(const std::string& text);
  /// Reads exactly n bytes; throws if the stream ends or fails first.
  std::string read_exact(std::size_t n);
  /// Reads once: > 0 bytes, 0 at EOF, or -errno.
  long read_some(std::span<std::uint8_t> out);
  /// Reads until EOF; returns -errno if the stream fails first, else the byte count.
  long read_to_eof(std::string* into = nullptr);
  void shutdown_send();
  /// Closes with SO_LINGER {1, 0}: the peer sees a reset.
  void reset();

private:
  int fd_ = -1;
};

/// Sends `size` bytes of Pattern(seed) on a second thread, half-closes, and reads until EOF:
/// true when exactly those bytes came back (an echo service at the far end).
bool echo_round_trip(Client& client, std::size_t size, std::uint64_t seed);

/// Whether a socket of `type` (SOCK_STREAM, SOCK_DGRAM) can bind 127.0.0.1:port right now;
/// `reuse_address` sets SO_REUSEADDR first, as servers do, so TIME_WAIT leftovers do not count.
bool can_bind_loopback(int type, unsigned short port, bool reuse_address = false);

}  // namespace testing
