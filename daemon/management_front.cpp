#include "management_front.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace proxyd {
namespace {

using Clock = std::chrono::steady_clock;
using State = RequestHeadScanner::State;

// How long accepts stop when the process is out of descriptors: the listen socket stays
// readable, so polling it meanwhile would spin.
constexpr auto accept_pause = std::chrono::milliseconds(100);
// recv calls per connection per poll round: one busy sender cannot hold the front thread.
constexpr int reads_per_round = 4;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A header name is an RFC 9110 token.
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

std::string error_response(int status, const char* reason, const char* code,
                           const std::string& message) {
  const std::string body =
      fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, reason, body.size(), body);
}

}  // namespace

// ---- the request head -------------------------------------------------------------------------

State RequestHeadScanner::scan(std::string_view received) {
  if (state_ != State::incomplete) return state_;
  for (std::size_t i = scanned_; i < received.size(); ++i) {
    if (received[i] != '\n') continue;
    ++lines_;  // the request line, then one per header, then the blank line
    if (i >= 3 && received.substr(i - 3, 4) == "\r\n\r\n") {
      head_bytes_ = i + 1;
      if (head_bytes_ > limits_.max_header_bytes) return state_ = State::too_large;
      if (lines_ - 2 > limits_.max_headers) return state_ = State::too_many_headers;
      return state_ = check_head(received.substr(0, head_bytes_));
    }
    if (lines_ > limits_.max_headers + 1) return state_ = State::too_many_headers;
  }
  scanned_ = received.size();
  if (received.size() > limits_.max_header_bytes) return state_ = State::too_large;
  return state_;
}

State RequestHeadScanner::check_head(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return State::malformed;
  head.remove_suffix(2);  // the blank line's CRLF; each line now ends in "\r\n"
  bool first = true, has_length = false;
  while (!head.empty()) {
    const auto end = head.find("\r\n");
    if (end == std::string_view::npos) return State::malformed;  // a bare LF inside a line
    const auto line = head.substr(0, end);
    head.remove_prefix(end + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) return State::malformed;
    if (first) {  // METHOD SP TARGET SP HTTP/1.x
      first = false;
      const auto space = line.find(' '), last = line.rfind(' ');
      if (space == std::string_view::npos || space == 0 || last == space ||
          !line.substr(last + 1).starts_with("HTTP/1."))
        return State::malformed;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return State::malformed;  // also refuses obsolete line folding (a leading space)
    const auto name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (equal_ignoring_case(name, "Transfer-Encoding")) return State::chunked;
    if (equal_ignoring_case(name, "Expect") && equal_ignoring_case(value, "100-continue"))
      expect_continue_ = true;
    if (equal_ignoring_case(name, "Content-Length")) {
      std::size_t length = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() ||
          (has_length && length != content_length_))
        return State::malformed;
      has_length = true;
      content_length_ = length;
    }
  }
  if (content_length_ > limits_.max_body_bytes) return State::body_too_large;
  return State::complete;
}

// ---- the front thread ------------------------------------------------------------------------

struct ManagementFront::Connection {
  int fd = -1;
  std::string received;
  std::unique_ptr<RequestHeadScanner> scanner;
  std::string source;  ///< the peer's address bytes (no port)
  Clock::time_point deadline;
  bool closing = false;
  bool continue_sent = false;
};

ManagementFront::~ManagementFront() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool ManagementFront::bind(const std::string& host, int port, std::string& error) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v6;
  } else {
    error = fmt::format("invalid API address '{}'", host);
    return false;
  }
  listen_fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // SO_REUSEADDR only (not SO_REUSEPORT, which would let a second daemon share the port).
  int yes = 1;
  if (listen_fd_ >= 0) ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (listen_fd_ < 0 || wake_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    error = fmt::format("cannot bind the API to {}:{}: {}", host, port, std::strerror(errno));
    return false;
  }
  length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return true;
}

void ManagementFront::start(Handler handler) {
  handler_ = std::move(handler);
  for (std::size_t i = 0; i < limits_.workers; ++i) workers_.emplace_back([this] { run_worker(); });
  front_ = std::thread([this] { run_front(); });
}

void ManagementFront::stop() {
  {
    // Set under the workers' mutex: a worker between its predicate check and its wait would
    // otherwise miss the notify below and join() would hang.
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
  }
  if (front_.joinable()) front_.join();
  jobs_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  for (const auto& job : jobs_) ::close(job.fd);
  jobs_.clear();
}

bool ManagementFront::write_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  return write_all(fd, data, Clock::now() + timeout);
}

bool ManagementFront::write_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const auto sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
  }
  return true;
}

void ManagementFront::reject(Connection& c, int status, const char* code,
                             const std::string& message) {
  const char* reason = status == 400   ? "Bad Request"
                       : status == 408 ? "Request Timeout"
                       : status == 411 ? "Length Required"
                       : status == 413 ? "Payload Too Large"
                       : status == 431 ? "Request Header Fields Too Large"
                                       : "Service Unavailable";
  // The socket buffer is empty (nothing was written yet): a short answer goes in one send.
  const auto response = error_response(status, reason, code, message);
  [[maybe_unused]] const auto sent = ::send(c.fd, response.data(), response.size(), MSG_NOSIGNAL);
  ::shutdown(c.fd, SHUT_WR);
  c.closing = true;
  c.deadline = Clock::now() + limits_.closing_time;
  c.received.clear();
  c.received.shrink_to_fit();
}

bool ManagementFront::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() < limits_.max_queued_requests) {
      jobs_.push_back(std::move(job));
      counters_.queued_requests = jobs_.size();
      jobs_ready_.notify_one();
      return true;
    }
  }
  return false;
}

void ManagementFront::accept_all(std::vector<Connection>& connections) {
  std::unordered_map<std::string, std::size_t> per_source;  // connections held per address
  for (const auto& c : connections) ++per_source[c.source];
  const auto busy = [](int fd, const char* message) {
    // Answered and closed at once: lingering here would let a flood hold slots anyway.
    const auto response = error_response(503, "Service Unavailable", "busy", message);
    [[maybe_unused]] const auto sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(fd);
  };
  for (int i = 0; i < 64; ++i) {  // a bounded batch, then the other sockets get their turn
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ++counters_.accept_paused_no_descriptors;
        accept_paused_until_ = Clock::now() + accept_pause;
      }
      return;
    }
    ++counters_.connections_accepted;
    if (connections.size() >= limits_.max_connections()) {
      // Not even an answer: past this the front would only trade descriptors for a flood.
      ++counters_.rejected_too_many_connections;
      ::close(fd);
      continue;
    }
    Connection c;
    c.fd = fd;
    c.deadline = Clock::now() + limits_.request_timeout;
    if (peer.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(peer).sin_addr;
      c.source.assign(reinterpret_cast<const char*>(&a), sizeof a);
    } else if (peer.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
      c.source.assign(reinterpret_cast<const char*>(&a), sizeof a);
    }
    auto& from_source = per_source[c.source];
    if (from_source >= limits_.max_pending_per_source) {
      ++counters_.rejected_per_source;
      busy(fd, "too many connections from this address are sending requests; try again");
      continue;
    }
    const auto reading = std::count_if(connections.begin(), connections.end(),
                                       [](const Connection& x) { return !x.closing; });
    if (static_cast<std::size_t>(reading) >= limits_.max_pending_connections) {
      ++counters_.rejected_too_many_pending;
      busy(fd, "too many connections are sending requests; try again");
      continue;
    }
    ++from_source;
    c.scanner = std::make_unique<RequestHeadScanner>(limits_);
    connections.push_back(std::move(c));
  }
}

bool ManagementFront::read_from(Connection& c) {
  char buffer[16 * 1024];
  for (int round = 0; round < reads_per_round; ++round) {
    const auto got = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (got == 0) return false;  // the peer is gone (or done after our answer)
    if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (c.closing) continue;  // draining: dropped
    // Never hold more than a complete request can need.
    const auto room = limits_.max_header_bytes + limits_.max_body_bytes + 1 - c.received.size();
    c.received.append(buffer, std::min(static_cast<std::size_t>(got), room));
    switch (c.scanner->scan(c.received)) {
      case State::incomplete:
        continue;
      case State::too_large:
        ++counters_.rejected_header_too_large;
        reject(c, 431, "header_too_large",
               fmt::format("the request head is over {} bytes", limits_.max_header_bytes));
        continue;
      case State::too_many_headers:
        ++counters_.rejected_too_many_headers;
        reject(c, 431, "too_many_headers",
               fmt::format("the request has over {} headers", limits_.max_headers));
        continue;
      case State::body_too_large:
        ++counters_.rejected_body_too_large;
        reject(c, 413, "body_too_large",
               fmt::format("the body is over {} bytes", limits_.max_body_bytes));
        continue;
      case State::chunked:
        ++counters_.rejected_chunked;
        reject(c, 411, "length_required", "send the body with a Content-Length");
        continue;
      case State::malformed:
        ++counters_.rejected_malformed;
        reject(c, 400, "bad_request", "the request head is not valid HTTP/1.1");
        continue;
      case State::complete:
        break;
    }
    if (c.received.size() < c.scanner->wanted()) {
      if (c.scanner->expects_continue() && !c.continue_sent) {
        c.continue_sent = true;
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        [[maybe_unused]] const auto sent = ::send(c.fd, go_on.data(), go_on.size(), MSG_NOSIGNAL);
      }
      continue;
    }
    c.received.resize(c.scanner->wanted());  // one request per connection: the rest is not read
    if (!enqueue({c.fd, std::move(c.received)})) {
      ++counters_.rejected_queue_full;
      reject(c, 503, "busy", "the API has too many requests waiting; try again");
      continue;
    }
    c.fd = -1;  // the worker owns it now
    return false;
  }
  return true;  // more may be there: the next poll round reads on
}

void ManagementFront::run_front() {
  std::vector<Connection> connections;
  std::vector<pollfd> polled;
  while (!stopping_) {
    polled.clear();
    polled.push_back({wake_fd_, POLLIN, 0});
    auto next_deadline = Clock::now() + std::chrono::seconds(60);
    const bool accepting = Clock::now() >= accept_paused_until_;
    // Left out while paused (fd -1: poll skips it), so that its readiness does not spin.
    polled.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    if (!accepting) next_deadline = accept_paused_until_;
    for (const auto& c : connections) {
      polled.push_back({c.fd, POLLIN, 0});
      next_deadline = std::min(next_deadline, c.deadline);
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_deadline - Clock::now());
    if (::poll(polled.data(), polled.size(), static_cast<int>(std::max<long>(0, wait.count()))) <
            0 &&
        errno != EINTR)
      break;
    if (polled[0].revents != 0) break;  // stop()
    // Reads before accepts: `polled` indexes the connections as they were.
    std::vector<Connection> kept;
    kept.reserve(connections.size());
    const auto now = Clock::now();
    for (std::size_t i = 0; i < connections.size(); ++i) {
      auto& c = connections[i];
      bool keep = true;
      if (polled[i + 2].revents != 0) keep = read_from(c);
      if (keep && c.deadline <= now) {
        if (c.closing) {
          keep = false;
        } else {
          ++counters_.rejected_request_timeout;
          reject(c, 408, "request_timeout",
                 fmt::format("the request did not arrive within {} ms",
                             limits_.request_timeout.count()));
        }
      }
      if (keep)
        kept.push_back(std::move(c));
      else if (c.fd >= 0)
        ::close(c.fd);
    }
    connections = std::move(kept);
    if (accepting && polled[1].revents != 0) accept_all(connections);
    const auto pending = static_cast<std::uint64_t>(std::count_if(
        connections.begin(), connections.end(), [](const Connection& c) { return !c.closing; }));
    counters_.pending_connections = pending;
    counters_.closing_connections = connections.size() - pending;
  }
  for (const auto& c : connections) ::close(c.fd);
  counters_.pending_connections = 0;
  counters_.closing_connections = 0;
}

void ManagementFront::run_worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      jobs_ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      counters_.queued_requests = jobs_.size();
    }
    ++counters_.requests_handled;
    try {
      handler_(job.fd, job.request);
    } catch (...) {  // a handler's failure ends its request, never the worker
    }
    ::close(job.fd);
  }
}

}  // namespace proxyd
