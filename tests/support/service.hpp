// Services inside a VPN node's namespace: real kernel sockets, served by coroutines on their own
// io thread.
#pragma once

#include "io_thread.hpp"
#include "netns.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <string>

namespace testing {

/// What a service saw of its connections.
struct ServiceStats {
  std::atomic<int> accepted{0};
  std::atomic<int> active{0};
  std::atomic<int> saw_eof{0};    // the proxy half-closed towards the service
  std::atomic<int> saw_reset{0};  // the proxy reset the connection
};

using Session = std::function<asio::awaitable<void>(asio::ip::tcp::socket&, ServiceStats&)>;

class Service {
public:
  /// Listens on 0.0.0.0:port inside `node` and runs `session` for every connection.
  Service(const Netns& node, unsigned short port, Session session);
  ~Service();

  ServiceStats& stats() { return stats_; }
  asio::ip::tcp::endpoint endpoint() const;

private:
  ServiceStats stats_;
  IoThread io_;
  asio::ip::tcp::acceptor acceptor_;
  Session session_;
};

// ---- sessions ----------------------------------------------------------------------------------

/// Echoes everything; half-closes when the peer did.
asio::awaitable<void> echo(asio::ip::tcp::socket& socket, ServiceStats& stats);
/// Writes `banner` first (a server-first protocol), then echoes.
Session banner_then_echo(std::string banner);
/// Sends `bytes` of Pattern(seed), then closes.
Session send_pattern_then_close(std::uint64_t seed, std::size_t bytes);
/// Sends `bytes` of Pattern(seed), waits for the peer to end its side, then closes: the peer
/// closes first, so its end of the connection goes through TIME_WAIT.
Session send_pattern_then_close_after_eof(std::uint64_t seed, std::size_t bytes);
/// Reads one byte, then resets the connection.
asio::awaitable<void> reset_after_first_byte(asio::ip::tcp::socket& socket, ServiceStats& stats);
/// Reads until the peer ends (counting EOF or reset), never writes, and keeps its side open.
asio::awaitable<void> read_and_hold(asio::ip::tcp::socket& socket, ServiceStats& stats);

}  // namespace testing
