// The GSB client against a bus that misbehaves on purpose: the test plays the router over a
// unix socket, byte by byte where it matters. The real router is in tests/interop.
#include "../support/io_thread.hpp"
#include "transport/gsb/protocol.hpp"
#include "transport/gsb/typed.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_link.hpp>

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
  explicit TestClient(const std::string& url, std::size_t max_queued_bytes = 4 << 20) {
    io.call([&] {
      libproxy::GsbClientConfig config;
      config.url = url;
      config.max_queued_bytes = max_queued_bytes;
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

// A remote node can make the daemon deliver a frame of any size: one over the limit must cost
// that frame only, never the connection every VPN shares.
TEST_CASE("a GSB frame over the size limit is skipped and the connection stays") {
  FakeBus bus;
  TestClient test(bus.url());
  std::vector<std::string> got;
  test.io.call([&] {
    return test.client->bind("/x/raw", [&](const libproxy::GsbIncoming& in) {
      got.emplace_back(in.data.begin(), in.data.end());
      return libproxy::GsbReply{};
    });
  });
  bus.accept();
  CHECK(std::holds_alternative<gsb::Hello>(bus.next()));
  CHECK(std::get<gsb::RegisterRequest>(bus.next()).service_id == "/x/raw");
  bus.send(gsb::RegisterReply{0, {}});
  bus.send(gsb::CallRequest{"0xremote", "/x/raw", "1", std::string((1 << 20) + 1, 'b'), true});
  bus.send(gsb::CallRequest{"0xremote", "/x/raw", "2", "after", true});
  REQUIRE(wait_until([&] { return !test.io.call([&] { return got; }).empty(); }));
  CHECK(test.io.call([&] { return got; }) == std::vector<std::string>{"after"});
  const auto status = test.status();
  CHECK(status.counters.frames_oversize == 1);
  CHECK(status.counters.connects == 1);
  CHECK(status.counters.disconnects == 0);
  CHECK(status.state == libproxy::GsbState::connected);
  REQUIRE(status.bindings.size() == 1);
  CHECK(status.bindings[0].registered);
}

// Callers that never read their replies must not grow the write queue without bound.
TEST_CASE("GSB call replies past the write queue bound are dropped and counted") {
  FakeBus bus;
  TestClient test(bus.url(), 64 * 1024);
  test.io.call([&] {
    return test.client->bind("/x/big", [](const libproxy::GsbIncoming&) {
      return libproxy::GsbReply{0, std::string(16 * 1024, 'r')};
    });
  });
  bus.accept();
  bus.next();  // Hello
  bus.next();  // RegisterRequest
  bus.send(gsb::RegisterReply{0, {}});
  constexpr int calls = 400;  // 6.4 MB of replies: far more than the socket holds
  std::string requests;
  for (int i = 0; i < calls; ++i)
    gsb::append_frame(requests,
                      gsb::CallRequest{"0xremote", "/x/big", std::to_string(i), "?", false});
  bus.send(requests);  // and read nothing for now
  REQUIRE(wait_until([&] { return test.status().counters.replies_dropped > 0; }));
  // Everything not dropped arrives once the bus reads; the connection never broke.
  std::size_t replies = 0;
  while (replies + test.status().counters.replies_dropped < calls)
    if (std::holds_alternative<gsb::CallReply>(bus.next())) ++replies;
  const auto status = test.status();
  CHECK(replies > 0);
  CHECK(replies + status.counters.replies_dropped == calls);
  CHECK(status.counters.disconnects == 0);
  CHECK(status.state == libproxy::GsbState::connected);
}

namespace {

const std::string node_requestor = "0x" + std::string(40, 'a');
const std::string node_service = "0x" + std::string(40, 'b');
const std::string node_added = "0x" + std::string(40, 'c');
const std::string node_stranger = "0x" + std::string(40, 'd');

// An Ethernet frame holding the start of an IPv4 packet from `source`.
std::string ipv4_frame(const char* source) {
  std::string frame(34, '\0');
  frame[12] = 0x08;
  frame[14] = 0x45;
  const auto bytes = asio::ip::make_address_v4(source).to_bytes();
  std::copy(bytes.begin(), bytes.end(), frame.begin() + 26);
  return frame;
}

struct Frames final : libproxy::VpnLink::Receiver {
  void on_frame(std::span<const std::uint8_t> frame, libproxy::FrameInfo) override {
    frames.emplace_back(frame.begin(), frame.end());
  }
  std::vector<std::string> frames;
};

}  // namespace

// Tenant isolation on one VPN link: the requestor steers the node table, told and
// VpnControl-added nodes send frames, and a stranger does neither.
TEST_CASE("a GSB link obeys only its requestor and takes frames only from the VPN's nodes") {
  FakeBus bus;
  TestClient test(bus.url());
  Frames received;
  auto link = test.io.call([&] {
    // The requestor's id in upper case: node ids compare in any case.
    std::string requestor = node_requestor;
    for (auto& c : requestor) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    requestor[1] = 'x';
    auto created =
        libproxy::GsbLink::create(*test.client, {"net1", node_requestor, "/public", {}, requestor});
    REQUIRE(created);
    created.value()->nodes()->set(asio::ip::make_address_v4("10.0.0.3"), node_service,
                                  libproxy::GsbNodeTable::Source::told);
    created.value()->start(received);
    return std::move(created).value();
  });
  bus.accept();
  CHECK(std::holds_alternative<gsb::Hello>(bus.next()));
  bus.next();
  bus.next();  // the two RegisterRequests
  bus.send(gsb::RegisterReply{0, {}});
  bus.send(gsb::RegisterReply{0, {}});

  const std::string control = "/public/vpn/net1/VpnControl", raw = "/public/vpn/net1/raw";
  const auto add = [](const std::string& ip, const std::string& node) {
    gsb::VpnControl message;
    message.network_id = "net1";
    message.nodes = {{ip, node}};
    return gsb::encode_vpn_control(message);
  };
  // A stranger tries to take the service's address: refused with a typed error.
  bus.send(gsb::CallRequest{node_stranger, control, "1", add("10.0.0.3", node_stranger), false});
  auto reply = std::get<gsb::CallReply>(bus.next());
  CHECK(reply.request_id == "1");
  CHECK(reply.code == 0);
  CHECK(reply.data != gsb::encode_unit_ok());
  CHECK(reply.data.find("badRequest") != std::string::npos);
  // The requestor adds a node.
  bus.send(gsb::CallRequest{node_requestor, control, "2", add("10.0.0.4", node_added), false});
  reply = std::get<gsb::CallReply>(bus.next());
  CHECK(reply.request_id == "2");
  CHECK(reply.data == gsb::encode_unit_ok());

  // Frames from a stranger, from a caller that is no node id, from the told node, the added
  // node and the requestor; then a call to nowhere, whose reply says all were handled.
  bus.send(gsb::CallRequest{node_stranger, raw, "3", ipv4_frame("10.0.0.9"), true});
  bus.send(gsb::CallRequest{"local", raw, "4", ipv4_frame("10.0.0.8"), true});
  bus.send(gsb::CallRequest{node_service, raw, "5", ipv4_frame("10.0.0.5"), true});
  bus.send(gsb::CallRequest{node_added, raw, "6", ipv4_frame("10.0.0.4"), true});
  bus.send(gsb::CallRequest{node_requestor, raw, "7", ipv4_frame("10.0.0.1"), true});
  // A node of the VPN claims an address learned for another: its frame goes in, the address
  // stays where it was.
  bus.send(gsb::CallRequest{node_added, raw, "9", ipv4_frame("10.0.0.5"), true});
  bus.send(gsb::CallRequest{node_requestor, "/nowhere", "8", "", false});
  CHECK(std::get<gsb::CallReply>(bus.next()).request_id == "8");

  test.io.call([&] {
    CHECK(received.frames ==
          std::vector<std::string>{ipv4_frame("10.0.0.5"), ipv4_frame("10.0.0.4"),
                                   ipv4_frame("10.0.0.1"), ipv4_frame("10.0.0.5")});
    const auto counters = link->gsb_counters();
    CHECK(counters.control_refused == 1);
    CHECK(counters.control_messages == 1);
    CHECK(counters.control_rejected == 0);
    CHECK(counters.frames_from_strangers == 2);
    CHECK(link->counters().frames_received == 4);
    const auto& table = *link->nodes();
    CHECK(*table.find(asio::ip::make_address_v4("10.0.0.3")) == node_service);  // unmoved
    CHECK(*table.find(asio::ip::make_address_v4("10.0.0.4")) == node_added);
    CHECK(*table.find(asio::ip::make_address_v4("10.0.0.5")) == node_service);  // learned
    CHECK(*table.find(asio::ip::make_address_v4("10.0.0.1")) == node_requestor);
    CHECK(table.find(asio::ip::make_address_v4("10.0.0.9")) == nullptr);
    CHECK(table.find(asio::ip::make_address_v4("10.0.0.8")) == nullptr);
    CHECK(table.size() == 4);
    link.reset();
  });
}

// GsbLink::create binds two addresses; when the second fails, only what it bound may go.
TEST_CASE("a failed GsbLink::create leaves another link's addresses bound") {
  IoThread io;
  io.call([&] {
    libproxy::GsbClientConfig config;
    config.url = "unix:/nonexistent/gsb.sock";  // never started: bindings are kept locally
    auto client = libproxy::GsbClient::create(io.io(), config).value();
    const auto bound = [&] {
      std::vector<std::string> out;
      for (const auto& binding : client->status().bindings) out.push_back(binding.address);
      return out;
    };
    auto created = libproxy::GsbLink::create(*client, {"net1", node_requestor, "/public", {}});
    REQUIRE(created);
    auto first = std::move(created).value();
    const std::vector<std::string> first_only{"/public/vpn/net1/VpnControl",
                                              "/public/vpn/net1/raw"};
    CHECK(bound() == first_only);

    // The same VPN again: its raw address is taken, and the first link keeps both.
    auto again = libproxy::GsbLink::create(*client, {"net1", node_requestor, "/public", {}});
    CHECK(again.error() == libproxy::errc::gsb_address_bound);
    CHECK(bound() == first_only);

    // Someone else holds net2's control address: the raw one bound on the way is released,
    // theirs is not.
    REQUIRE_FALSE(client->bind("/public/vpn/net2/VpnControl",
                               [](const libproxy::GsbIncoming&) { return libproxy::GsbReply{}; }));
    auto second = libproxy::GsbLink::create(*client, {"net2", node_requestor, "/public", {}});
    CHECK(second.error() == libproxy::errc::gsb_address_bound);
    CHECK(bound() == std::vector<std::string>{"/public/vpn/net1/VpnControl", "/public/vpn/net1/raw",
                                              "/public/vpn/net2/VpnControl"});
    first.reset();
    CHECK(bound() == std::vector<std::string>{"/public/vpn/net2/VpnControl"});
  });
}
