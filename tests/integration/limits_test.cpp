// Limits against hostile clients and services, through real sockets and a real kernel in a
// namespace as the VPN node: per-source connection caps and rates (another source still
// served), the per-connection byte bound against a service writing 1-byte segments, the memory
// budget shedding the newest connection, and UDP flows per source and at the flow cap. Every
// assertion is on counters and on what clients see, never on timings.
#include "../support/client.hpp"
#include "../support/data.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"
#include "../support/udp.hpp"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;
using asio::use_awaitable;

namespace {

constexpr unsigned short service_port = 7000;
constexpr unsigned short udp_port = 5300;

void set_limits(ProxyFixture& proxy, const libproxy::ProxyLimits& limits) {
  proxy.with_proxy([&](libproxy::Proxy& p) {
    p.set_limits(limits);
    return 0;
  });
}

// A TCP socket bound to `source` (any 127/8 address is loopback), for Client to connect.
int socket_from(const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, source, &address.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("bind to a loopback source failed");
  return fd;
}

// A loopback TCP socket with a small receive buffer set before it connects, so that the window
// it offers stays small: a client that reads slowly, or not at all.
int small_window_socket(int bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  return fd;
}

// A loopback TCP socket bound to `source` with a small receive buffer: a client from that
// address that does not read.
int small_window_socket_from(const char* source, int bytes) {
  const int fd = socket_from(source);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  return fd;
}

// Reads `client` to its end; true if it was an orderly end after exactly the pattern `seed`.
bool reads_whole_pattern(Client& client, std::uint64_t seed, std::size_t total) {
  Checksum sum;
  std::vector<std::uint8_t> buffer(16 * 1024);
  long n;
  while ((n = client.read_some(buffer)) > 0) sum.add({buffer.data(), static_cast<std::size_t>(n)});
  return n == 0 && sum.size() == total && sum.value() == pattern_checksum(seed, total).value();
}

// True if the proxy refused the connection on arrival: a reset (or end) before any echo.
bool refused(Client& client) {
  const char byte = 'x';
  if (::send(client.fd(), &byte, 1, MSG_NOSIGNAL) != 1) return true;  // the reset came first
  std::uint8_t answer;
  return client.read_some({&answer, 1}) <= 0;
}

// Writes one byte per system call with Nagle off, so that nearly every byte leaves as a
// segment of its own, `count` bytes or until the connection fails. The proxy's socket towards
// its client takes a few MiB before it is full: only then do pbufs pile up in the proxy.
Session one_byte_segments(int count) {
  return [count](asio::ip::tcp::socket& socket, ServiceStats& stats) -> asio::awaitable<void> {
    socket.set_option(asio::ip::tcp::no_delay(true));
    std::error_code ec;
    for (int i = 0; i < count && !ec; ++i) {
      const std::uint8_t byte = 'a' + i % 26;
      co_await asio::async_write(socket, asio::buffer(&byte, 1),
                                 asio::redirect_error(use_awaitable, ec));
    }
    if (ec) ++stats.saw_reset;
  };
}

// A UDP client bound to `source`, connected to the gateway on 127.0.0.1.
class UdpClientFrom {
public:
  UdpClientFrom(const char* source, unsigned short port)
      : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    inet_pton(AF_INET, source, &address.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ~UdpClientFrom() { ::close(fd_); }
  void send(const std::string& datagram) { ::send(fd_, datagram.data(), datagram.size(), 0); }
  bool ask(const std::string& request) {
    for (int i = 0; i < 5; ++i) {
      send(request);
      pollfd p{fd_, POLLIN, 0};
      while (::poll(&p, 1, 500) == 1) {
        std::string reply(2048, '\0');
        const auto n = ::recv(fd_, reply.data(), reply.size(), 0);
        if (n >= 0 && reply.substr(0, static_cast<std::size_t>(n)) == request) return true;
      }
    }
    return false;
  }

private:
  int fd_;
};

unsigned short add_udp_gateway(ProxyFixture& proxy, libproxy::UdpGatewayConfig config) {
  config.listen = {asio::ip::address_v4::loopback(), 0};
  config.vpn_id = "udp";
  config.service = {node_address, udp_port};
  return proxy.with_proxy([&](libproxy::Proxy& p) {
    auto added = p.add_udp_gateway(config);
    if (!added) throw std::system_error(added.error(), "add_udp_gateway");
    return added->bound.port();
  });
}

}  // namespace

TEST_CASE("a source at its connection cap is refused and another source is still served") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  libproxy::ProxyLimits limits;
  limits.tcp_per_source.max_connections = 3;
  set_limits(proxy, limits);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Client>(socket_from("127.0.0.1"), port));
    held.back()->send_all(std::string("hi"));
    CHECK(held.back()->read_exact(2) == "hi");
  }
  Client fourth(socket_from("127.0.0.1"), port);
  CHECK(refused(fourth));
  CHECK(proxy.counters().tcp.downstream_cx_source_limit == 1);

  // Another address is not affected, and neither are the three open connections.
  Client other(socket_from("127.0.0.2"), port);
  CHECK(echo_round_trip(other, 64 * 1024, 7));
  for (auto& client : held) {
    client->send_all(std::string("again"));
    CHECK(client->read_exact(5) == "again");
  }
  // A slot freed is a slot to use again.
  held.front()->shutdown_send();
  CHECK(held.front()->read_to_eof() == 0);
  held.erase(held.begin());
  REQUIRE(wait_until([&] { return proxy.counters().tcp.cx_active == 2; }));
  Client again(socket_from("127.0.0.1"), port);
  CHECK(echo_round_trip(again, 1024, 8));
  CHECK(proxy.counters().tcp.downstream_cx_source_limit == 1);
}

TEST_CASE("a source past its connection rate is refused and another source is still served") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  libproxy::ProxyLimits limits;
  // A bucket of 5 that refills once in 1 000 s: the sixth connection has no token left.
  limits.tcp_per_source.connection_rate = 0.001;
  limits.tcp_per_source.connection_burst = 5;
  set_limits(proxy, limits);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  for (int i = 0; i < 5; ++i) {
    Client client(socket_from("127.0.0.1"), port);
    CHECK(echo_round_trip(client, 100, static_cast<std::uint64_t>(i)));
  }
  Client sixth(socket_from("127.0.0.1"), port);
  CHECK(refused(sixth));
  CHECK(proxy.counters().tcp.downstream_cx_source_rate == 1);
  Client other(socket_from("127.0.0.3"), port);
  CHECK(echo_round_trip(other, 100, 9));
}

TEST_CASE("a service writing 1-byte segments to a client that never reads is bounded in bytes") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, one_byte_segments(64 * 1024 * 1024));
  libproxy::ProxyLimits limits;
  // More than lwIP's whole receive window (512 KiB) of full segments weighs: only the weight of
  // tiny pbufs can reach it.
  limits.max_connection_buffer = 1024 * 1024;
  set_limits(proxy, limits);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  Client client(small_window_socket(4 * 1024), port);
  // The client reads nothing. Each 1-byte segment is charged at its pbuf's weight, so the
  // connection reaches its bound long before lwIP's 512 KiB window is used up: it is reset.
  REQUIRE(wait_until([&] { return proxy.counters().tcp.cx_buffer_limit == 1; }, 120s));
  const auto c = proxy.counters().tcp;
  CHECK(c.memory_buffered_bytes_peak <= limits.max_connection_buffer);
  CHECK(c.cx_window_held >= 1);  // past half the bound the window stayed closed
  REQUIRE(wait_until([&] { return service.stats().saw_reset == 1; }));
  REQUIRE(wait_until([&] { return proxy.counters().tcp.memory_buffered_bytes == 0; }));
  std::printf("1-byte segments: peak %llu charged bytes held (bound %zu)\n",
              static_cast<unsigned long long>(c.memory_buffered_bytes_peak),
              limits.max_connection_buffer);
}

TEST_CASE("past the memory budget the newest connection is shed and the oldest goes on") {
  constexpr std::size_t total = 8 * 1024 * 1024;
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, send_pattern_then_close(5, total));
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});
  const auto held = [&] { return proxy.counters().tcp.memory_buffered_bytes; };

  // Two clients that do not read: once their sockets are full, each connection holds its
  // receive window (512 KiB and its pbufs' weight) in the proxy.
  Client oldest(small_window_socket(16 * 1024), port);
  REQUIRE(wait_until([&] { return held() >= 400 * 1024; }));
  Client newest(small_window_socket(16 * 1024), port);
  REQUIRE(wait_until([&] { return held() >= 800 * 1024; }));
  // The budget drops below what both hold (the operator tightened it; or windows lwIP had
  // already offered were filled): the newest connection is the one reset.
  libproxy::ProxyLimits limits;
  limits.memory_budget = 768 * 1024;
  limits.high_watermark_percent = 50;
  set_limits(proxy, limits);
  REQUIRE(wait_until([&] { return proxy.counters().tcp.cx_shed == 1; }));
  CHECK(newest.read_to_eof() < 0);  // reset, not an orderly end

  // The oldest one goes on to the end, its window held while the proxy is over the watermark.
  Checksum sum;
  std::vector<std::uint8_t> buffer(16 * 1024);
  long n;
  while ((n = oldest.read_some(buffer)) > 0) sum.add({buffer.data(), static_cast<std::size_t>(n)});
  CHECK(n == 0);
  CHECK(sum.size() == total);
  CHECK(sum.value() == pattern_checksum(5, total).value());
  const auto c = proxy.counters().tcp;
  CHECK(c.cx_shed == 1);
  CHECK(c.memory_overload_episodes >= 1);
  CHECK(c.memory_budget_bytes == limits.memory_budget);
  REQUIRE(wait_until([&] { return held() == 0; }));
}

TEST_CASE("UDP flows per source are capped and another source still gets a flow") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, udp_port);
  libproxy::UdpGatewayConfig config;
  config.max_flows_per_source = 2;
  const auto port = add_udp_gateway(proxy, config);
  UdpClientFrom a("127.0.0.1", port), b("127.0.0.1", port), c("127.0.0.1", port);
  REQUIRE(a.ask("a"));
  REQUIRE(b.ask("b"));
  CHECK_FALSE(c.ask("c"));  // a third port of the same address
  CHECK(proxy.counters().udp.flows_source_limit >= 1);
  UdpClientFrom other("127.0.0.4", port);
  CHECK(other.ask("other"));
  CHECK(a.ask("a again"));
  CHECK(proxy.counters().udp.flows_active == 3);
}

TEST_CASE("at the UDP flow cap a new source is refused rather than evict an active flow") {
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("udp");
  UdpEcho echo(node, udp_port);
  libproxy::UdpGatewayConfig config;
  config.max_flows = 2;
  config.min_idle_to_evict = 1h;
  const auto port = add_udp_gateway(proxy, config);
  UdpClientFrom a("127.0.0.1", port), b("127.0.0.2", port);
  REQUIRE(a.ask("a"));
  REQUIRE(b.ask("b"));
  // A flood of new (spoofable) sources: each refused, none displaces a or b.
  for (int i = 0; i < 50; ++i) {
    UdpClientFrom spoofed(("127.0.1." + std::to_string(i + 1)).c_str(), port);
    spoofed.send("flood");
  }
  REQUIRE(wait_until([&] { return proxy.counters().udp.flows_refused == 50; }));
  const auto c = proxy.counters().udp;
  CHECK(c.flows_evicted == 0);
  CHECK(c.flows_active == 2);
  CHECK(a.ask("a still"));
  CHECK(b.ask("b still"));
}

TEST_CASE("an overload under the budget ends by shedding the newest and new clients are served") {
  constexpr std::size_t total = 8 * 1024 * 1024;
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, send_pattern_then_close(5, total));
  Service echo_service(node, service_port + 1, echo);
  // Each client that does not read makes its connection hold its whole window: 512 KiB and
  // the pbufs' weight, under 580 KiB charged. Three pass the watermark (17 % of 8 MiB, 1.36
  // MiB), two stay under the resume level (1.22 MiB), none can reach the budget. Before, reads
  // and windows then stayed held until the idle timeout.
  libproxy::ProxyLimits limits;
  limits.memory_budget = 8 * 1024 * 1024;
  limits.high_watermark_percent = 17;
  set_limits(proxy, limits);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});
  const auto echo_port = proxy.add_gateway("vpn-a", {node_address, service_port + 1});
  const auto held = [&] { return proxy.counters().tcp.memory_buffered_bytes; };

  Client oldest(small_window_socket(16 * 1024), port);
  REQUIRE(wait_until([&] { return held() >= 400 * 1024; }));
  Client second(small_window_socket(16 * 1024), port);
  REQUIRE(wait_until([&] { return held() >= 800 * 1024; }));
  Client newest(small_window_socket(16 * 1024), port);
  REQUIRE(wait_until([&] { return proxy.counters().tcp.memory_overload_episodes >= 1; }));
  // Nobody reads: only the grace shed can end this overload.
  REQUIRE(wait_until([&] {
    const auto c = proxy.counters().tcp;
    return c.cx_shed >= 1 && c.memory_overloaded == 0;
  }));
  const auto c = proxy.counters().tcp;
  CHECK(c.cx_shed == 1);
  CHECK(c.memory_buffered_bytes_peak <= limits.memory_budget);  // never past the budget
  CHECK(newest.read_to_eof() < 0);                              // the newest went first

  // A new client is served again.
  Client fresh(echo_port);
  CHECK(echo_round_trip(fresh, 256 * 1024, 11));
  // The older connections were not shed: they go on to the end once their clients read.
  CHECK(reads_whole_pattern(oldest, 5, total));
  CHECK(reads_whole_pattern(second, 5, total));
  CHECK(proxy.counters().tcp.cx_shed == 1);
}

TEST_CASE("one source cannot hold more than its byte bound and another source is unaffected") {
  constexpr std::size_t total = 8 * 1024 * 1024;
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, send_pattern_then_close(5, total));
  libproxy::ProxyLimits limits;
  // Over one connection's whole window (~557 KiB charged), under two of them.
  limits.max_buffer_per_source = 640 * 1024;
  set_limits(proxy, limits);
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});
  const auto counters = [&] { return proxy.counters().tcp; };

  Client other(small_window_socket_from("127.0.0.2", 16 * 1024), port);
  REQUIRE(wait_until([&] { return counters().memory_buffered_bytes >= 400 * 1024; }));
  // Two non-reading clients of one address: the first holds at least 340 KiB (the other
  // source at most 580 KiB), so once the second's window fills too the source is past its
  // bound, and a connection of it that is charged more is reset.
  Client first(small_window_socket_from("127.0.0.1", 16 * 1024), port);
  REQUIRE(wait_until([&] { return counters().memory_buffered_bytes >= 900 * 1024; }));
  Client second(small_window_socket_from("127.0.0.1", 16 * 1024), port);
  REQUIRE(wait_until([&] { return counters().cx_source_buffer_limit >= 1; }));
  CHECK(counters().cx_shed == 0);
  // The other source holds its own window, under the bound, and is served to the end.
  CHECK(reads_whole_pattern(other, 5, total));
  CHECK(counters().cx_source_buffer_limit == 1);
}
