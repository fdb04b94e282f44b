#include "probe_sockets.hpp"

#include <fmt/format.h>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <array>
#include <string_view>

namespace proxyd {
namespace {

// %XX decoding for a requestor id taken from a URL; nullopt when malformed.
// '+' means a space only in a query string (form encoding), not in a path.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += plus_as_space && text[i] == '+' ? ' ' : text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    unsigned value = 0;
    for (char c : text.substr(i + 1, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<unsigned>(c - 'A' + 10);
      else
        return std::nullopt;
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// The requestor id in "/?requestorId=<id>" (other parameters allowed) or "/<id>".
std::optional<std::string> requestor_from_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  const auto question = target.find('?');
  const auto path =
      target.substr(1, question == std::string_view::npos ? target.npos : question - 1);
  if (question != std::string_view::npos) {
    auto query = target.substr(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const auto pair = query.substr(0, amp);
      constexpr std::string_view key = "requestorId=";
      if (pair.substr(0, key.size()) == key) {
        auto id = percent_decode(pair.substr(key.size()), true);
        if (id && !id->empty()) return id;
        return std::nullopt;
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (path.empty() || path.find('/') != std::string_view::npos) return std::nullopt;
  auto id = percent_decode(path, false);
  if (id && id->empty()) return std::nullopt;
  return id;
}

std::string response(int status, std::string_view reason, std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: "
      "close\r\n\r\n{}",
      status, reason, body.size(), body);
}

}  // namespace

ProbeHttpRequest parse_probe_request(std::string_view head) {
  const auto error = [](int status, std::string_view reason, std::string_view body) {
    return ProbeHttpRequest{status, reason, body, {}};
  };
  const auto line = head.substr(0, head.find("\r\n"));
  const auto first = line.find(' '), last = line.rfind(' ');
  if (first == std::string_view::npos || first == last ||
      line.substr(last + 1).substr(0, 5) != "HTTP/")
    return error(400, "Bad Request", "malformed request\n");
  if (line.substr(0, first) != "GET")
    return error(405, "Method Not Allowed", "only GET is served\n");
  auto requestor = requestor_from_target(line.substr(first + 1, last - first - 1));
  if (!requestor)
    return error(400, "Bad Request", "expected GET /?requestorId=<id> or GET /<id>\n");
  return {200, "OK", {}, std::move(*requestor)};
}

std::optional<std::string_view> udp_probe_requestor(std::string_view datagram) {
  while (!datagram.empty() && std::isspace(static_cast<unsigned char>(datagram.back())))
    datagram.remove_suffix(1);
  if (datagram.empty() || datagram.size() > 256) return std::nullopt;
  return datagram;
}

// One HTTP exchange: read the head (bounded in size and time), answer, close.
class TcpProbeServer::Session : public std::enable_shared_from_this<Session> {
public:
  // `sources` has admitted `source`; the session releases it when it ends.
  Session(asio::ip::tcp::socket socket, TokenLookup lookup, std::shared_ptr<std::size_t> count,
          std::shared_ptr<libproxy::SourceTable> sources, asio::ip::address source,
          std::shared_ptr<ProbeShared> shared)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        lookup_(std::move(lookup)),
        count_(std::move(count)),
        sources_(std::move(sources)),
        source_(source),
        shared_(std::move(shared)),
        head_(shared_->limits.max_head_bytes) {
    ++*count_;
  }
  ~Session() {
    --*count_;
    sources_->release(source_);
  }

  void start() {
    timer_.expires_after(shared_->limits.header_timeout);
    // The handler holds the session, so `self` is alive; once replied_ (the head came, or the
    // client left) a late timer completion changes nothing.
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec || self->replied_) return;
      ++self->shared_->counters.tcp_header_timeouts;
      self->reply(response(408, "Request Timeout", "request timeout\n"));
    });
    asio::async_read_until(
        socket_, head_, "\r\n\r\n",
        [self = shared_from_this()](const std::error_code& ec, std::size_t) { self->on_head(ec); });
  }

private:
  void on_head(const std::error_code& ec) {
    if (replied_) return;
    if (ec == asio::error::not_found)
      return reply(response(431, "Request Header Fields Too Large", "request head too large\n"));
    if (ec) return close();  // the client went away
    std::string_view head(static_cast<const char*>(head_.data().data()), head_.size());
    const auto request = parse_probe_request(head);
    if (request.status != 200) return reply(response(request.status, request.reason, request.body));
    const auto token = lookup_(request.requestor);
    if (!token) return reply(response(404, "Not Found", "unknown requestor\n"));
    reply(response(200, "OK", *token));
  }

  void reply(std::string text) {
    if (replied_) return;
    replied_ = true;
    timer_.cancel();
    out_ = std::move(text);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](const std::error_code&, std::size_t) { self->close(); });
  }

  void close() {
    std::error_code ignored;
    replied_ = true;
    timer_.cancel();
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  TokenLookup lookup_;
  std::shared_ptr<std::size_t> count_;
  std::shared_ptr<libproxy::SourceTable> sources_;
  asio::ip::address source_;
  std::shared_ptr<ProbeShared> shared_;
  asio::streambuf head_;
  std::string out_;
  bool replied_ = false;
};

std::shared_ptr<TcpProbeServer> TcpProbeServer::open(asio::io_context& io,
                                                     const asio::ip::tcp::endpoint& address,
                                                     TokenLookup lookup, std::error_code& ec,
                                                     std::shared_ptr<ProbeShared> shared) {
  auto server = std::make_shared<TcpProbeServer>(io, std::move(lookup), std::move(shared));
  auto& acceptor = server->acceptor_;
  acceptor.open(address.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(address, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return nullptr;
  server->resume();
  return server;
}

TcpProbeServer::TcpProbeServer(asio::io_context& io, TokenLookup lookup,
                               std::shared_ptr<ProbeShared> shared)
    : acceptor_(io),
      backoff_(io),
      lookup_(std::move(lookup)),
      shared_(shared ? std::move(shared) : std::make_shared<ProbeShared>()),
      sources_(std::make_shared<libproxy::SourceTable>(shared_->limits.tcp_per_source)) {}

// At most one accept is pending. pause() cancels it; its handler then starts the next one only
// if resume() came meanwhile, so pause/resume never multiplies the loop.
void TcpProbeServer::accept() {
  accept_pending_ = true;
  acceptor_.async_accept(
      [self = shared_from_this()](const std::error_code& ec, asio::ip::tcp::socket socket) {
        self->accept_pending_ = false;
        if (!ec) {  // answered even if we were paused meanwhile: the client is already connected
          auto& counters = self->shared_->counters;
          std::error_code peer_ec;
          const auto peer = socket.remote_endpoint(peer_ec);
          auto verdict = libproxy::SourceTable::Verdict::table_full;
          const auto max_connections = self->shared_->limits.max_connections;
          if (*self->open_sessions_ >= max_connections)
            ++counters.tcp_refused_full;
          else if (!peer_ec)
            verdict = self->sources_->admit(peer.address());
          if (verdict == libproxy::SourceTable::Verdict::admitted) {
            std::make_shared<Session>(std::move(socket), self->lookup_, self->open_sessions_,
                                      self->sources_, peer.address(), self->shared_)
                ->start();
          } else {
            if (verdict == libproxy::SourceTable::Verdict::too_many)
              ++counters.tcp_refused_source_limit;
            else if (verdict == libproxy::SourceTable::Verdict::too_fast)
              ++counters.tcp_refused_source_rate;
            else if (!peer_ec && *self->open_sessions_ < max_connections)
              ++counters.tcp_refused_source_table_full;  // admit() said table_full
            std::error_code ignored;
            socket.set_option(asio::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
          }
        }
        if (!self->accepting_ || !self->acceptor_.is_open()) return;
        if (ec && ec != asio::error::operation_aborted) {
          // Out of descriptors, say: wait a moment instead of spinning on the error.
          self->backoff_.expires_after(std::chrono::milliseconds(100));
          self->backoff_.async_wait([self](const std::error_code& wait_ec) {
            if (!wait_ec && self->accepting_ && !self->accept_pending_) self->accept();
          });
          return;
        }
        self->accept();
      });
}

asio::ip::tcp::acceptor& TcpProbeServer::pause() {
  accepting_ = false;
  std::error_code ignored;
  acceptor_.cancel(ignored);
  return acceptor_;
}

void TcpProbeServer::resume() {
  if (!acceptor_.is_open()) return;
  accepting_ = true;
  if (!accept_pending_) accept();  // else the cancelled accept's handler restarts the loop
}

void TcpProbeServer::close() {
  accepting_ = false;
  backoff_.cancel();
  std::error_code ignored;
  acceptor_.close(ignored);
}

std::shared_ptr<UdpProbeServer> UdpProbeServer::open(asio::io_context& io,
                                                     const asio::ip::udp::endpoint& address,
                                                     TokenLookup lookup, std::error_code& ec,
                                                     std::shared_ptr<ProbeShared> shared) {
  auto server = std::make_shared<UdpProbeServer>(io, std::move(lookup), std::move(shared));
  auto& socket = server->socket_;
  socket.open(address.protocol(), ec);
  if (!ec) socket.bind(address, ec);
  if (!ec) socket.non_blocking(true, ec);  // replies that cannot go at once are dropped
  if (ec) return nullptr;
  server->receive();
  return server;
}

UdpProbeServer::UdpProbeServer(asio::io_context& io, TokenLookup lookup,
                               std::shared_ptr<ProbeShared> shared)
    : socket_(io),
      lookup_(std::move(lookup)),
      shared_(shared ? std::move(shared) : std::make_shared<ProbeShared>()) {}

void UdpProbeServer::receive() {
  socket_.async_receive_from(
      asio::buffer(datagram_), sender_,
      [self = shared_from_this()](const std::error_code& ec, std::size_t size) {
        if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
        if (!ec) self->answer(size);
        self->receive();
      });
}

// Sources are spoofable: the answer must never be bigger than the request (beyond a small
// allowance), and the rate of answers is bounded per source and for the process. The buckets
// are charged only for answers that go out: junk, unknown ids and refused amplifications
// (spoofed at no cost) must not empty the budget that real answers need.
void UdpProbeServer::answer(std::size_t size) {
  const std::string_view datagram(datagram_.data(), size);
  const auto id = udp_probe_requestor(datagram);
  if (!id) return;
  const auto token = lookup_(std::string(*id));
  if (!token) return;
  auto& s = *shared_;
  if (!udp_probe_may_answer(size, token->size())) {
    ++s.counters.udp_refused_amplification;
    return;
  }
  const auto peer = sender_.address();
  if (s.udp_sources.admit(peer) != libproxy::SourceTable::Verdict::admitted) {
    ++s.counters.udp_limited_source;
    return;
  }
  s.udp_sources.release(peer);  // a rate, not a count of open things
  const auto global = asio::ip::address(asio::ip::address_v4::any());
  if (s.udp_global.admit(global) != libproxy::SourceTable::Verdict::admitted) {
    ++s.counters.udp_limited_global;
    return;
  }
  s.udp_global.release(global);
  std::error_code send_ec;  // a reply that cannot go now is dropped, like UDP
  socket_.send_to(asio::buffer(*token), sender_, 0, send_ec);
  if (!send_ec) ++s.counters.udp_answered;
}

asio::ip::udp::socket& UdpProbeServer::pause() {
  std::error_code ignored;
  socket_.cancel(ignored);  // the pending receive ends with operation_aborted
  return socket_;
}

void UdpProbeServer::resume() {
  if (socket_.is_open()) receive();
}

void UdpProbeServer::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace proxyd
