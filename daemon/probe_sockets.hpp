// The public sockets of a probe: they answer a requestor with its token, so that the requestor
// can check the address is reachable from the Internet (GAP-22's probes).
//
//   TCP: a minimal HTTP/1.1 responder, one request per connection.
//        GET /?requestorId=<id> or GET /<id>  ->  200 text/plain <token>
//        unknown requestor -> 404; not GET -> 405; malformed -> 400; head over 8 KiB -> 431;
//        no complete head within 5 s -> 408; at most 64 connections at once per probe.
//   UDP: a datagram holding a requestor id (trailing whitespace ignored, at most 256 bytes) is
//        answered with a datagram holding its token; unknown ids get no answer.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace proxyd {

/// The token for a requestor id (and counts it as served), or nothing.
using TokenLookup = std::function<std::optional<std::string>(const std::string& requestor_id)>;

class TcpProbeServer : public std::enable_shared_from_this<TcpProbeServer> {
public:
  static constexpr std::size_t max_head_bytes = 8 * 1024;
  static constexpr std::size_t max_connections = 64;
  static constexpr auto read_timeout = std::chrono::seconds(5);

  /// Binds and listens on `address` and starts answering; nullptr and `ec` on failure.
  static std::shared_ptr<TcpProbeServer> open(asio::io_context& io,
                                              const asio::ip::tcp::endpoint& address,
                                              TokenLookup lookup, std::error_code& ec);
  TcpProbeServer(asio::io_context& io, TokenLookup lookup);

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
  std::shared_ptr<std::size_t> open_sessions_ = std::make_shared<std::size_t>(0);
  bool accepting_ = false;       // accepting, as opposed to paused or closed
  bool accept_pending_ = false;  // an async_accept is outstanding (maybe cancelled)
};

class UdpProbeServer : public std::enable_shared_from_this<UdpProbeServer> {
public:
  static std::shared_ptr<UdpProbeServer> open(asio::io_context& io,
                                              const asio::ip::udp::endpoint& address,
                                              TokenLookup lookup, std::error_code& ec);
  UdpProbeServer(asio::io_context& io, TokenLookup lookup);
  /// Stops answering and gives up the socket (to a gateway, say).
  asio::ip::udp::socket& pause();
  /// Answers again after pause(), unless the socket was taken meanwhile.
  void resume();
  void close();

private:
  void receive();

  asio::ip::udp::socket socket_;
  TokenLookup lookup_;
  std::array<char, 512> datagram_{};
  asio::ip::udp::endpoint sender_;
};

}  // namespace proxyd
