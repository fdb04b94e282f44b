// Two VPNs with the same address range at once: every pcb is bound to its VPN's netif, and
// segments that match no pcb are answered through the netif they came in on.
#include "../support/client.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

using namespace testing;

namespace {

constexpr unsigned short service_port = 7000;

// Connects from inside `node` to the proxy's VPN address on a port nobody listens on; returns
// errno (ECONNREFUSED when the proxy's RST came back through this VPN's link).
int connect_to_closed_proxy_port(const Netns& node) {
  const int fd = node.socket(AF_INET, SOCK_STREAM);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(4444);
  inet_pton(AF_INET, "10.20.30.41", &address.sin_addr);
  const int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = result == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

}  // namespace

TEST_CASE("two VPNs with identical address ranges work side by side") {
  ProxyFixture proxy;
  auto& node_a = proxy.add_vpn_node("vpn-a");
  auto& node_b = proxy.add_vpn_node("vpn-b");
  // Same service address and port in both VPNs; each answers with its own name.
  Service service_a(node_a, service_port, banner_then_echo("A"));
  Service service_b(node_b, service_port, banner_then_echo("B"));
  const auto port_a = proxy.add_gateway("vpn-a", {node_address, service_port});
  const auto port_b = proxy.add_gateway("vpn-b", {node_address, service_port});

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<Client>(i % 2 ? port_b : port_a));
  }
  for (int i = 0; i < 50; ++i) {
    CHECK(clients[i]->read_exact(1) == (i % 2 ? "B" : "A"));
    clients[i]->send_all("x" + std::to_string(i));
    CHECK(clients[i]->read_exact(1 + std::to_string(i).size()) == "x" + std::to_string(i));
  }
  CHECK(service_a.stats().accepted == 25);
  CHECK(service_b.stats().accepted == 25);
  clients.clear();
  REQUIRE(wait_until([&] { return proxy.idle(); }));
}

TEST_CASE("a segment for no connection is answered with a RST through the VPN it came from") {
  ProxyFixture proxy;
  auto& node_a = proxy.add_vpn_node("vpn-a");
  auto& node_b = proxy.add_vpn_node("vpn-b");
  // Without the fix, lwIP routes the RST by address, i.e. out of the first netif (vpn-a), and
  // the connect from vpn-b would time out instead of being refused.
  CHECK(connect_to_closed_proxy_port(node_b) == ECONNREFUSED);
  CHECK(connect_to_closed_proxy_port(node_a) == ECONNREFUSED);
}

TEST_CASE("leaving one VPN leaves the other VPN's connections alone") {
  ProxyFixture proxy;
  auto& node_a = proxy.add_vpn_node("vpn-a");
  auto& node_b = proxy.add_vpn_node("vpn-b");
  Service service_a(node_a, service_port, echo);
  Service service_b(node_b, service_port, echo);
  const auto port_a = proxy.add_gateway("vpn-a", {node_address, service_port});
  const auto port_b = proxy.add_gateway("vpn-b", {node_address, service_port});

  Client client_a(port_a), client_b(port_b);
  client_a.send_all("a");
  client_b.send_all("b");
  CHECK(client_a.read_exact(1) == "a");
  CHECK(client_b.read_exact(1) == "b");

  // Same local address (10.20.30.41) in both: lwIP's netif_remove would abort both.
  CHECK_FALSE(proxy.with_proxy([](libproxy::Proxy& p) { return p.remove_vpn("vpn-a"); }));
  std::uint8_t byte;
  CHECK(client_a.read_some({&byte, 1}) == -ECONNRESET);
  client_b.send_all("still here");
  CHECK(client_b.read_exact(10) == "still here");
}
