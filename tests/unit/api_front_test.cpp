// ManagementFront on real loopback sockets with a handler the test holds: the worker queue and
// the pending-connection cap answer 503 when full, and the request head scanner's bounds.
#include "management_front.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
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

TEST_CASE("the API front closes at once past twice its pending connections held") {
  ApiLimits limits;
  limits.max_pending_connections = 2;  // so at most 4 held, sending or closing
  limits.max_pending_per_source = 100;
  limits.closing_time = 60s;  // the rejected ones stay for the whole test
  ManagementFront front(limits);
  std::string error;
  REQUIRE(front.bind("127.0.0.1", 0, error));
  HeldHandler held;
  held.release();
  front.start(held.handler());
  asio::io_context io;
  std::vector<std::unique_ptr<Client>> rejected;
  for (int i = 0; i < 4; ++i) {
    rejected.push_back(std::make_unique<Client>(io, front.port()));
    rejected.back()->send("not http\r\n\r\n");
    CHECK(rejected.back()->answer() == "HTTP/1.1 400 Bad Request");  // and the write side shut
  }
  REQUIRE(eventually([&] { return front.counters().closing_connections.load(); }, 4));
  CHECK(front.counters().pending_connections == 0);
  // No pending slot is taken, yet the next connection is closed without an answer.
  Client over(io, front.port());
  CHECK(over.answer().empty());
  CHECK(front.counters().rejected_too_many_connections == 1);
  // Once the rejected peers close, the front serves again.
  rejected.clear();
  REQUIRE(eventually([&] { return front.counters().closing_connections.load(); }, 0));
  Client served(io, front.port());
  served.send(request);
  CHECK(served.answer() == "HTTP/1.1 200 OK");
  front.stop();
}

TEST_CASE("the API front pauses accepting while the process is out of descriptors") {
#ifdef __SANITIZE_ADDRESS__
  // The sanitizers' runtime needs descriptors of its own: UBSan's vptr check tests memory
  // through a pipe, and with none left it reports a false "invalid vptr". The release suite
  // runs this test.
  WARN("skipped under the sanitizers: their runtime cannot run out of descriptors");
  return;
#endif
  ManagementFront front(ApiLimits{});
  std::string error;
  REQUIRE(front.bind("127.0.0.1", 0, error));
  HeldHandler held;
  held.release();
  front.start(held.handler());
  asio::io_context io;
  asio::ip::tcp::socket client(io);
  client.open(asio::ip::tcp::v4());  // its descriptor before they run out

  // Every descriptor under a lowered limit taken; restored however the test ends.
  struct Exhausted {
    rlimit saved{};
    std::vector<int> taken;
    bool lowered = false, out_of_descriptors = false;
    Exhausted() {  // no REQUIRE in here: a throwing constructor would skip the destructor
      const int lowest_free = ::dup(0);
      if (getrlimit(RLIMIT_NOFILE, &saved) != 0 || lowest_free < 0) return;
      ::close(lowest_free);
      rlimit low = saved;
      low.rlim_cur = static_cast<rlim_t>(lowest_free) + 16;
      lowered = setrlimit(RLIMIT_NOFILE, &low) == 0;
      if (!lowered) return;
      for (int fd; (fd = ::dup(0)) >= 0;) taken.push_back(fd);  // bounded by the limit
      out_of_descriptors = errno == EMFILE;
    }
    void release() {
      for (const int fd : taken) ::close(fd);
      taken.clear();
      if (lowered) setrlimit(RLIMIT_NOFILE, &saved);
      lowered = false;
    }
    ~Exhausted() { release(); }
  } exhausted;
  REQUIRE(exhausted.out_of_descriptors);
  client.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(front.port())});
  // accept4 fails with EMFILE: counted, and the front backs off instead of spinning.
  const bool paused = eventually(
      [&] { return std::min<std::uint64_t>(front.counters().accept_paused_no_descriptors, 1); }, 1);
  exhausted.release();
  REQUIRE(paused);
  CHECK(front.counters().connections_accepted == 0);
  // With descriptors back, the waiting connection is accepted and served.
  asio::write(client, asio::buffer(request));
  std::string all;
  std::error_code ec;
  asio::read(client, asio::dynamic_buffer(all), ec);
  CHECK(all.substr(0, all.find('\r')) == "HTTP/1.1 200 OK");
  front.stop();
}

TEST_CASE("the API front's writes share one deadline") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) == 0);
  const std::string chunk(1 << 20, 'x');  // more than the socket buffers hold; never read
  const auto deadline = std::chrono::steady_clock::now() + 50ms;
  CHECK_FALSE(ManagementFront::write_all(pair[0], chunk, deadline));
  // The buffer is full and the deadline passed: a later write of the same response fails too,
  // instead of waiting a fresh timeout.
  CHECK_FALSE(ManagementFront::write_all(pair[0], chunk, deadline));
  ::close(pair[0]);
  ::close(pair[1]);
}
