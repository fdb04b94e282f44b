// ManagementFront on real loopback sockets with a handler the test holds: the worker queue and
// the pending-connection cap answer 503 when full, and the request head scanner's bounds.
#include "management_front.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using proxyd::ApiLimits;
using proxyd::ManagementFront;
using proxyd::RequestHeadScanner;
using namespace std::chrono_literals;

namespace {

// A handler that answers 200 once the test lets it go on, and says when it started.
struct HeldHandler {
  std::mutex mutex;
  std::condition_variable changed;
  int started = 0;
  bool released = false;

  ManagementFront::Handler handler() {
    return [this](int fd, const std::string&) {
      std::unique_lock lock(mutex);
      ++started;
      changed.notify_all();
      changed.wait(lock, [&] { return released; });
      ManagementFront::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5s);
    };
  }
  void wait_started(int n) {
    std::unique_lock lock(mutex);
    REQUIRE(changed.wait_for(lock, 10s, [&] { return started >= n; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
};

struct Client {
  Client(asio::io_context& io, int port) : socket(io) {
    socket.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)});
  }
  void send(const std::string& text) { asio::write(socket, asio::buffer(text)); }
  std::string answer() {
    std::string all;
    std::error_code ec;
    asio::read(socket, asio::dynamic_buffer(all), ec);
    return all.substr(0, all.find('\r'));
  }
  asio::ip::tcp::socket socket;
};

// Waits (bounded) until `value()` reaches `wanted`.
template <class F>
bool eventually(F value, std::uint64_t wanted) {
  for (int i = 0; i < 1000; ++i) {
    if (value() == wanted) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("the API front answers 503 when its worker queue is full") {
  ApiLimits limits;
  limits.workers = 1;
  limits.max_queued_requests = 1;
  ManagementFront front(limits);
  std::string error;
  REQUIRE(front.bind("127.0.0.1", 0, error));
  HeldHandler held;
  front.start(held.handler());
  asio::io_context io;
  Client busy(io, front.port()), queued(io, front.port()), refused(io, front.port());
  busy.send(request);
  held.wait_started(1);  // the only worker is held
  queued.send(request);
  REQUIRE(eventually([&] { return front.counters().queued_requests.load(); }, 1));
  refused.send(request);
  CHECK(refused.answer() == "HTTP/1.1 503 Service Unavailable");
  CHECK(front.counters().rejected_queue_full == 1);
  held.release();
  CHECK(busy.answer() == "HTTP/1.1 200 OK");
  CHECK(queued.answer() == "HTTP/1.1 200 OK");
  CHECK(front.counters().requests_handled == 2);
  front.stop();
}

TEST_CASE("the API front answers 503 past its pending connections") {
  ApiLimits limits;
  limits.max_pending_connections = 2;
  ManagementFront front(limits);
  std::string error;
  REQUIRE(front.bind("127.0.0.1", 0, error));
  HeldHandler held;
  held.release();
  front.start(held.handler());
  asio::io_context io;
  Client first(io, front.port()), second(io, front.port());
  first.send("GET / HTTP/1.1\r\n");  // both still sending their heads
  second.send("GET / HTTP/1.1\r\n");
  REQUIRE(eventually([&] { return front.counters().pending_connections.load(); }, 2));
  Client third(io, front.port());
  CHECK(third.answer() == "HTTP/1.1 503 Service Unavailable");
  CHECK(front.counters().rejected_too_many_pending == 1);
  // A slot comes free when a pending request completes.
  first.send("\r\n");
  CHECK(first.answer() == "HTTP/1.1 200 OK");
  REQUIRE(eventually([&] { return front.counters().pending_connections.load(); }, 1));
  Client fourth(io, front.port());
  fourth.send(request);
  CHECK(fourth.answer() == "HTTP/1.1 200 OK");
  front.stop();
}

TEST_CASE("the request head scanner finds the head however the bytes arrive") {
  ApiLimits limits;
  limits.max_header_bytes = 256;
  limits.max_headers = 3;
  limits.max_body_bytes = 10;
  const auto scan_bytewise = [&](const std::string& text) {
    RequestHeadScanner scanner(limits);
    auto state = RequestHeadScanner::State::incomplete;
    for (std::size_t n = 1; n <= text.size(); ++n)
      state = scanner.scan(std::string_view(text).substr(0, n));
    return std::pair{state, scanner.wanted()};
  };
  using State = RequestHeadScanner::State;
  const std::string head = "POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\n";
  CHECK(scan_bytewise(head) == std::pair{State::complete, head.size() + 4});
  CHECK(scan_bytewise("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n").first ==
        State::too_many_headers);
  CHECK(scan_bytewise("GET / HTTP/1.1\r\nA: " + std::string(300, 'a')).first == State::too_large);
  CHECK(scan_bytewise("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n").first ==
        State::body_too_large);
  CHECK(scan_bytewise("POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\n").first ==
        State::malformed);
  CHECK(scan_bytewise("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").first ==
        State::chunked);
  CHECK(scan_bytewise("GET / HTTP/1.1\r\n folded\r\n\r\n").first == State::malformed);
  CHECK(scan_bytewise("GET / HTTP/1.1\r\nA: 1\nB: 2\r\n\r\n").first == State::malformed);
}
