// Bounded memory under a slow reader, many concurrent connections, and sustained churn past
// the TIME_WAIT period. Rates and counts here are loads to survive, not timings to assert.
#include "../support/client.hpp"
#include "../support/data.hpp"
#include "../support/proxy_fixture.hpp"
#include "../support/service.hpp"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace testing;
using namespace std::chrono_literals;
using asio::use_awaitable;

namespace {

constexpr unsigned short service_port = 7000;

// One request/response exchange and an orderly close, as a client would do it.
asio::awaitable<bool> exchange_once(asio::ip::tcp::endpoint gateway, int id) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  std::error_code ec;
  co_await socket.async_connect(gateway, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return false;
  const std::string request = "request " + std::to_string(id) + "\n";
  co_await asio::async_write(socket, asio::buffer(request),
                             asio::redirect_error(use_awaitable, ec));
  std::string reply(request.size(), '\0');
  if (!ec)
    co_await asio::async_read(socket, asio::buffer(reply), asio::redirect_error(use_awaitable, ec));
  co_return !ec && reply == request;
}

}  // namespace

TEST_CASE("a slow reader behind a fast service keeps the proxy's buffering bounded") {
  constexpr std::size_t total = 64 * 1024 * 1024;
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, send_pattern_then_close(3, total));
  const auto port = proxy.add_gateway("vpn-a", {node_address, service_port});

  Client client(port);
  const int small = 64 * 1024;
  setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

  // The client reads nothing yet. The proxy may hold one receive window of the service's
  // bytes, and must then stop the service by not reopening that window.
  REQUIRE(
      wait_until([&] { return proxy.counters().tcp.client_bound_bytes_buffered >= 256 * 1024; }));
  const auto stalled = proxy.counters().tcp;
  CHECK(stalled.bytes_to_client < total / 4);  // most of the 64 MiB is still in the service

  Checksum sum;
  std::vector<std::uint8_t> buffer(16 * 1024);
  long n;
  while ((n = client.read_some(buffer)) > 0) sum.add({buffer.data(), static_cast<std::size_t>(n)});
  CHECK(n == 0);
  CHECK(sum.size() == total);
  CHECK(sum.value() == pattern_checksum(3, total).value());

  const auto c = proxy.counters().tcp;
  // Never more than lwIP's receive window (512 KiB) waited in the proxy for the client.
  CHECK(c.client_bound_bytes_buffered_peak <= 512 * 1024);
  std::printf("slow reader: peak client-bound buffer %llu bytes for a %zu-byte transfer\n",
              static_cast<unsigned long long>(c.client_bound_bytes_buffered_peak), total);
}

TEST_CASE("1000 concurrent connections all complete") {
  // LIBPROXY_TEST_CONNECTIONS=N runs it with N connections. Client, proxy and service all
  // live in this process, so N needs 3 N descriptors: the hard limit decides how far it goes.
  const char* override = std::getenv("LIBPROXY_TEST_CONNECTIONS");
  const int connections = override != nullptr ? std::atoi(override) : 1000;
  const auto expected = static_cast<std::uint64_t>(connections);
  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const asio::ip::tcp::endpoint gateway{asio::ip::address_v4::loopback(),
                                        proxy.add_gateway("vpn-a", {node_address, service_port})};

  IoThread clients;
  std::atomic<int> connected{0}, succeeded{0}, finished{0};
  // Every client holds its connection open until all of them are established end to end;
  // the gate is a timer used as a condition variable (both live on the clients' thread).
  asio::steady_timer gate(clients.io(), asio::steady_timer::time_point::max());
  bool gate_open = false;
  clients.call([&] {
    for (int i = 0; i < connections; ++i) {
      asio::co_spawn(
          clients.io(),
          [&, i]() -> asio::awaitable<void> {
            asio::ip::tcp::socket socket(clients.io());
            std::error_code ec;
            co_await socket.async_connect(gateway, asio::redirect_error(use_awaitable, ec));
            if (!ec) {
              ++connected;
              if (!gate_open) co_await gate.async_wait(asio::redirect_error(use_awaitable, ec));
              const std::string request = "request " + std::to_string(i) + "\n";
              co_await asio::async_write(socket, asio::buffer(request),
                                         asio::redirect_error(use_awaitable, ec));
              std::string reply(request.size(), '\0');
              if (!ec)
                co_await asio::async_read(socket, asio::buffer(reply),
                                          asio::redirect_error(use_awaitable, ec));
              if (!ec && reply == request) ++succeeded;
            }
            ++finished;
          },
          asio::detached);
    }
  });
  // All of them open at once: accepted by the proxy and by the service behind it.
  const bool all_open = wait_until(
      [&] {
        return proxy.counters().tcp.cx_active == expected && service.stats().active == connections;
      },
      120s);
  clients.call([&] {
    gate_open = true;
    gate.cancel();
  });
  {
    const auto c = proxy.counters();
    INFO("client connects: " << connected << ", proxy bridges: " << c.tcp.cx_active
                             << ", service connections: " << service.stats().active
                             << ", connect failures: " << c.tcp.upstream_cx_connect_fail
                             << ", connect timeouts: " << c.tcp.upstream_cx_connect_timeout
                             << ", overflow: " << c.tcp.downstream_cx_overflow);
    REQUIRE(all_open);
  }
  REQUIRE(wait_until([&] { return finished == connections; }, 120s));
  CHECK(connected == connections);
  CHECK(succeeded == connections);
  REQUIRE(wait_until([&] { return proxy.idle(); }, 60s));
  const auto c = proxy.counters().tcp;
  CHECK(c.downstream_cx_completed == expected);
  CHECK(c.upstream_cx_connect_fail + c.upstream_cx_connect_timeout + c.upstream_cx_reset == 0);
}

TEST_CASE("connection churn at 1000/s for longer than TIME_WAIT lasts: no connect fails") {
  // lwIP closes first on user teardown, so every connection leaves a TIME_WAIT pcb holding an
  // ephemeral port for 4 s (lwipopts.h). Run for 12 s so TIME_WAIT turns over three times.
  constexpr int rate_per_second = 1000;
  constexpr auto duration = 12s;
  const int connections = rate_per_second * static_cast<int>(duration.count());

  ProxyFixture proxy;
  auto& node = proxy.add_vpn_node("vpn-a");
  Service service(node, service_port, echo);
  const asio::ip::tcp::endpoint gateway{asio::ip::address_v4::loopback(),
                                        proxy.add_gateway("vpn-a", {node_address, service_port})};

  IoThread clients;
  std::atomic<int> started{0}, succeeded{0}, failed{0};
  clients.call([&] {
    asio::co_spawn(
        clients.io(),
        [&]() -> asio::awaitable<void> {
          asio::steady_timer pace(co_await asio::this_coro::executor);
          auto next = std::chrono::steady_clock::now();
          for (int i = 0; i < connections; ++i) {
            next += std::chrono::microseconds(1'000'000 / rate_per_second);
            pace.expires_at(next);
            co_await pace.async_wait(use_awaitable);
            ++started;
            asio::co_spawn(
                clients.io(),
                [&, i]() -> asio::awaitable<void> {
                  if (co_await exchange_once(gateway, i))
                    ++succeeded;
                  else
                    ++failed;
                },
                asio::detached);
          }
        },
        asio::detached);
  });
  REQUIRE(wait_until([&] { return succeeded + failed == connections; }, duration + 120s));
  const auto c = proxy.counters();
  std::printf("churn: %d connections, %d failed, %llu lwIP pcbs in TIME_WAIT at the end\n",
              connections, failed.load(),
              static_cast<unsigned long long>(c.stack.vnet_pcbs_time_wait));
  CHECK(failed == 0);
  CHECK(succeeded == connections);
  CHECK(c.tcp.upstream_cx_connect_fail == 0);
  CHECK(c.tcp.upstream_cx_connect_timeout == 0);
  // TIME_WAIT really filled up (about 4 s worth of connections, each holding its port), and
  // ports came back from it, without the pool running dry.
  CHECK(c.stack.vnet_pcbs_time_wait > 3'000);
  REQUIRE(wait_until([&] { return proxy.idle(); }, 60s));
}
