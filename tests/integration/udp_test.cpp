// UDP gateways against a real kernel in a network namespace: a flow per client, replies to the
// client that asked, datagrams larger than the VPN's MTU, idle expiry, eviction at the flow cap,
// gateway removal, and a flooding client next to a quiet one.
#include "../support/udp.hpp"
#include "../support/client.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/proxy_fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

constexpr unsigned short echo_port = 5300;

unsigned short add_udp_gateway(ProxyFixture& proxy, libproxy::UdpGatewayConfig config) {
  config.listen = {asio::ip::address_v4::loopback(), 0};
  config.vpn_id = "udp";
  config.service = {node_address, echo_port};
  return proxy.with_proxy([&](libproxy::Proxy& p) {
    auto added = p.add_udp_gateway(config);
    if (!added) throw std::system_error(added.error(), "add_udp_gateway");
    return added->bound.port();
  });
}

libproxy::UdpCounters udp_counters(ProxyFixture& proxy) { return proxy.counters().udp; }

}  // namespace

TEST_CASE("UDP replies reach the client that asked for many clients at once") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, echo_port);
  const auto port = add_udp_gateway(proxy, {});

  constexpr int clients = 50, requests = 20;
  std::vector<std::unique_ptr<UdpClient>> peers;
  for (int i = 0; i < clients; ++i) peers.push_back(std::make_unique<UdpClient>(port));
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < requests; ++j)
        if (peers[i]->ask("client " + std::to_string(i) + " request " + std::to_string(j)))
          ++answered;
    });
  for (auto& thread : threads) thread.join();
  CHECK(answered == clients * requests);  // and each echo came to the client that sent it
  const auto c = udp_counters(proxy);
  CHECK(c.flows_total == clients);
  CHECK(c.flows_active == clients);
  CHECK(c.datagrams_to_client >= static_cast<std::uint64_t>(clients * requests));
  CHECK(proxy.with_proxy([](libproxy::Proxy& p) { return p.connections().size(); }) == clients);
}

TEST_CASE("UDP datagrams larger than the VPN's MTU cross in both directions") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, echo_port);
  const auto port = add_udp_gateway(proxy, {});
  UdpClient client(port);
  for (const std::size_t size : {1200, 1500, 4000, 8192, 16384}) {
    std::string datagram(size, '\0');
    for (std::size_t i = 0; i < size; ++i) datagram[i] = static_cast<char>('a' + (i * 7) % 26);
    INFO(size << " bytes");
    CHECK(client.ask(datagram));  // fragmented on the way in, reassembled on the way out
  }
  // Over max_datagram (16 KiB by default): dropped and counted, in this direction.
  client.send(std::string(20000, 'x'));
  REQUIRE(wait_until([&] { return udp_counters(proxy).datagrams_too_large == 1; }));
  const auto c = udp_counters(proxy);
  CHECK(c.bytes_to_service == 1200 + 1500 + 4000 + 8192 + 16384);
  CHECK(c.bytes_to_client == 1200 + 1500 + 4000 + 8192 + 16384);
}

TEST_CASE("idle UDP flows expire and the flow cap evicts the one idle the longest") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, echo_port);
  libproxy::UdpGatewayConfig config;
  config.idle_timeout = 300ms;
  config.max_flows = 2;
  const auto port = add_udp_gateway(proxy, config);
  UdpClient a(port), b(port), c(port);
  REQUIRE(a.ask("a"));
  REQUIRE(b.ask("b"));
  REQUIRE(c.ask("c"));  // a third client: a's flow (idle the longest) makes room
  auto counters = udp_counters(proxy);
  CHECK(counters.flows_evicted == 1);
  CHECK(counters.flows_active == 2);
  // Nothing moves now: both flows end after the idle timeout.
  REQUIRE(wait_until([&] { return udp_counters(proxy).flows_active == 0; }));
  counters = udp_counters(proxy);
  CHECK(counters.flows_expired == 2);
  CHECK(counters.flows_total == 3);
  CHECK(a.ask("a again"));  // a new flow
  CHECK(udp_counters(proxy).flows_total == 4);
}

TEST_CASE("removing a UDP gateway ends its flows and frees the port") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, echo_port);
  const auto port = add_udp_gateway(proxy, {});
  UdpClient client(port);
  REQUIRE(client.ask("hello"));
  CHECK(udp_counters(proxy).flows_active == 1);
  CHECK_FALSE(proxy.with_proxy([&](libproxy::Proxy& p) {
    return p.remove_udp_gateway({asio::ip::address_v4::loopback(), port});
  }));
  CHECK(udp_counters(proxy).flows_active == 0);
  // The port is free at once: a plain socket can bind it.
  CHECK(can_bind_loopback(SOCK_DGRAM, port));
}

TEST_CASE("a client flooding a UDP gateway does not starve another") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, echo_port);
  const auto port = add_udp_gateway(proxy, {});
  UdpClient flooder(port), quiet(port);
  std::atomic<bool> flooding{true};
  std::thread flood([&] {
    const std::string datagram(1000, 'f');
    // As fast as it can, but bounded: at most 200 000 datagrams or until the quiet one is done.
    for (int i = 0; i < 200000 && flooding; ++i) flooder.send(datagram);
  });
  int answered = 0;
  for (int i = 0; i < 50; ++i) answered += quiet.ask("quiet " + std::to_string(i)) ? 1 : 0;
  flooding = false;
  flood.join();
  CHECK(answered == 50);
  CHECK(udp_counters(proxy).datagrams_to_service > 50);
}
