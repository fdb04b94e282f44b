// libproxy's GSB client against the real ya-sb-router 0.6.4: registration, pushes, calls,
// errors the router makes itself, keepalive, reconnects, batching; and a public TCP connection
// that crosses the router to a service node whose frames come out of a TAP device.
#include "../support/client.hpp"
#include "../support/data.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/sb_router.hpp"
#include "../support/service.hpp"
#include "transport/gsb/protocol.hpp"
#include "transport/gsb/typed.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_link.hpp>
#include <libproxy/link_bridge.hpp>
#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <optional>

using namespace testing;
using namespace std::chrono_literals;

namespace {

const std::string node_p = "0x" + std::string(39, '0') + "1";  // the proxy's node
const std::string node_s = "0x" + std::string(39, '0') + "2";  // the service node
const std::string node_r = "0x" + std::string(39, '0') + "3";  // the VPN's requestor
const std::string node_x = "0x" + std::string(39, '0') + "4";  // a stranger to the VPN
const std::string node_t = "0x" + std::string(39, '0') + "5";  // a node the requestor adds

std::span<const std::uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// VpnControl::AddNodes{ip: node} for `vpn`, as a requestor sends it.
std::string add_nodes(const std::string& vpn, const std::string& ip, const std::string& node) {
  libproxy::gsb::VpnControl control;
  control.network_id = vpn;
  control.nodes = {{ip, node}};
  return libproxy::gsb::encode_vpn_control(control);
}

// An Ethernet frame with the start of an IPv4 packet from `source`, padded to `size`.
std::string ipv4_frame(const char* source, std::size_t size = 60) {
  std::string frame(size, '\0');
  frame[12] = 0x08;
  frame[14] = 0x45;
  const auto address = asio::ip::make_address_v4(source).to_bytes();
  std::copy(address.begin(), address.end(), frame.begin() + 26);
  return frame;
}

struct Frames final : libproxy::VpnLink::Receiver {
  void on_frame(std::span<const std::uint8_t> frame, libproxy::FrameInfo) override {
    frames.emplace_back(frame.begin(), frame.end());
  }
  std::vector<std::string> frames;
};

// One GSB client on its own io thread; everything it does runs there.
class Peer {
public:
  explicit Peer(const std::string& url, bool batch = true) {
    io_.call([&] {
      libproxy::GsbClientConfig config;
      config.url = url;
      config.reconnect_min = 20ms;
      config.reconnect_max = 200ms;
      config.batch_writes = batch;
      auto created = libproxy::GsbClient::create(io_.io(), config);
      REQUIRE(created);
      client_ = std::move(created).value();
      client_->start();
    });
  }
  ~Peer() {
    io_.call([&] { client_.reset(); });
  }

  template <class F>
  auto on_io(F&& f) {
    return io_.call([&] { return f(*client_); });
  }
  libproxy::GsbStatus status() {
    return on_io([](auto& c) { return c.status(); });
  }
  bool registered(const std::string& address) {
    for (const auto& binding : status().bindings)
      if (binding.address == address) return binding.registered;
    return false;
  }
  bool connected() {
    return on_io([](auto& c) { return c.connected(); });
  }
  // Binds `address`; every call or push that arrives is recorded, and answered with `reply`.
  void bind(const std::string& address, libproxy::GsbReply reply = {}) {
    REQUIRE_FALSE(on_io([&](auto& c) {
      return c.bind(address, [this, reply](const libproxy::GsbIncoming& in) {
        std::lock_guard lock(mutex_);
        received_.push_back({std::string(in.caller), std::string(in.address),
                             std::string(in.data.begin(), in.data.end()), in.expects_reply});
        return reply;
      });
    }));
  }
  struct Received {
    std::string caller, address, data;
    bool expects_reply;
  };
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Calls and waits for the outcome.
  std::pair<std::error_code, std::string> call(const std::string& address, std::string data,
                                               std::chrono::milliseconds timeout = 5s,
                                               const std::string& caller = node_p) {
    std::promise<std::pair<std::error_code, std::string>> done;
    on_io([&](auto& c) {
      c.call(
          caller, address, std::move(data),
          [&done](std::error_code ec, std::string reply) {
            done.set_value({ec, reply});
          },
          timeout);
      return 0;
    });
    auto future = done.get_future();
    REQUIRE(future.wait_for(30s) == std::future_status::ready);
    return future.get();
  }

private:
  IoThread io_;
  std::unique_ptr<libproxy::GsbClient> client_;
  std::mutex mutex_;
  std::vector<Received> received_;
};

}  // namespace

TEST_CASE("GSB pushes cross ya-sb-router to the registered client") {
  SbRouter router;
  Peer a(router.url()), b(router.url());
  b.bind("/test/b");
  REQUIRE(wait_until([&] { return b.registered("/test/b"); }));
  REQUIRE(a.on_io([](auto& c) { return c.push(node_p, "/test/b/raw", bytes("frame-1")); }));
  REQUIRE(wait_until([&] { return b.received().size() == 1; }));
  const auto got = b.received().front();
  CHECK(got.caller == node_p);
  CHECK(got.address == "/test/b/raw");  // served by the prefix, with the full address
  CHECK(got.data == "frame-1");
  CHECK_FALSE(got.expects_reply);
  CHECK(a.status().counters.pushes_dropped == 0);
}

TEST_CASE("GSB calls get the callee's reply or the router's error") {
  SbRouter router;
  Peer a(router.url()), b(router.url());
  b.bind("/test/echo", {0, "pong"});
  b.bind("/test/broken", {500, "it broke"});
  REQUIRE(wait_until([&] { return b.registered("/test/echo") && b.registered("/test/broken"); }));

  auto [ok, reply] = a.call("/test/echo", "ping");
  CHECK_FALSE(ok);
  CHECK(reply == "pong");
  REQUIRE(b.received().size() == 1);
  CHECK(b.received()[0].expects_reply);
  CHECK(b.received()[0].data == "ping");

  auto [failed, message] = a.call("/test/broken", "x");
  CHECK(failed == libproxy::errc::gsb_call_failed);
  CHECK(message == "it broke");

  auto [unknown, why] = a.call("/no/such/address", "x");
  CHECK(unknown == libproxy::errc::gsb_call_failed);
  CHECK(why.find("not found") != std::string::npos);
}

TEST_CASE("a GSB call that nobody answers times out") {
  SbRouter router;
  // A raw peer that registers an address and never answers what arrives there.
  asio::io_context io;
  asio::local::stream_protocol::socket silent(io);
  silent.connect(router.url().substr(5));
  std::string hello;
  libproxy::gsb::append_frame(hello, libproxy::gsb::Hello{"silent", "1", std::string(16, 's')});
  libproxy::gsb::append_frame(hello, libproxy::gsb::RegisterRequest{"/test/silent"});
  asio::write(silent, asio::buffer(hello));
  libproxy::gsb::FrameReader reader;
  std::optional<libproxy::gsb::Packet> registered;
  while (!registered || !std::holds_alternative<libproxy::gsb::RegisterReply>(*registered)) {
    std::uint8_t chunk[512];
    const auto n = silent.read_some(asio::buffer(chunk));
    reader.append({chunk, n});
    std::error_code ec;
    while (auto packet = reader.next(ec)) registered = packet;
    REQUIRE_FALSE(ec);
  }
  CHECK(std::get<libproxy::gsb::RegisterReply>(*registered).code == 0);

  Peer a(router.url());
  REQUIRE(wait_until([&] { return a.connected(); }));
  auto [ec, reply] = a.call("/test/silent", "hello?", 300ms);
  CHECK(ec == libproxy::errc::gsb_call_timeout);
  CHECK(a.status().counters.calls_timed_out == 1);
}

TEST_CASE("an address held by another client is retried until it is free") {
  SbRouter router;
  Peer first(router.url()), second(router.url());
  first.bind("/test/shared");
  REQUIRE(wait_until([&] { return first.registered("/test/shared"); }));
  second.bind("/test/shared");
  REQUIRE(wait_until([&] { return second.status().last_error.find("409") != std::string::npos; }));
  CHECK_FALSE(second.registered("/test/shared"));

  first.on_io([](auto& c) {
    c.unbind("/test/shared");
    return 0;
  });
  REQUIRE(wait_until([&] { return second.registered("/test/shared"); }));
  REQUIRE(first.on_io([](auto& c) { return c.push(node_p, "/test/shared", bytes("x")); }));
  REQUIRE(wait_until([&] { return second.received().size() == 1; }));
}

TEST_CASE("the GSB client answers the router's pings and keeps its connection") {
  // The router drops a connection that sends nothing for a second; it pings every 100 ms.
  SbRouter router({"--ping-interval", "100ms", "--ping-timeout", "1s"});
  Peer a(router.url());
  a.bind("/test/alive");
  REQUIRE(wait_until([&] { return a.registered("/test/alive"); }));
  // Twenty pings is two seconds of silence from our side but for the pongs.
  REQUIRE(wait_until([&] { return a.status().counters.frames_received >= 2 + 20; }, 30s));
  const auto status = a.status();
  CHECK(status.state == libproxy::GsbState::connected);
  CHECK(status.counters.connects == 1);
  CHECK(status.counters.disconnects == 0);
}

TEST_CASE("after the router restarts the GSB client reconnects and registers again") {
  SbRouter router;
  Peer a(router.url()), b(router.url());
  b.bind("/test/again");
  REQUIRE(wait_until([&] { return b.registered("/test/again"); }));

  router.kill();
  REQUIRE(wait_until([&] { return !b.connected() && !a.connected(); }));
  CHECK_FALSE(b.registered("/test/again"));
  CHECK_FALSE(a.on_io([](auto& c) { return c.push(node_p, "/test/again", bytes("lost")); }));
  CHECK(b.status().last_error.find("connect") != std::string::npos);

  router.start();
  REQUIRE(wait_until([&] { return b.registered("/test/again") && a.connected(); }));
  CHECK(b.status().counters.connects == 2);
  REQUIRE(a.on_io([](auto& c) { return c.push(node_p, "/test/again", bytes("found")); }));
  REQUIRE(wait_until([&] { return b.received().size() == 1; }));
  CHECK(b.received()[0].data == "found");
}

TEST_CASE("GSB frames queued in one io-loop turn leave in one write") {
  SbRouter router;
  Peer batched(router.url()), unbatched(router.url(), false), sink(router.url());
  sink.bind("/test/sink");
  REQUIRE(wait_until([&] {
    return sink.registered("/test/sink") && batched.connected() && unbatched.connected();
  }));
  REQUIRE(wait_until([&] { return batched.status().counters.frames_sent >= 1; }));  // Hello
  for (auto* peer : {&batched, &unbatched}) {
    const auto before = peer->status().counters;
    peer->on_io([](auto& c) {
      const std::string frame(1200, 'f');
      for (int i = 0; i < 100; ++i) REQUIRE(c.push(node_p, "/test/sink", bytes(frame)));
      return 0;
    });
    REQUIRE(wait_until(
        [&] { return peer->status().counters.frames_sent == before.frames_sent + 100; }));
    const auto writes = peer->status().counters.writes - before.writes;
    if (peer == &batched)
      CHECK(writes == 1);
    else
      CHECK(writes == 100);
  }
  REQUIRE(wait_until([&] { return sink.received().size() == 200; }));
}

TEST_CASE("a GSB client with a bad URL or no router says why") {
  IoThread io;
  io.call([&] {
    libproxy::GsbClientConfig config;
    for (const char* url : {"http://127.0.0.1:7464", "unix:", "tcp://host:99999", "nohost"}) {
      config.url = url;
      CHECK(libproxy::GsbClient::create(io.io(), config).error() == libproxy::errc::gsb_bad_url);
    }
    return 0;
  });
  Peer nowhere("unix:/nonexistent/gsb.sock");
  REQUIRE(wait_until([&] { return nowhere.status().counters.disconnects >= 2; }));
  const auto status = nowhere.status();
  CHECK(status.state != libproxy::GsbState::connected);
  CHECK(status.last_error.find("cannot connect") != std::string::npos);
  auto [ec, reply] = nowhere.call("/x", "y");
  CHECK(ec == libproxy::errc::gsb_not_connected);
}

// The whole path on a bare router: public client → gateway → lwIP → GsbLink → ya-sb-router →
// the service node's GsbLink → TAP → a real kernel in a namespace, and back.
TEST_CASE("a public TCP connection crosses ya-sb-router to a kernel service node") {
  require_root_and_tap();
  SbRouter router;
  const std::string vpn = "0123456789abcdef0123456789abcdef";
  const auto proxy_ip = asio::ip::make_address_v4("10.9.0.2");
  const auto service_ip = asio::ip::make_address_v4("10.9.0.3");

  // The service node: its GSB link bridged to a TAP device in a namespace.
  IoThread node_io;
  std::unique_ptr<libproxy::GsbClient> node_bus;
  std::unique_ptr<libproxy::GsbLink> node_link;
  std::unique_ptr<libproxy::TapLink> tap;
  std::optional<libproxy::LinkBridge> bridge;
  const std::string tap_name = node_io.call([&] {
    libproxy::GsbClientConfig config;
    config.url = router.url();
    node_bus = libproxy::GsbClient::create(node_io.io(), config).value();
    node_bus->start();
    // The proxy plays the service node's requestor here: the one node it takes frames from
    // without being told its address.
    node_link =
        libproxy::GsbLink::create(*node_bus, {vpn, node_s, "/udp/net/" + node_s, {}, node_p})
            .value();
    std::error_code ec;
    tap = libproxy::TapLink::open(node_io.io(), "", ec);
    REQUIRE(tap);
    bridge.emplace(*node_link, *tap);
    return tap->name();
  });
  Netns node("gsbnode");
  node.adopt_link(tap_name, "10.9.0.3/24");
  Service service(node, 7000, echo);

  // The proxy: a VPN over its own GSB client, told that the service node owns 10.9.0.3.
  IoThread proxy_io;
  std::unique_ptr<libproxy::GsbClient> proxy_bus;
  std::optional<libproxy::Proxy> proxy;
  libproxy::GsbLink* proxy_link = nullptr;
  const auto port = proxy_io.call([&] {
    libproxy::GsbClientConfig config;
    config.url = router.url();
    proxy_bus = libproxy::GsbClient::create(proxy_io.io(), config).value();
    proxy_bus->start();
    proxy.emplace(proxy_io.io());
    auto link =
        libproxy::GsbLink::create(*proxy_bus, {vpn, node_p, "/udp/net/" + node_p, {}}).value();
    link->nodes()->set(service_ip, node_s, libproxy::GsbNodeTable::Source::told);
    proxy_link = link.get();
    REQUIRE_FALSE(proxy->add_vpn({vpn, proxy_ip, 24, 1220}, std::move(link)));
    libproxy::TcpGatewayConfig gateway;
    gateway.listen = {asio::ip::address_v4::loopback(), 0};
    gateway.vpn_id = vpn;
    gateway.service = {service_ip, 7000};
    return proxy->add_tcp_gateway(gateway)->bound.port();
  });
  const auto all_registered = [](libproxy::GsbClient& bus) {
    const auto status = bus.status();
    for (const auto& binding : status.bindings)
      if (!binding.registered) return false;
    return status.state == libproxy::GsbState::connected;
  };
  REQUIRE(wait_until([&] { return proxy_io.call([&] { return all_registered(*proxy_bus); }); }));
  REQUIRE(wait_until([&] { return node_io.call([&] { return all_registered(*node_bus); }); }));

  // A stranger claims the service's address: refused, and the connection below still reaches
  // the real service.
  {
    Peer stranger(router.url());
    REQUIRE(wait_until([&] { return stranger.connected(); }));
    auto [ec, reply] = stranger.call("/udp/net/" + node_p + "/vpn/" + vpn + "/VpnControl",
                                     add_nodes(vpn, "10.9.0.3", node_x), 5s, node_x);
    CHECK_FALSE(ec);
    CHECK(reply != libproxy::gsb::encode_unit_ok());
  }
  CHECK(proxy_io.call([&] { return proxy_link->gsb_counters().control_refused; }) == 1);
  CHECK(proxy_io.call([&] { return *proxy_link->nodes()->find(service_ip); }) == node_s);
  {
    Client client(port);
    CHECK(echo_round_trip(client, 1 << 20, 7));
  }
  CHECK(service.stats().accepted == 1);
  // The service node learned where the proxy is from the frames' caller: it was never told.
  const auto learned = node_io.call([&] { return node_link->nodes()->entries(); });
  REQUIRE(learned.size() == 1);
  CHECK(learned[0].address == proxy_ip);
  CHECK(learned[0].node_id == node_p);
  CHECK(learned[0].source == libproxy::GsbNodeTable::Source::learned);
  const auto link_counters = proxy_io.call([&] { return proxy_link->counters(); });
  CHECK(link_counters.frames_sent > 700);  // 1 MiB in segments of at most 1180 bytes
  CHECK(link_counters.frames_received > 0);

  proxy_io.call([&] {
    proxy.reset();
    proxy_bus.reset();
    return 0;
  });
  node_io.call([&] {
    bridge.reset();
    node_link.reset();
    tap.reset();
    node_bus.reset();
    return 0;
  });
}

// Tenant isolation through the real router: a node outside the VPN can neither rewrite its
// node table nor put frames into it; the requestor can. A frame over the bus limit from a VPN
// node costs that frame only: the connection, its registrations and later frames go on.
TEST_CASE(
    "a stranger on the bus cannot steer or feed a VPN link and an oversize frame is skipped") {
  SbRouter router;
  const std::string vpn = "fedcba9876543210fedcba9876543210";
  const std::string base = "/udp/net/" + node_p + "/vpn/" + vpn;
  const auto service_ip = asio::ip::make_address_v4("10.9.0.3");
  IoThread io;
  std::unique_ptr<libproxy::GsbClient> bus;
  std::unique_ptr<libproxy::GsbLink> link;
  Frames received;
  io.call([&] {
    libproxy::GsbClientConfig config;
    config.url = router.url();
    bus = libproxy::GsbClient::create(io.io(), config).value();
    bus->start();
    link = libproxy::GsbLink::create(*bus, {vpn, node_p, "/udp/net/" + node_p, {}, node_r}).value();
    link->nodes()->set(service_ip, node_s, libproxy::GsbNodeTable::Source::told);
    link->start(received);
  });
  const auto all_registered = [&] {
    return io.call([&] {
      const auto status = bus->status();
      bool all = status.state == libproxy::GsbState::connected && status.bindings.size() == 2;
      for (const auto& binding : status.bindings) all = all && binding.registered;
      return all;
    });
  };
  REQUIRE(wait_until(all_registered));
  Peer requestor(router.url()), stranger(router.url()), service(router.url());
  REQUIRE(wait_until(
      [&] { return requestor.connected() && stranger.connected() && service.connected(); }));
  const auto counters = [&] { return io.call([&] { return link->gsb_counters(); }); };

  // VpnControl: the stranger's is refused (a typed error back) and counted; the requestor's
  // is obeyed.
  auto [refused_ec, refused] =
      stranger.call(base + "/VpnControl", add_nodes(vpn, "10.9.0.3", node_x), 5s, node_x);
  CHECK_FALSE(refused_ec);
  CHECK(refused.find("badRequest") != std::string::npos);
  CHECK(counters().control_refused == 1);
  CHECK(io.call([&] { return *link->nodes()->find(service_ip); }) == node_s);
  auto [added_ec, added] =
      requestor.call(base + "/VpnControl", add_nodes(vpn, "10.9.0.4", node_t), 5s, node_r);
  CHECK_FALSE(added_ec);
  CHECK(added == libproxy::gsb::encode_unit_ok());
  CHECK(counters().control_messages == 1);

  // Raw frames: the stranger's are dropped and counted, never reach the stack, teach nothing.
  for (int i = 0; i < 3; ++i)
    REQUIRE(stranger.on_io(
        [&](auto& c) { return c.push(node_x, base + "/raw", bytes(ipv4_frame("10.9.0.9"))); }));
  REQUIRE(wait_until([&] { return counters().frames_from_strangers == 3; }));

  // The service node (told) sends a frame over the bus limit, then a normal one.
  REQUIRE(service.on_io([&](auto& c) {
    return c.push(node_s, base + "/raw", bytes(ipv4_frame("10.9.0.3", (1 << 20) + 1000)));
  }));
  REQUIRE(service.on_io(
      [&](auto& c) { return c.push(node_s, base + "/raw", bytes(ipv4_frame("10.9.0.3"))); }));
  REQUIRE(wait_until([&] { return io.call([&] { return received.frames.size(); }) == 1; }));
  REQUIRE(wait_until(
      [&] { return io.call([&] { return bus->status().counters.frames_oversize; }) == 1; }));
  CHECK(io.call([&] { return received.frames; }) ==
        std::vector<std::string>{ipv4_frame("10.9.0.3")});
  const auto status = io.call([&] { return bus->status(); });
  CHECK(status.counters.connects == 1);
  CHECK(status.counters.disconnects == 0);
  CHECK(all_registered());
  CHECK(counters().frames_from_strangers == 3);
  CHECK(io.call([&] { return link->nodes()->find(asio::ip::make_address_v4("10.9.0.9")); }) ==
        nullptr);

  // Still up: the node the requestor added reaches the stack too.
  REQUIRE(requestor.on_io(
      [&](auto& c) { return c.push(node_t, base + "/raw", bytes(ipv4_frame("10.9.0.4"))); }));
  REQUIRE(wait_until([&] { return io.call([&] { return received.frames.size(); }) == 2; }));
  io.call([&] {
    link.reset();
    bus.reset();
  });
}
