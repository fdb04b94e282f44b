// Our GSB transport against real yagna 0.17.6 daemons on a central net (a ya-sb-router hub):
// the identity service, registration conflicts, the requestor's VpnControl, and a public TCP
// connection through three daemons into a real kernel; and that those daemons, in their
// loopback-only namespace, can send nothing off the machine. Without yagna (or ya-sb-router) or
// root each test exits with 77 (skipped) and says why; the last one needs TAP too.
#include "../support/yagna.hpp"
#include "../support/client.hpp"
#include "../support/daemon_process.hpp"
#include "../support/data.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/sb_router.hpp"
#include "../support/service.hpp"

#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_identity.hpp>
#include <libproxy/gsb_link.hpp>
#include <libproxy/proxy.hpp>

#include <httplib.h>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;

namespace {

// Any 32-hex-digit network id will do where no requestor created the network.
const std::string some_net = "0123456789abcdef0123456789abcdef";
// A node that exists nowhere.
const std::string made_up_node = "0x00000000000000000000000000000000deadbeef";
constexpr unsigned short echo_port = 7000;

// A GsbClient on an io thread: created, started, and destroyed there.
class BusClient {
public:
  BusClient(IoThread& io, const std::string& url, const std::string& name = "golem-proxy-test")
      : io_(io) {
    client_ = io_.call([&] {
      libproxy::GsbClientConfig config;
      config.url = url;
      config.name = name;
      auto created = libproxy::GsbClient::create(io_.io(), config);
      if (!created) throw std::system_error(created.error(), "GsbClient::create " + url);
      auto client = std::move(created).value();
      client->start();
      return client;
    });
  }
  ~BusClient() {
    io_.call([this] { client_.reset(); });
  }
  BusClient(const BusClient&) = delete;
  BusClient& operator=(const BusClient&) = delete;

  libproxy::GsbClient& get() { return *client_; }
  libproxy::GsbStatus status() {
    return io_.call([this] { return client_->status(); });
  }
  /// The default node id of the daemon behind the client, from its identity service.
  std::string node_id() {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto answer = promise->get_future();
    io_.call([&] {
      libproxy::fetch_default_node_id(*client_, [promise](std::error_code ec, std::string id) {
        if (ec)
          promise->set_exception(
              std::make_exception_ptr(std::system_error(ec, "fetch_default_node_id")));
        else
          promise->set_value(std::move(id));
      });
    });
    if (answer.wait_for(20s) != std::future_status::ready)
      throw std::runtime_error("fetch_default_node_id: no answer within 20 s");
    return answer.get();
  }
  /// True once the client is connected and the router confirmed every bound address.
  bool all_registered() {
    const auto now = status();
    if (now.state != libproxy::GsbState::connected || now.bindings.empty()) return false;
    return std::all_of(now.bindings.begin(), now.bindings.end(),
                       [](const auto& binding) { return binding.registered; });
  }

private:
  IoThread& io_;
  std::unique_ptr<libproxy::GsbClient> client_;
};

std::string describe(const libproxy::GsbStatus& status) {
  std::string text = std::string("state ") + libproxy::to_string(status.state) + ", last error '" +
                     status.last_error + "', bindings:";
  for (const auto& binding : status.bindings)
    text += " " + binding.address + (binding.registered ? " (registered)" : " (not registered)");
  return text;
}

// The told entries of a link's node table, as "ip=node" strings, in address order.
std::vector<std::string> told(IoThread& io, libproxy::GsbLink& link) {
  return io.call([&] {
    std::vector<std::string> out;
    for (const auto& entry : link.nodes()->entries())
      if (entry.source == libproxy::GsbNodeTable::Source::told)
        out.push_back(entry.address.to_string() + "=" + entry.node_id);
    return out;
  });
}

// `requestor`: the only node whose VpnControl the link obeys.
std::unique_ptr<libproxy::GsbLink> make_link(IoThread& io, libproxy::GsbClient& client,
                                             const std::string& net, const std::string& node_id,
                                             const std::string& requestor = {}) {
  return io.call([&] {
    auto created = libproxy::GsbLink::create(client, {net, node_id, "/public", {}, requestor});
    if (!created) throw std::system_error(created.error(), "GsbLink::create");
    return std::move(created).value();
  });
}

// The errno of a UDP connect() to `address`:53 from inside `netns` (0 if it succeeded). A UDP
// connect only looks the route up: it sends nothing.
int udp_connect_error(const Netns& netns, const char* address) {
  return netns.run([&] {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    ::inet_pton(AF_INET, address, &to.sin_addr);
    const int error = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 ? 0 : errno;
    ::close(fd);
    return error;
  });
}

}  // namespace

TEST_CASE("the Golem tools' namespace reaches nothing off the machine") {
  const auto netns = golem_netns();  // checked to be loopback-only already
  const auto links = run_command("ip -n " + netns->name() + " -o link show");
  REQUIRE(links.exit_code == 0);
  INFO(links.out);
  CHECK(std::count(links.out.begin(), links.out.end(), '\n') == 1);
  CHECK(links.out.rfind("1: lo: ", 0) == 0);
  // No route anywhere but loopback: a public address, a private one.
  CHECK(udp_connect_error(*netns, "1.1.1.1") == ENETUNREACH);
  CHECK(udp_connect_error(*netns, "10.0.0.1") == ENETUNREACH);
  CHECK(udp_connect_error(*netns, "127.0.0.1") == 0);
  // Name lookups do not get out (the resolver in /etc/resolv.conf is out of reach).
  CHECK(run_command("ip netns exec " + netns->name() + " getent ahosts example.org").exit_code !=
        0);
  // The check rejects a namespace with another way out.
  sh("ip -n " + netns->name() + " link add lpgv0 type veth peer name lpgv1");
  CHECK_THROWS_WITH(netns->require_loopback_only(),
                    Catch::Contains("interfaces other than lo: lpgv1 lpgv0") ||
                        Catch::Contains("interfaces other than lo: lpgv0 lpgv1"));
}

TEST_CASE("ya-sb-router and yagna run in namespaces with loopback alone") {
  {
    SbRouter router;
    CHECK(router.netns().holds(router.pid()));
    CHECK_FALSE(router.netns().holds(::getpid()));  // the test itself stays where it is
    CHECK_NOTHROW(router.netns().require_loopback_only());
    router.kill();
    router.start();  // a restarted router goes there too
    CHECK(router.netns().holds(router.pid()));
  }
  YagnaHub hub;
  YagnaDaemon daemon(hub, "n");
  CHECK(hub.netns().holds(hub.pid()));
  CHECK(hub.netns().holds(daemon.pid()));
  // Reached from here all the same: REST through the namespace, the bus by its unix socket.
  const auto me = daemon.http().Get("/me");
  REQUIRE(me);
  CHECK(me->status == 200);
  IoThread io;
  BusClient bus(io, daemon.gsb_url());
  CHECK(bus.node_id() == daemon.node_id());
}

TEST_CASE("a real yagna daemon serves our GSB client") {
  YagnaHub hub;
  YagnaDaemon b(hub, "b");
  IoThread io;
  BusClient bus(io, b.gsb_url());

  INFO("yagna b log:\n" << b.log());
  CHECK(bus.node_id() == b.node_id());

  auto link = make_link(io, bus.get(), some_net, b.node_id());
  const bool registered = wait_until([&] { return bus.all_registered(); });
  INFO(describe(bus.status()));
  REQUIRE(registered);
  const auto bindings = bus.status().bindings;
  CHECK(bindings.size() == 2);
  const auto bound = [&](const std::string& address) {
    return std::any_of(bindings.begin(), bindings.end(),
                       [&](const auto& binding) { return binding.address == address; });
  };
  CHECK(bound("/public/vpn/" + some_net + "/raw"));
  CHECK(bound("/public/vpn/" + some_net + "/VpnControl"));

  // The daemon's router keeps the first registration: a second client gets 409.
  BusClient second(io, b.gsb_url(), "golem-proxy-test-2");
  CHECK_FALSE(io.call([&] {
    return second.get().bind(link->raw_address(),
                             [](const libproxy::GsbIncoming&) { return libproxy::GsbReply{}; });
  }));
  const bool refused = wait_until([&] {
    const auto now = second.status();
    return now.last_error.find("409") != std::string::npos;
  });
  const auto now = second.status();
  INFO(describe(now));
  REQUIRE(refused);
  REQUIRE(now.bindings.size() == 1);
  CHECK_FALSE(now.bindings[0].registered);
  CHECK(now.state == libproxy::GsbState::connected);
  // The first client still holds both.
  CHECK(bus.all_registered());
  io.call([&] { link.reset(); });
}

TEST_CASE("VpnControl from a real requestor reaches our link") {
  YagnaHub hub;
  YagnaDaemon a(hub, "a");
  YagnaDaemon b(hub, "b");
  INFO("yagna a log:\n" << a.log());
  const std::string net = create_network(a, "192.168.8.0/24");

  IoThread io;
  BusClient bus(io, b.gsb_url());
  auto link = make_link(io, bus.get(), net, b.node_id(), a.node_id());
  {
    const bool registered = wait_until([&] { return bus.all_registered(); });
    INFO(describe(bus.status()));
    REQUIRE(registered);
  }
  const auto control_messages = [&] {
    return io.call([&] { return link->gsb_counters().control_messages; });
  };

  // Adding B tells B (the added node) about itself.
  add_node(a, net, b.node_id(), "192.168.8.2");
  const std::vector<std::string> b_only{"192.168.8.2=" + b.node_id()};
  CHECK(wait_until([&] { return told(io, *link) == b_only; }));
  CHECK(control_messages() == 1);

  // Adding another node tells every node already there, B included.
  add_node(a, net, made_up_node, "192.168.8.9");
  const std::vector<std::string> both{"192.168.8.2=" + b.node_id(), "192.168.8.9=" + made_up_node};
  CHECK(wait_until([&] { return told(io, *link) == both; }));
  CHECK(control_messages() == 2);

  // Removing it tells B to forget it.
  remove_node(a, net, made_up_node);
  CHECK(wait_until([&] { return told(io, *link) == b_only; }));
  CHECK(control_messages() == 3);
  CHECK(io.call([&] { return link->gsb_counters().control_rejected; }) == 0);
  io.call([&] { link.reset(); });
}

TEST_CASE("a public TCP connection crosses three real yagna daemons") {
  require_yagna();
  require_root_and_tap();  // before any process starts: it exits the test
  YagnaHub hub;
  YagnaDaemon a(hub, "a");  // the requestor
  YagnaDaemon b(hub, "b");  // the proxy's daemon
  YagnaDaemon c(hub, "c");  // the service node's daemon
  const std::string net = create_network(a, "192.168.8.0/24");
  add_node(a, net, b.node_id(), "192.168.8.2");
  add_node(a, net, c.node_id(), "192.168.8.3");

  // C: a real kernel in a namespace behind gsb_tap_bridge, serving an echo.
  GsbTapNode node(GSB_TAP_BRIDGE_PATH, c, net, "192.168.8.3/24", {{"192.168.8.2", b.node_id()}});
  Service service(node.netns(), echo_port, echo);

  // B: the proxy, in process, joined to the VPN over B's GSB.
  IoThread io;
  BusClient bus(io, b.gsb_url());
  const std::string b_id = bus.node_id();
  REQUIRE(b_id == b.node_id());
  std::optional<libproxy::Proxy> proxy;
  struct StopProxy {  // the proxy (and the link it owns) go before the client, on its thread
    IoThread& io;
    std::optional<libproxy::Proxy>& proxy;
    ~StopProxy() {
      io.call([this] { proxy.reset(); });
    }
  } stop_proxy{io, proxy};
  libproxy::GsbLink* link = nullptr;
  const unsigned short port = io.call([&] {
    proxy.emplace(io.io());
    auto created = libproxy::GsbLink::create(bus.get(), {net, b_id, "/public", {}});
    if (!created) throw std::system_error(created.error(), "GsbLink::create");
    link = created.value().get();
    link->nodes()->set(asio::ip::make_address_v4("192.168.8.3"), c.node_id(),
                       libproxy::GsbNodeTable::Source::told);
    libproxy::VpnConfig vpn;
    vpn.id = net;
    vpn.address = asio::ip::make_address_v4("192.168.8.2");
    vpn.prefix_length = 24;
    if (auto ec = proxy->add_vpn(vpn, std::move(created).value()))
      throw std::system_error(ec, "add_vpn");
    libproxy::TcpGatewayConfig gateway;
    gateway.listen = {asio::ip::address_v4::loopback(), 0};
    gateway.vpn_id = net;
    gateway.service = {asio::ip::make_address_v4("192.168.8.3"), echo_port};
    auto added = proxy->add_tcp_gateway(gateway);
    if (!added) throw std::system_error(added.error(), "add_tcp_gateway");
    return added->bound.port();
  });
  {
    const bool registered = wait_until([&] { return bus.all_registered(); });
    INFO(describe(bus.status()));
    REQUIRE(registered);
  }

  constexpr std::size_t total = 1 << 20;
  Client client(port);
  std::thread writer([&] {
    try {
      Pattern pattern(5);
      std::vector<std::uint8_t> chunk(64 * 1024);
      for (std::size_t left = total; left > 0;) {
        const auto n = std::min(left, chunk.size());
        pattern.fill({chunk.data(), n});
        client.send_all({chunk.data(), n});
        left -= n;
      }
      client.shutdown_send();
    } catch (const std::exception&) {
      // The reader sees the stream end early and the test fails there.
    }
  });
  Checksum received;
  std::vector<std::uint8_t> buffer(64 * 1024);
  long n;
  while ((n = client.read_some(buffer)) > 0)
    received.add({buffer.data(), static_cast<std::size_t>(n)});
  writer.join();

  const auto bus_status = bus.status();
  const auto counters = io.call([&] { return proxy->counters(); });
  const auto link_counters = io.call([&] { return link->counters(); });
  const auto gsb_counters = io.call([&] { return link->gsb_counters(); });
  INFO(describe(bus_status) << "\nGSB frames sent " << bus_status.counters.frames_sent
                            << ", received " << bus_status.counters.frames_received
                            << ", pushes dropped " << bus_status.counters.pushes_dropped
                            << "\nlink frames sent " << link_counters.frames_sent << ", received "
                            << link_counters.frames_received << ", dropped "
                            << link_counters.frames_dropped << ", unroutable "
                            << gsb_counters.frames_unroutable << "\nTCP to service "
                            << counters.tcp.bytes_to_service << ", to client "
                            << counters.tcp.bytes_to_client << "\nyagna b log:\n"
                            << b.log() << "\nyagna c log:\n"
                            << c.log());
  CHECK(n == 0);
  const auto expected = pattern_checksum(5, total);
  CHECK(received.size() == expected.size());
  CHECK(received.value() == expected.value());
  CHECK(service.stats().accepted == 1);
  CHECK(bus_status.counters.frames_sent > 0);
  CHECK(bus_status.counters.frames_received > 0);
  CHECK(link_counters.frames_sent > 0);
  CHECK(link_counters.frames_received > 0);
}
