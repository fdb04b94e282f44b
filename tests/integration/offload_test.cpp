// A TAP link with segmentation offload (IFF_VNET_HDR, TSO): TCP crosses the device in
// super-frames of up to 64 KiB both ways, checksums completed by the kernel, and every byte
// still arrives intact; UDP, which is not offloaded, still crosses in datagrams of any size.
#include "../support/client.hpp"
#include "../support/data.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"
#include "../support/udp.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace testing;

namespace {

constexpr unsigned short service_port = 7000;

libproxy::LinkCounters link_counters(ProxyFixture& proxy) {
  return proxy.with_proxy([](libproxy::Proxy& p) { return p.vpns().at(0).link; });
}

}  // namespace

TEST_CASE("with offload: 16 MiB each way arrive intact in TCP super-frames") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-o", {.offload = true});
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-o", {node_address, service_port});

  constexpr std::size_t total = 16 * 1024 * 1024;
  Client client(port);
  CHECK(echo_round_trip(client, total, 7));  // every byte back, in order, then EOF
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  const auto link = link_counters(proxy);
  INFO("frames in " << link.frames_received << " (super " << link.super_frames_received << "), out "
                    << link.frames_sent << " (super " << link.super_frames_sent << "), dropped "
                    << link.frames_dropped);
  // Both directions really used super-frames: the kernel's TSO towards the proxy, the proxy's
  // joined segments towards the kernel. 16 MiB at MTU 1220 would be over 14 000 frames each way.
  CHECK(link.super_frames_received > 0);
  CHECK(link.super_frames_sent > 0);
  CHECK(link.frames_received < 14'000);
  CHECK(link.frames_dropped == 0);
  const auto c = proxy.counters();
  CHECK(c.tcp.bytes_to_service == total);
  CHECK(c.tcp.bytes_to_client == total);
  CHECK(c.tcp.downstream_cx_completed == 1);
  CHECK(c.stack.frames_dropped == 0);
}

TEST_CASE("with offload: many short exchanges and closes on parallel connections") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-o", {.offload = true});
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-o", {node_address, service_port});

  constexpr int connections = 8, rounds = 200;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < connections; ++i)
    threads.emplace_back([&, i] {
      try {
        Client client(port);
        Pattern pattern(100 + i);
        std::vector<std::uint8_t> message(1 + (i * 997) % 3000);
        for (int r = 0; r < rounds; ++r) {
          pattern.fill(message);
          client.send_all(message);
          const std::string reply = client.read_exact(message.size());
          if (std::equal(message.begin(), message.end(), reply.begin(), reply.end(),
                         [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }))
            ++good;
        }
      } catch (const std::exception&) {
        // counted as missing exchanges
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(good == connections * rounds);
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.downstream_cx_completed == connections);
  CHECK(link_counters(proxy).frames_dropped == 0);
}

TEST_CASE("with offload: UDP datagrams of every size still cross both ways") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-o", {.offload = true});
  constexpr unsigned short echo_port = 5300;
  UdpEcho echo(node, echo_port);
  const auto port = proxy.with_proxy([&](libproxy::Proxy& p) {
    libproxy::UdpGatewayConfig config;
    config.listen = {asio::ip::address_v4::loopback(), 0};
    config.vpn_id = "vpn-o";
    config.service = {node_address, echo_port};
    auto added = p.add_udp_gateway(config);
    if (!added) throw std::system_error(added.error(), "add_udp_gateway");
    return added->bound.port();
  });
  UdpClient client(port);
  for (const std::size_t size : {1, 1200, 1500, 8192, 16384}) {
    std::string datagram(size, '\0');
    for (std::size_t i = 0; i < size; ++i) datagram[i] = static_cast<char>('a' + (i * 5) % 26);
    INFO(size << " bytes");
    CHECK(client.ask(datagram));
  }
  const auto c = proxy.counters().udp;
  CHECK(c.datagrams_too_large == 0);
  CHECK(c.datagrams_dropped == 0);
}
