// golem-proxyd as a user runs it: a subprocess with a VPN and a gateway from its command line,
// stopped by SIGTERM.
#include "../support/client.hpp"
#include "../support/daemon_process.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/service.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

using namespace testing;

namespace {

// A port that nothing on 127.0.0.1 holds right now (not even a TIME_WAIT socket), picked by
// the kernel.
unsigned short free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0}, false);
  return probe.local_endpoint().port();
}

}  // namespace

TEST_CASE("golem-proxyd forwards a gateway from its command line and stops cleanly on SIGTERM") {
  require_root_and_tap();
  Netns node("daemon");
  const std::string tap = "gpt" + std::to_string(getpid() % 100000);
  const unsigned short port = free_port();
  DaemonProcess daemon({GOLEM_PROXYD_PATH, "--api", "127.0.0.1:0", "--vpn",
                        "test,tap=" + tap + ",address=10.20.30.41/24", "--gateway",
                        "tcp:127.0.0.1:" + std::to_string(port) + "=test,10.20.30.40:7000"});
  REQUIRE(daemon.wait_for_line("ready") == "ready\n");
  node.adopt_link(tap, "10.20.30.40/24");
  Service service(node, 7000, banner_then_echo("hello"));

  {
    Client client(port);
    CHECK(client.read_exact(5) == "hello");
    client.send_all("abc");
    CHECK(client.read_exact(3) == "abc");
  }
  const int status = daemon.stop(SIGTERM);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Every socket is closed: nothing listens on the port, and the TAP device went with the
  // daemon's descriptor.
  CHECK_THROWS(Client(port));
  CHECK_THROWS(sh("ip -n " + node.name() + " link show " + tap));
}
