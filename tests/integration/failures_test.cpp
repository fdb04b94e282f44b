// Unreachable services, resets in both directions, timeouts and gateway removal.
#include "../support/client.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

using namespace testing;
using namespace std::chrono_literals;

namespace {

constexpr unsigned short service_port = 7000;

long first_read(Client& client) {
  std::uint8_t byte;
  return client.read_some({&byte, 1});
}

}  // namespace

TEST_CASE("a service that refuses the connection gets the client reset") {
  ProxyFixture proxy;
  proxy.add_vpn_node("vpn-a");  // the node's kernel answers SYNs to closed ports with RST
  const auto port = proxy.add_gateway("vpn-a", {node_address, 9});

  Client client(port);
  CHECK(first_read(client) == -ECONNRESET);
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.upstream_cx_connect_fail == 1);
}

TEST_CASE("an unreachable service (no ARP answer) gets the client reset at the connect timeout") {
  ProxyFixture proxy;
  proxy.add_vpn_node("vpn-a");
  libproxy::TcpTimeouts timeouts;
  timeouts.connect = 300ms;
  const auto port =
      proxy.add_gateway("vpn-a", {asio::ip::make_address_v4("10.20.30.99"), 80}, timeouts);

  Client client(port);
  CHECK(first_read(client) == -ECONNRESET);  // not a hang, not an orderly close
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.upstream_cx_connect_timeout == 1);
}

TEST_CASE("a service reset reaches the client as a reset") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, reset_after_first_byte);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  Client client(port);
  client.send_all("x");
  CHECK(first_read(client) == -ECONNRESET);
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.upstream_cx_reset == 1);
}

TEST_CASE("a client reset reaches the service as a reset") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  Client client(port);
  client.send_all("hello");
  CHECK(client.read_exact(5) == "hello");
  client.reset();
  REQUIRE(wait_until([&] { return service.stats().saw_reset == 1; }));
  CHECK(service.stats().saw_eof == 0);
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.downstream_cx_reset == 1);
}

TEST_CASE("an idle connection is reset in both directions after the idle timeout") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  libproxy::TcpTimeouts timeouts;
  timeouts.idle = 300ms;
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port}, timeouts);

  Client client(port);
  client.send_all("once");
  CHECK(client.read_exact(4) == "once");
  CHECK(first_read(client) == -ECONNRESET);  // then nothing moves until the proxy gives up
  REQUIRE(wait_until([&] { return service.stats().saw_reset == 1; }));
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.cx_idle_timeout == 1);
}

TEST_CASE("a half-closed connection that goes quiet is reset after the linger timeout") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, read_and_hold);  // never answers, never closes
  libproxy::TcpTimeouts timeouts;
  timeouts.linger = 300ms;
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port}, timeouts);

  Client client(port);
  client.send_all("request");
  client.shutdown_send();
  REQUIRE(wait_until([&] { return service.stats().saw_eof == 1; }));
  CHECK(first_read(client) == -ECONNRESET);
  REQUIRE(wait_until([&] { return service.stats().saw_reset == 1; }));
  REQUIRE(wait_until([&] { return proxy.idle(); }));
  CHECK(proxy.counters().tcp.cx_linger_timeout == 1);
}

TEST_CASE("removing a gateway resets its connections and frees the port at once") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  Client client(port);
  client.send_all("hi");
  CHECK(client.read_exact(2) == "hi");
  const asio::ip::tcp::endpoint listen{asio::ip::address_v4::loopback(), port};
  CHECK_FALSE(proxy.with_proxy([&](libproxy::Proxy& p) { return p.remove_tcp_gateway(listen); }));
  CHECK(first_read(client) == -ECONNRESET);
  REQUIRE(wait_until([&] { return service.stats().saw_reset == 1; }));
  CHECK(proxy.counters().tcp.cx_closed_by_proxy == 1);

  // Nobody listens there any more, and the port can be bound again straight away.
  CHECK_THROWS(Client(port));
  CHECK(can_bind_loopback(SOCK_STREAM, port));
  // Removing it again is an error that changes nothing.
  CHECK(proxy.with_proxy([&](libproxy::Proxy& p) { return p.remove_tcp_gateway(listen); }) ==
        libproxy::errc::unknown_gateway);
}

TEST_CASE("a full gateway resets new clients and keeps serving the ones it has") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const auto port = proxy.with_proxy([](libproxy::Proxy& p) {
    libproxy::TcpGatewayConfig config;
    config.listen = {asio::ip::address_v4::loopback(), 0};
    config.vpn_id = "vpn-a";
    config.service = {node_address, service_port};
    config.max_connections = 2;
    return p.add_tcp_gateway(config)->bound.port();
  });

  Client first(port), second(port);
  first.send_all("1");
  second.send_all("2");
  CHECK(first.read_exact(1) == "1");
  CHECK(second.read_exact(1) == "2");
  Client third(port);
  CHECK(first_read(third) == -ECONNRESET);
  CHECK(proxy.counters().tcp.downstream_cx_overflow == 1);
  second.send_all("still served");
  CHECK(second.read_exact(12) == "still served");
}
