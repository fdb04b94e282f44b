// golem-proxyd on the Golem Service Bus: chosen by yagna's extension environment, VPNs joined
// and left through the Gateway API as registrations on the bus, the bus's state in the Status
// API; and a public TCP connection from golem-proxyd through three real yagna daemons.
#include "../support/client.hpp"
#include "../support/daemon_process.hpp"
#include "../support/data.hpp"
#include "../support/io_thread.hpp"
#include "../support/sb_router.hpp"
#include "../support/service.hpp"
#include "../support/yagna.hpp"
#include "transport/gsb/protocol.hpp"
#include "transport/gsb/typed.hpp"

#include <libproxy/gsb_client.hpp>

#include <httplib.h>
#include <rapidjson/document.h>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <future>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

const std::string proxy_node = "0x" + std::string(38, '0') + "aa";
const std::string service_node = "0x" + std::string(38, '0') + "bb";
const std::string vpn = "00112233445566778899aabbccddeeff";

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

// golem-proxyd started through env(1) with `environment` (NAME=VALUE...), API on a free port.
struct GsbDaemon {
  GsbDaemon(const std::vector<std::string>& environment, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"/usr/bin/env",  "-u", "GSB_URL",      "-u",
                                  "YAGNA_GSB_URL", "-u", "YAGNA_NODE_ID"};
    args.insert(args.end(), environment.begin(), environment.end());
    args.insert(args.end(), {GOLEM_PROXYD_PATH, "--api", "127.0.0.1:0"});
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<DaemonProcess>(args);
    gsb_line = process->wait_for_line("gsb ");
    port = api_port(*process);
    REQUIRE(port > 0);
    REQUIRE(process->wait_for_line("ready") == "ready\n");
    http = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  rapidjson::Document status() { return json(http->Get("/status-api/v1/status")->body); }
  // Every bound address, and whether the bus confirmed it.
  std::map<std::string, bool> bindings() {
    std::map<std::string, bool> out;
    const auto doc = status();
    for (const auto& binding : doc["gsb"]["bindings"].GetArray())
      out[binding["address"].GetString()] = binding["registered"].GetBool();
    return out;
  }

  std::unique_ptr<DaemonProcess> process;
  std::string gsb_line;
  int port = 0;
  std::unique_ptr<httplib::Client> http;
};

std::string free_gateway_path() {
  return "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(free_loopback_port());
}

std::string gateway_entry(const std::string& remote_id, const std::string& remote_addr,
                          const std::string& local_addr) {
  return R"({"requestorId":"0xreq","activityId":"act-1","vpnId":")" + vpn + R"(","remoteId":")" +
         remote_id + R"(","remoteAddr":")" + remote_addr + R"(","localAddr":")" + local_addr +
         R"("})";
}

// golem-proxyctl's output for `args` against the daemon.
std::string ctl(const GsbDaemon& daemon, const std::string& args) {
  const auto result = run_command(std::string(GOLEM_PROXYCTL_PATH) + " --api http://127.0.0.1:" +
                                  std::to_string(daemon.port) + " " + args + " 2>&1");
  REQUIRE(result.exit_code == 0);
  return result.out;
}

// A bare bus client that tries to register `address`; returns the router's reply code.
int try_register(const std::string& url, const std::string& address) {
  asio::io_context io;
  asio::local::stream_protocol::socket socket(io);
  socket.connect(url.substr(5));
  std::string out;
  libproxy::gsb::append_frame(out, libproxy::gsb::Hello{"probe", "1", std::string(16, 'p')});
  libproxy::gsb::append_frame(out, libproxy::gsb::RegisterRequest{address});
  asio::write(socket, asio::buffer(out));
  libproxy::gsb::FrameReader reader;
  for (;;) {
    std::uint8_t chunk[512];
    const auto n = socket.read_some(asio::buffer(chunk));
    reader.append({chunk, n});
    std::error_code ec;
    while (auto packet = reader.next(ec))
      if (auto* reply = std::get_if<libproxy::gsb::RegisterReply>(&*packet)) return reply->code;
    REQUIRE_FALSE(ec);
  }
}

}  // namespace

TEST_CASE("golem-proxyd takes the Service Bus inside yagna's extension environment") {
  SbRouter router;
  GsbDaemon daemon({"YAGNA_GSB_URL=" + router.url(), "YAGNA_NODE_ID=" + proxy_node}, {});
  CHECK(daemon.gsb_line == "gsb " + router.url() + " node " + proxy_node + "\n");
  auto status = daemon.status();
  CHECK(std::string(status["transport"].GetString()) == "gsb");
  CHECK(std::string(status["status"].GetString()) == "ok");
  CHECK(std::string(status["gsb"]["state"].GetString()) == "connected");
  CHECK(status["gsb"]["bindings"].GetArray().Size() == 0);

  // A gateway into a new VPN joins it on the bus: both addresses are registered there.
  const std::string raw = "/public/vpn/" + vpn + "/raw";
  const std::string control = "/public/vpn/" + vpn + "/VpnControl";
  auto added = daemon.http->Post(free_gateway_path().c_str(),
                                 gateway_entry(service_node, "10.7.0.3:80", "10.7.0.2/24"),
                                 "application/json");
  REQUIRE(added);
  INFO(added->body);
  REQUIRE(added->status == 201);
  const auto gateway = json(added->body);
  CHECK(std::string(gateway["vpnLink"].GetString()) == "gsb:" + raw);
  const std::string address = gateway["address"].GetString();
  REQUIRE(wait_until([&] {
    return daemon.bindings() == std::map<std::string, bool>{{raw, true}, {control, true}};
  }));
  CHECK(try_register(router.url(), raw) == 409);
  {
    // A stranger on the bus: its VpnControl is refused and its frames dropped, both counted in
    // the Status API and /metrics.
    const std::string stranger = "0x" + std::string(38, '0') + "ee";
    IoThread io;
    auto client = io.call([&] {
      libproxy::GsbClientConfig config;
      config.url = router.url();
      auto created = libproxy::GsbClient::create(io.io(), config).value();
      created->start();
      return created;
    });
    REQUIRE(wait_until([&] { return io.call([&] { return client->connected(); }); }));
    libproxy::gsb::VpnControl add;
    add.network_id = vpn;
    add.nodes = {{"10.7.0.3", stranger}};
    std::promise<std::pair<std::error_code, std::string>> replied;
    io.call([&] {
      client->call(stranger, control, libproxy::gsb::encode_vpn_control(add),
                   [&](std::error_code ec, std::string data) {
                     replied.set_value({ec, data});
                   });
    });
    auto reply = replied.get_future();
    REQUIRE(reply.wait_for(10s) == std::future_status::ready);
    const auto [ec, data] = reply.get();
    CHECK_FALSE(ec);
    CHECK(data.find("badRequest") != std::string::npos);
    const std::string frame(60, '\x08');
    REQUIRE(io.call([&] {
      return client->push(stranger, raw,
                          {reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()});
    }));
    REQUIRE(wait_until([&] {
      return daemon.status()["gsb"]["counters"]["framesFromStrangers"].GetUint64() == 1;
    }));
    const auto counted = daemon.status();
    CHECK(counted["gsb"]["counters"]["controlRefused"].GetUint64() == 1);
    CHECK(counted["gsb"]["counters"]["controlMessages"].GetUint64() == 0);
    const auto metrics = daemon.http->Get("/metrics")->body;
    CHECK(metrics.find("golem_proxy_gsb_vpn_control_total{result=\"refused\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.find("golem_proxy_gsb_frames_dropped_total{reason=\"stranger\"} 1\n") !=
          std::string::npos);
    io.call([&] { client.reset(); });
  }
  const auto table = ctl(daemon, "status");
  CHECK(table.find("gsb.state") != std::string::npos);
  CHECK(table.find(raw + " (registered)") != std::string::npos);

  // A remoteId that is not a node id cannot route frames: refused, nothing changes.
  auto bad =
      daemon.http->Post(free_gateway_path().c_str(),
                        gateway_entry("0xprov", "10.7.0.3:81", "10.7.0.2/24"), "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json(bad->body)["error"]["code"].GetString() == std::string("bad_field"));

  // The last gateway of the VPN goes: the proxy leaves the VPN and unregisters.
  auto removed = daemon.http->Delete(("/gateway-api/v1/tcp/" + address).c_str());
  REQUIRE(removed);
  CHECK(removed->status == 204);
  REQUIRE(wait_until([&] { return daemon.bindings().empty(); }));
  REQUIRE(wait_until([&] { return try_register(router.url(), raw) == 0; }));

  // The bus goes away: the daemon stays up, says so, and comes back with the bus.
  router.kill();
  REQUIRE(
      wait_until([&] { return std::string(daemon.status()["status"].GetString()) == "degraded"; }));
  router.start();
  REQUIRE(wait_until([&] { return std::string(daemon.status()["status"].GetString()) == "ok"; }));
}

TEST_CASE("golem-proxyd joins a VPN on the Service Bus from its command line") {
  SbRouter router;
  GsbDaemon daemon(
      {}, {"--transport", "gsb", "--gsb-url", router.url(), "--node-id", proxy_node, "--vpn",
           vpn + ",address=10.7.0.2/24,peer=10.7.0.3@" + service_node, "--gateway",
           "tcp:127.0.0.1:" + std::to_string(free_loopback_port()) + "=" + vpn + ",10.7.0.3:80"});
  const std::string raw = "/public/vpn/" + vpn + "/raw";
  REQUIRE(wait_until([&] {
    const auto bindings = daemon.bindings();
    return bindings.count(raw) == 1 && bindings.at(raw);
  }));
  CHECK(try_register(router.url(), raw) == 409);
}

TEST_CASE("golem-proxyd asks the identity service for its node id") {
  SbRouter router;
  // Stands in for yagna's identity service (the real one is in the yagna tests).
  IoThread io;
  auto identity = io.call([&] {
    libproxy::GsbClientConfig config;
    config.url = router.url();
    auto client = libproxy::GsbClient::create(io.io(), config).value();
    client->bind("/local/identity/Get", [](const libproxy::GsbIncoming&) {
      return libproxy::GsbReply{0, libproxy::gsb::encode_identity_reply(proxy_node)};
    });
    client->start();
    return client;
  });
  REQUIRE(wait_until([&] {
    return io.call([&] {
      const auto status = identity->status();
      return !status.bindings.empty() && status.bindings[0].registered;
    });
  }));
  GsbDaemon daemon({}, {"--transport", "gsb", "--gsb-url", router.url()});
  CHECK(daemon.gsb_line == "gsb " + router.url() + " node " + proxy_node + "\n");
  io.call([&] { identity.reset(); });
}

TEST_CASE("golem-proxyd exits 1 when the Service Bus is not there at start") {
  DaemonProcess daemon({"/usr/bin/env", "-u", "YAGNA_NODE_ID", GOLEM_PROXYD_PATH, "--transport",
                        "gsb", "--gsb-url", "unix:/nonexistent/yagna.sock", "--node-id", proxy_node,
                        "--gsb-start-timeout", "300ms", "--no-api"});
  const int status = daemon.wait();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
}

// The production path as far as it goes offline: the requestor (A) creates the network and
// adds the proxy's node (B) and the service node (C); golem-proxyd sits beside B, the service
// runs in a namespace behind C's GSB-to-TAP bridge; the hub is a ya-sb-router (central net).
TEST_CASE("a public TCP connection crosses golem-proxyd and three real yagna daemons") {
  require_yagna();
  require_root_and_tap();
  YagnaHub hub;
  YagnaDaemon a(hub, "a"), b(hub, "b"), c(hub, "c");
  const std::string net = create_network(a, "192.168.8.0/24");
  add_node(a, net, b.node_id(), "192.168.8.2");
  add_node(a, net, c.node_id(), "192.168.8.3");
  GsbTapNode service_node(GSB_TAP_BRIDGE_PATH, c, net, "192.168.8.3/24",
                          {{"192.168.8.2", b.node_id()}});
  Service service(service_node.netns(), 8000, echo);

  // As yagna would start it: the bus URL in the environment, the node id from the identity
  // service.
  GsbDaemon daemon({"YAGNA_GSB_URL=" + b.gsb_url()}, {});
  CHECK(daemon.gsb_line == "gsb " + b.gsb_url() + " node " + b.node_id() + "\n");
  auto added = daemon.http->Post(
      free_gateway_path().c_str(),
      R"({"requestorId":")" + a.node_id() + R"(","activityId":"act-1","vpnId":")" + net +
          R"(","remoteId":")" + c.node_id() +
          R"(","remoteAddr":"192.168.8.3:8000","localAddr":"192.168.8.2/24"})",
      "application/json");
  REQUIRE(added);
  REQUIRE(added->status == 201);
  const std::string address = json(added->body)["address"].GetString();
  const auto port = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
  REQUIRE(wait_until([&] {
    const auto bindings = daemon.bindings();
    return bindings.size() == 2 && bindings.begin()->second && bindings.rbegin()->second;
  }));

  constexpr std::size_t size = 256 * 1024;
  Client client(port);
  CHECK(echo_round_trip(client, size, 11));
  CHECK(service.stats().accepted == 1);
  const auto status = daemon.status();  // the Document owns what `counters` refers to
  const auto& counters = status["gsb"]["counters"];
  CHECK(counters["framesSent"].GetUint64() > size / 1180);
  CHECK(counters["framesReceived"].GetUint64() > 0);
}
