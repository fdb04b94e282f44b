#include "service.hpp"

#include "data.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <sys/socket.h>

#include <memory>
#include <vector>

namespace testing {
namespace {

using asio::use_awaitable;

// Counts how a read loop ended.
void count_end(const std::error_code& ec, ServiceStats& stats) {
  if (ec == asio::error::eof)
    ++stats.saw_eof;
  else if (ec == asio::error::connection_reset)
    ++stats.saw_reset;
}

}  // namespace

Service::Service(const Netns& node, unsigned short port, Session session)
    : acceptor_(io_.io()), session_(std::move(session)) {
  io_.call([&] {
    acceptor_.assign(asio::ip::tcp::v4(), node.socket(AF_INET, SOCK_STREAM));
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::address_v4::any(), port});
    acceptor_.listen(4096);
    asio::co_spawn(
        io_.io(),
        [this]() -> asio::awaitable<void> {
          for (;;) {
            std::error_code ec;
            auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
            if (ec) co_return;
            ++stats_.accepted;
            ++stats_.active;
            asio::co_spawn(
                io_.io(),
                [this, s = std::make_shared<asio::ip::tcp::socket>(
                           std::move(socket))]() -> asio::awaitable<void> {
                  try {
                    co_await session_(*s, stats_);
                  } catch (const std::system_error& e) {
                    count_end(e.code(), stats_);
                  }
                  --stats_.active;
                },
                asio::detached);
          }
        },
        asio::detached);
  });
}

Service::~Service() {
  io_.call([this] { acceptor_.close(); });
}

asio::ip::tcp::endpoint Service::endpoint() const { return acceptor_.local_endpoint(); }

asio::awaitable<void> echo(asio::ip::tcp::socket& socket, ServiceStats& stats) {
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (;;) {
    std::error_code ec;
    const auto n = co_await socket.async_read_some(asio::buffer(buffer),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec) {
      count_end(ec, stats);
      if (ec == asio::error::eof) socket.shutdown(asio::socket_base::shutdown_send, ec);
      co_return;
    }
    co_await asio::async_write(socket, asio::buffer(buffer.data(), n), use_awaitable);
  }
}

Session banner_then_echo(std::string banner) {
  return [banner](asio::ip::tcp::socket& socket, ServiceStats& stats) -> asio::awaitable<void> {
    co_await asio::async_write(socket, asio::buffer(banner), use_awaitable);
    co_await echo(socket, stats);
  };
}

namespace {

// Sends `bytes` of Pattern(seed); then, if asked, reads until the peer's FIN; then closes.
Session send_pattern(std::uint64_t seed, std::size_t bytes, bool wait_for_eof) {
  return [=](asio::ip::tcp::socket& socket, ServiceStats&) -> asio::awaitable<void> {
    Pattern pattern(seed);
    std::vector<std::uint8_t> chunk(64 * 1024);
    for (std::size_t left = bytes; left > 0;) {
      const auto n = std::min(left, chunk.size());
      pattern.fill({chunk.data(), n});
      co_await asio::async_write(socket, asio::buffer(chunk.data(), n), use_awaitable);
      left -= n;
    }
    std::error_code ec;
    while (wait_for_eof && !ec)
      co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
    socket.close();
  };
}

}  // namespace

Session send_pattern_then_close(std::uint64_t seed, std::size_t bytes) {
  return send_pattern(seed, bytes, false);
}

Session send_pattern_then_close_after_eof(std::uint64_t seed, std::size_t bytes) {
  return send_pattern(seed, bytes, true);
}

asio::awaitable<void> reset_after_first_byte(asio::ip::tcp::socket& socket, ServiceStats&) {
  std::uint8_t byte;
  co_await asio::async_read(socket, asio::buffer(&byte, 1), use_awaitable);
  socket.set_option(asio::socket_base::linger(true, 0));
  socket.close();
}

asio::awaitable<void> read_and_hold(asio::ip::tcp::socket& socket, ServiceStats& stats) {
  std::vector<std::uint8_t> buffer(64 * 1024);
  std::error_code ec;
  while (!ec)
    co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
  count_end(ec, stats);
  if (ec != asio::error::eof) co_return;
  // Keep our half open: wait until the proxy resets us (or the service goes away).
  co_await socket.async_wait(asio::socket_base::wait_error,
                             asio::redirect_error(use_awaitable, ec));
  ++stats.saw_reset;
}

}  // namespace testing
