// The five GAP-22 message sequences (../shared/spec/sequences.md), through a real TAP link to a
// real Linux kernel in a network namespace, with real services there.
#include "../support/client.hpp"
#include "../support/data.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"

#include <asio/read.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;

namespace {

constexpr unsigned short service_port = 7000;

asio::ip::tcp::endpoint service_at(unsigned short port = service_port) {
  return {node_address, port};
}

}  // namespace

TEST_CASE("service request: 64 MiB each way arrive intact and half-close travels both ways") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-a", service_at());

  constexpr std::size_t total = 64 * 1024 * 1024;
  Client client(port);
  std::thread writer([&] {
    Pattern pattern(1);
    std::vector<std::uint8_t> chunk(256 * 1024);
    for (std::size_t left = total; left > 0;) {
      const auto n = std::min(left, chunk.size());
      pattern.fill({chunk.data(), n});
      client.send_all({chunk.data(), n});
      left -= n;
    }
    client.shutdown_send();  // client FIN -> virtual FIN -> the echo service half-closes too
  });
  Checksum received;
  std::vector<std::uint8_t> buffer(256 * 1024);
  long n;
  while ((n = client.read_some(buffer)) > 0)
    received.add({buffer.data(), static_cast<std::size_t>(n)});
  writer.join();

  CHECK(n == 0);  // an orderly EOF, not an error
  const auto expected = pattern_checksum(1, total);
  CHECK(received.size() == expected.size());
  CHECK(received.value() == expected.value());
  CHECK(service.stats().saw_eof == 1);
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  const auto c = proxy.counters().tcp;
  CHECK(c.bytes_to_service == total);
  CHECK(c.bytes_to_client == total);
  CHECK(c.downstream_cx_completed == 1);
  // Under "integration-offload:" the same bytes crossed in super-frames both ways.
  const auto vpn = proxy.with_proxy([](libproxy::Proxy& p) { return p.vpns().at(0); });
  const bool offload = std::getenv("GOLEM_PROXY_TEST_TAP_OFFLOAD") != nullptr;
  CHECK(vpn.link_offload == offload);
  CHECK((vpn.link.super_frames_received > 0) == offload);
  CHECK((vpn.link.super_frames_sent > 0) == offload);
}

TEST_CASE("service push: a server-first service greets the client before it sends anything") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, banner_then_echo("220 hello from the VPN\r\n"));
  const auto port = proxy.add_gateway("vpn-a", service_at());

  Client client(port);
  CHECK(client.read_exact(24) == "220 hello from the VPN\r\n");
  client.send_all("ping");
  CHECK(client.read_exact(4) == "ping");
}

TEST_CASE("user teardown: the client hangs up after a request and everything is released") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-a", service_at());

  {
    Client client(port);
    client.send_all("request");
    CHECK(client.read_exact(7) == "request");
  }  // close()
  REQUIRE(wait_until([&] { return service.stats().saw_eof == 1 && service.stats().active == 0; }));
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  const auto c = proxy.counters();
  CHECK(c.tcp.downstream_cx_completed == 1);
  CHECK(c.tcp.upstream_cx_reset == 0);
  CHECK(c.tcp.downstream_cx_reset == 0);
  // lwIP closed first, so its side of the connection waits in TIME_WAIT (and only there).
  CHECK(c.stack.vnet_pcbs_time_wait == 1);
}

TEST_CASE("idle teardown: a client that connects and leaves at once leaves nothing behind") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-a", service_at());

  for (int i = 0; i < 20; ++i) Client client(port);  // connect, close
  REQUIRE(wait_until([&] {
    return proxy.counters().tcp.downstream_cx_total == 20 && proxy.idle() &&
           service.stats().active == 0;
  }));
  const auto c = proxy.counters().tcp;
  CHECK(c.downstream_cx_total == 20);
  // Each either reached the service and closed in order, or was dropped while connecting.
  CHECK(c.downstream_cx_completed + c.downstream_cx_abandoned == 20);
  CHECK(c.cx_active == 0);
}

TEST_CASE("VPN teardown: the service closes and the client gets every byte then EOF") {
  constexpr std::size_t total = 8 * 1024 * 1024;
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, send_pattern_then_close(7, total));
  const auto port = proxy.add_gateway("vpn-a", service_at());

  Client client(port);
  std::string data;
  CHECK(client.read_to_eof(&data) == static_cast<long>(total));
  Checksum sum;
  sum.add({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  CHECK(sum.value() == pattern_checksum(7, total).value());
  client.shutdown_send();  // now the client is done too
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.downstream_cx_completed == 1);
}

TEST_CASE("a gateway on an IPv6 public address forwards into the IPv4 VPN") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, banner_then_echo("v6"));
  const auto bound = proxy.with_proxy([](libproxy::Proxy& p) {
    libproxy::TcpGatewayConfig config;
    config.listen = {asio::ip::address_v6::loopback(), 0};
    config.vpn_id = "vpn-a";
    config.service = service_at();
    auto added = p.add_tcp_gateway(config);
    REQUIRE(added);
    return added->bound;
  });
  CHECK(bound.address().is_v6());

  asio::io_context io;
  asio::ip::tcp::socket client(io);
  client.connect({asio::ip::address_v6::loopback(), bound.port()});
  std::string banner(2, '\0');
  asio::read(client, asio::buffer(banner));
  CHECK(banner == "v6");
}

TEST_CASE("a slow client may outlast TIME_WAIT of the virtual connection it half-closed") {
  // lwIP frees a TIME_WAIT pcb after 4 s without telling anyone. Here the client half-closes
  // first and then reads nothing for a while, so the virtual connection reaches TIME_WAIT (both
  // FINs exchanged) while the proxy still holds service bytes for the client, and stays so
  // past its expiry; then the client takes the rest.
  //
  // The client and the gateway's listening socket live in a namespace of their own with small,
  // fixed TCP buffers, so the kernel between proxy and client holds a known few KiB and the
  // proxy, not the kernel, keeps the service's last bytes.
  constexpr std::size_t total = 400 * 1024;  // under lwIP's 512 KiB window: the FIN gets in
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  // The service closes only after the proxy's FIN: the virtual connection's close is active,
  // whichever FIN would otherwise win the race.
  Service service(node, service_port, send_pattern_then_close_after_eof(11, total));
  Netns clients("twclient");
  clients.exec("sysctl -qw net.ipv4.tcp_wmem='4096 16384 16384'");
  clients.exec("sysctl -qw net.ipv4.tcp_rmem='4096 16384 16384'");
  const auto port =
      proxy.add_gateway_on(clients.socket(AF_INET, SOCK_STREAM), "vpn-a", service_at());

  Client client(clients.socket(AF_INET, SOCK_STREAM), port);
  Checksum sum;
  std::vector<std::uint8_t> buffer(16 * 1024);
  // The first byte shows the service answered; a FIN before that would be an idle teardown.
  long n = client.read_some({buffer.data(), 1});
  REQUIRE(n > 0);
  sum.add({buffer.data(), static_cast<std::size_t>(n)});
  client.shutdown_send();
  const bool held = wait_until([&] {
    const auto c = proxy.counters();
    return c.stack.vnet_pcbs_time_wait == 1 && c.tcp.cx_active == 1 &&
           c.tcp.client_bound_bytes_buffered > 0;
  });
  const auto seen = proxy.counters();
  INFO("TIME_WAIT pcbs " << seen.stack.vnet_pcbs_time_wait << ", active pcbs "
                         << seen.stack.vnet_pcbs_active << ", connections " << seen.tcp.cx_active
                         << ", bytes held " << seen.tcp.client_bound_bytes_buffered
                         << ", to client " << seen.tcp.bytes_to_client);
  REQUIRE(held);
  // lwIP frees the TIME_WAIT pcb on its own; the bridge must not touch it afterwards.
  REQUIRE(wait_until([&] { return proxy.counters().stack.vnet_pcbs_time_wait == 0; }, 60s));

  while ((n = client.read_some(buffer)) > 0) sum.add({buffer.data(), static_cast<std::size_t>(n)});
  CHECK(n == 0);
  CHECK(sum.size() == total);
  CHECK(sum.value() == pattern_checksum(11, total).value());
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.downstream_cx_completed == 1);
}
