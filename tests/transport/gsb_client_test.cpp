// The GSB client against a bus that misbehaves on purpose: the test plays the router over a
// unix socket, byte by byte where it matters. The real router is in tests/interop.
#include "../support/io_thread.hpp"
#include "transport/gsb/protocol.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_client.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

using namespace testing;
using namespace std::chrono_literals;
namespace gsb = libproxy::gsb;

namespace {

// The router's side: a listening unix socket, one connection at a time, blocking I/O with
// timeouts so that a broken client fails the test instead of hanging it.
class FakeBus {
public:
  FakeBus() {
    char pattern[] = "/tmp/lp-fakebus-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp");
    directory_ = pattern;
    const std::string path = directory_ + "/gsb.sock";
    url_ = "unix:" + path;
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 4) != 0)
      throw std::runtime_error("cannot listen on " + path);
  }
  ~FakeBus() {
    if (peer_ >= 0) ::close(peer_);
    ::close(listener_);
    std::filesystem::remove_all(directory_);
  }
  const std::string& url() const { return url_; }

  // Accepts the client's next connection (closing the previous one).
  void accept() {
    if (peer_ >= 0) ::close(peer_);
    pollfd p{listener_, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    peer_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(peer_ >= 0);
    reader_ = gsb::FrameReader{};
  }
  // The client's next packet.
  gsb::Packet next() {
    for (;;) {
      std::error_code ec;
      if (auto packet = reader_.next(ec)) return *packet;
      REQUIRE_FALSE(ec);
      pollfd p{peer_, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 10000) == 1);
      std::uint8_t chunk[4096];
      const auto n = ::read(peer_, chunk, sizeof chunk);
      REQUIRE(n > 0);
      reader_.append({chunk, static_cast<std::size_t>(n)});
    }
  }
  // True once the client closed the connection.
  bool closed_by_client() {
    pollfd p{peer_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return false;
    std::uint8_t byte;
    return ::read(peer_, &byte, 1) <= 0;
  }
  void send(const std::string& bytes, bool one_at_a_time = false) {
    for (std::size_t i = 0; i < bytes.size();) {
      const std::size_t n = one_at_a_time ? 1 : bytes.size() - i;
      const auto written = ::write(peer_, bytes.data() + i, n);
      REQUIRE(written > 0);
      i += static_cast<std::size_t>(written);
    }
  }
  void send(const gsb::Packet& packet, bool one_at_a_time = false) {
    std::string bytes;
    gsb::append_frame(bytes, packet);
    send(bytes, one_at_a_time);
  }

private:
  std::string directory_;
  std::string url_;
  int listener_ = -1;
  int peer_ = -1;
  gsb::FrameReader reader_;
};

struct TestClient {
  explicit TestClient(const std::string& url) {
    io.call([&] {
      libproxy::GsbClientConfig config;
      config.url = url;
      config.reconnect_min = 10ms;
      config.reconnect_max = 50ms;
      client = libproxy::GsbClient::create(io.io(), config).value();
      client->start();
    });
  }
  ~TestClient() {
    io.call([&] { client.reset(); });
  }
  libproxy::GsbStatus status() {
    return io.call([&] { return client->status(); });
  }
  IoThread io;
  std::unique_ptr<libproxy::GsbClient> client;
};

}  // namespace

TEST_CASE("the GSB client says Hello first with a fresh instance id each time") {
  FakeBus bus;
  TestClient test(bus.url());
  bus.accept();
  const auto first = std::get<gsb::Hello>(bus.next());
  CHECK(first.name == "golem-proxy");
  CHECK(first.instance_id.size() == 16);
  bus.send(gsb::Hello{"fake-router", "0", std::string(16, 'r')});
  bus.send(gsb::Ping{});
  CHECK(std::holds_alternative<gsb::Pong>(bus.next()));

  bus.accept();  // drops the first connection: the client reconnects
  const auto second = std::get<gsb::Hello>(bus.next());
  CHECK(second.instance_id.size() == 16);
  CHECK(second.instance_id != first.instance_id);
}

TEST_CASE("the GSB client drops a bus that breaks the protocol and reconnects") {
  FakeBus bus;
  TestClient test(bus.url());
  SECTION("a second Hello") {
    bus.accept();
    bus.next();
    bus.send(gsb::Hello{"r", "0", std::string(16, 'r')});
    bus.send(gsb::Hello{"r", "0", std::string(16, 'r')});
    CHECK(bus.closed_by_client());
    REQUIRE(wait_until(
        [&] { return test.status().last_error.find("second Hello") != std::string::npos; }));
  }
  SECTION("a frame over the size limit") {
    bus.accept();
    bus.next();
    bus.send(std::string("\x00\x10\x00\x01", 4));  // 1 MiB + 1
    CHECK(bus.closed_by_client());
    REQUIRE(wait_until(
        [&] { return test.status().last_error.find("size limit") != std::string::npos; }));
  }
  SECTION("a reply to a registration nobody asked for") {
    bus.accept();
    bus.next();
    bus.send(gsb::RegisterReply{0, {}});
    CHECK(bus.closed_by_client());
  }
  SECTION("a packet with no message") {
    bus.accept();
    bus.next();
    bus.send(std::string("\x00\x00\x00\x00", 4));
    CHECK(bus.closed_by_client());
  }
  bus.accept();  // and it comes back
  CHECK(std::holds_alternative<gsb::Hello>(bus.next()));
  REQUIRE(wait_until([&] { return test.status().counters.connects == 2; }));
  CHECK(test.status().counters.disconnects >= 1);
}

TEST_CASE("the GSB client reassembles frames that arrive a byte at a time") {
  FakeBus bus;
  TestClient test(bus.url());
  std::string got;
  test.io.call([&] {
    test.client->bind("/x/raw", [&](const libproxy::GsbIncoming& in) {
      got.assign(in.data.begin(), in.data.end());
      return libproxy::GsbReply{0, "ok"};
    });
  });
  bus.accept();
  bus.next();  // Hello
  const auto registered = std::get<gsb::RegisterRequest>(bus.next());
  CHECK(registered.service_id == "/x/raw");
  bus.send(gsb::RegisterReply{0, {}}, true);
  bus.send(gsb::CallRequest{"0xcaller", "/x/raw", "42", std::string(3000, 'z'), false}, true);
  const auto reply = std::get<gsb::CallReply>(bus.next());
  CHECK(reply.request_id == "42");
  CHECK(reply.code == 0);
  CHECK(reply.data == "ok");
  CHECK(test.io.call([&] { return got; }) == std::string(3000, 'z'));
  CHECK(test.status().bindings.at(0).registered);
}

TEST_CASE("a call to an address the GSB client does not serve gets a 400") {
  FakeBus bus;
  TestClient test(bus.url());
  bus.accept();
  bus.next();
  bus.send(gsb::CallRequest{"0xcaller", "/not/here", "7", "x", false});
  const auto reply = std::get<gsb::CallReply>(bus.next());
  CHECK(reply.request_id == "7");
  CHECK(reply.code == 400);
  CHECK(reply.data == "endpoint address not found");
  // A push to it goes unanswered and is only counted.
  bus.send(gsb::CallRequest{"0xcaller", "/not/here", "8", "x", true});
  REQUIRE(wait_until([&] { return test.status().counters.calls_unroutable == 2; }));
}

TEST_CASE("pending GSB calls fail when the bus connection is lost") {
  FakeBus bus;
  TestClient test(bus.url());
  bus.accept();
  bus.next();
  REQUIRE(wait_until([&] { return test.io.call([&] { return test.client->connected(); }); }));
  std::promise<std::error_code> result;
  test.io.call([&] {
    test.client->call("local", "/somewhere", "?",
                      [&](std::error_code ec, std::string) { result.set_value(ec); });
  });
  CHECK(std::holds_alternative<gsb::CallRequest>(bus.next()));
  bus.accept();  // the old connection is closed under the pending call
  auto future = result.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  CHECK(future.get() == libproxy::errc::gsb_disconnected);
}
