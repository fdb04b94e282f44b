// The Gateway API of a running golem-proxyd, through a real HTTP client.
#include "../support/client.hpp"
#include "../support/daemon_process.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/service.hpp"
#include "api_daemon.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace testing;

namespace {

constexpr unsigned short service_port = 7000;

}  // namespace

TEST_CASE("a gateway added through the API forwards into the VPN it joins until removed") {
  require_root_and_tap();
  ApiDaemon api;
  Netns node("api");
  const auto port = free_port();
  const std::string path = "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port);

  const auto added = api.post(path, entry("net-1"));
  REQUIRE(added);
  REQUIRE(added->status == 201);
  const auto gateway = parse(added->body);
  CHECK(std::string(gateway["vpnId"].GetString()) == "net-1");
  CHECK(std::string(gateway["localAddr"].GetString()) == "10.20.30.41/24");
  CHECK(std::string(gateway["remoteAddr"].GetString()) == "10.20.30.40:7000");
  const std::string link = gateway["vpnLink"].GetString();

  // The new VPN's TAP link goes into the node's namespace; a real service answers there.
  node.adopt_link(link, "10.20.30.40/24");
  Service service(node, service_port, echo);
  Client client(port);
  client.send_all("through the API");
  CHECK(client.read_exact(15) == "through the API");

  const auto got = api.http->Get(path.c_str());
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(std::string(parse(got->body)["requestorId"].GetString()) == "0xreq");
  const auto all = parse(api.list());
  REQUIRE(all.HasMember(("tcp/127.0.0.1:" + std::to_string(port)).c_str()));

  const auto removed = api.http->Delete(path.c_str());
  REQUIRE(removed);
  CHECK(removed->status == 204);
  std::uint8_t byte;
  CHECK(client.read_some({&byte, 1}) == -ECONNRESET);  // its connections are reset
  CHECK_THROWS(Client(port));                          // nothing listens there any more
  CHECK_THROWS(sh("ip -n " + node.name() + " link show " + link));  // the VPN was left
  CHECK(api.http->Get(path.c_str())->status == 404);
  CHECK(api.list() == "{}");

  // The address is free at once for a new gateway.
  CHECK(api.post(path, entry("net-1"))->status == 201);
}

TEST_CASE("with --tap-offload an API-made VPN carries TCP in super-frames") {
  require_root_and_tap();
  ApiDaemon api({"--tap-offload"});
  Netns node("apioff");
  const auto port = free_port();
  const auto added =
      api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port), entry("net-o"));
  REQUIRE(added);
  REQUIRE(added->status == 201);
  node.adopt_link(parse(added->body)["vpnLink"].GetString(), "10.20.30.40/24");
  Service service(node, service_port, echo);
  Client client(port);
  CHECK(echo_round_trip(client, 4 * 1024 * 1024, 3));

  const auto status = api.http->Get("/status-api/v1/status");
  REQUIRE(status);
  const auto json = parse(status->body);
  INFO(status->body);
  REQUIRE(json["vpnLinks"].Size() == 1);
  const auto& link = json["vpnLinks"][0];
  CHECK(link["offload"].GetBool());
  CHECK(link["superFramesReceived"].GetUint64() > 0);
  CHECK(link["superFramesSent"].GetUint64() > 0);
  CHECK(link["framesDropped"].GetUint64() == 0);
}

TEST_CASE("API errors answer with a JSON error and change nothing") {
  require_root_and_tap();
  const std::string tap = "gpe" + std::to_string(getpid() % 100000);
  ApiDaemon api({"--vpn", "known,tap=" + tap + ",address=10.20.30.41/24"});
  const auto port = free_port();
  const std::string path = "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port);
  // A known VPN needs no localAddr; media types are case-insensitive and may have parameters.
  REQUIRE(api.http->Post(path.c_str(), entry("known", false), "Application/JSON; charset=utf-8")
              ->status == 201);
  const std::string before = api.list();

  // A port some other process holds.
  asio::io_context io;
  asio::ip::tcp::acceptor other(io, {asio::ip::address_v4::loopback(), 0});
  const std::string taken =
      "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(other.local_endpoint().port());

  struct Case {
    std::string method, path, body, content_type;
    int status;
    std::string code;
  };
  const std::string big(70 * 1024, ' ');
  const std::vector<Case> cases = {
      {"POST", path, entry("known"), "application/json", 409, "gateway_exists"},
      {"POST", taken, entry("known"), "application/json", 409, "address_in_use"},
      {"POST", "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(free_port()),
       R"({"requestorId":"r","activityId":"a","vpnId":"known","remoteId":"p","remoteAddr":"10.20.30.40:7000","localAddr":"10.9.9.9/24"})",
       "application/json", 409, "vpn_address_mismatch"},
      {"POST", path, "{not json", "application/json", 400, "bad_json"},
      {"POST", path, "[]", "application/json", 400, "bad_json"},
      {"POST", path, R"({"requestorId":"r"})", "application/json", 400, "bad_field"},
      {"POST", "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(free_port()),
       R"({"requestorId":"r","activityId":"a","vpnId":"new","remoteId":"p","remoteAddr":"10.20.30.40:7000"})",
       "application/json", 400, "bad_field"},  // a new VPN needs localAddr
      {"POST", path,
       R"({"requestorId":"r","activityId":"a","vpnId":"known","remoteId":"p","remoteAddr":"10.20.30.40:0"})",
       "application/json", 400, "bad_field"},
      {"POST", path,
       R"({"requestorId":"r","activityId":"a","vpnId":"known","remoteId":"p","remoteAddr":"[fd00::1]:80"})",
       "application/json", 400, "bad_field"},
      {"POST", path,
       R"({"requestorId":"r","activityId":"a","vpnId":"known","remoteId":"p","remoteAddr":"224.0.0.1:80"})",
       "application/json", 400, "bad_field"},  // not unicast
      {"POST", path,
       R"({"requestorId":"r","activityId":"a","vpnId":"\u0000","remoteId":"p","remoteAddr":"10.20.30.40:80"})",
       "application/json", 400, "bad_field"},  // a NUL must not cut the string short
      {"POST", "/gateway-api/v1/sctp/127.0.0.1:9", entry("known"), "application/json", 400,
       "bad_protocol"},
      {"POST", "/gateway-api/v1/tcp/127.0.0.1:0", entry("known"), "application/json", 400,
       "bad_address"},
      {"POST", "/gateway-api/v1/tcp/127.0.0:80", entry("known"), "application/json", 400,
       "bad_address"},
      {"POST", "/gateway-api/v1/tcp/10.255.255.1:" + std::to_string(free_port()), entry("known"),
       "application/json", 400, "bad_address"},  // not an address of this machine
      {"POST", path, entry("known"), "text/plain", 415, "unsupported_media_type"},
      {"POST", path, big, "application/json", 413, "body_too_large"},
      {"POST", "/gateway-api/v1/udp/10.255.255.1:" + std::to_string(free_port()), entry("known"),
       "application/json", 400, "bad_address"},  // UDP too
      {"GET", "/gateway-api/v1/tcp/127.0.0.1:1", "", "", 404, "not_found"},
      {"DELETE", "/gateway-api/v1/tcp/127.0.0.1:1", "", "", 404, "not_found"},
      {"GET", "/no/such/route", "", "", 404, "no_route"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path << " " << c.body.substr(0, 120));
    httplib::Result result = c.method == "POST"
                                 ? api.http->Post(c.path.c_str(), c.body, c.content_type.c_str())
                             : c.method == "GET" ? api.http->Get(c.path.c_str())
                                                 : api.http->Delete(c.path.c_str());
    REQUIRE(result);
    CHECK(result->status == c.status);
    CHECK(error_code(result) == c.code);
    CHECK(result->get_header_value("Content-Type") == "application/json");
    CHECK(api.list() == before);
  }
}

TEST_CASE("a bearer token guards the API and is required off loopback") {
  require_root_and_tap();
  ApiDaemon api({"--api-token", "s3cret"});
  CHECK(api.http->Get("/gateway-api/v1/")->status == 401);
  CHECK(error_code(api.http->Get("/gateway-api/v1/")) == "unauthorized");
  CHECK(api.http->Get("/gateway-api/v1/", {{"Authorization", "Bearer wrong"}})->status == 401);
  CHECK(api.http->Get("/gateway-api/v1/", {{"Authorization", "Bearer s3cret"}})->status == 200);

  DaemonProcess open_api({GOLEM_PROXYD_PATH, "--api", "0.0.0.0:0"});
  CHECK(open_api.wait_for_line("ready").empty());  // it refuses to start
  const int status = open_api.wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
}

TEST_CASE("a second daemon cannot take the API port of a running one") {
  ApiDaemon first;
  DaemonProcess second({GOLEM_PROXYD_PATH, "--api", "127.0.0.1:" + std::to_string(first.port)});
  const bool started = !second.wait_for_line("ready").empty();
  const int status = started ? second.stop(SIGTERM) : second.wait();
  CHECK_FALSE(started);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(first.http->Get("/status-api/v1/status")->status == 200);
}

TEST_CASE("concurrent API calls from many threads while traffic flows") {
  require_root_and_tap();
  ApiDaemon api;
  Netns node("apiconc");
  const auto port = free_port();
  const auto added =
      api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port), entry("net-c"));
  REQUIRE(added->status == 201);
  node.adopt_link(parse(added->body)["vpnLink"].GetString(), "10.20.30.40/24");
  Service service(node, service_port, echo);

  std::atomic<bool> done{false};
  std::atomic<long> echoed{0};
  std::thread traffic([&] {
    Client client(port);
    std::vector<std::uint8_t> chunk(16 * 1024, 0x5a);
    while (!done) {
      client.send_all(chunk);
      if (client.read_exact(chunk.size()).size() == chunk.size()) echoed += chunk.size();
    }
  });
  std::atomic<int> failures{0};
  // Threads that ask the kernel for a free port at the same moment can be given the same one;
  // each port goes to one thread only.
  std::mutex ports_mutex;
  std::set<unsigned short> ports_taken;
  const auto unique_port = [&] {
    for (;;) {
      const auto candidate = free_port();
      std::lock_guard lock(ports_mutex);
      if (ports_taken.insert(candidate).second) return candidate;
    }
  };
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      httplib::Client http("127.0.0.1", api.port);
      for (int i = 0; i < 20; ++i) {
        const std::string path = "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(unique_port());
        auto post = http.Post(path.c_str(), entry("net-c"), "application/json");
        if (!post || post->status != 201) ++failures;
        auto get = http.Get(path.c_str());
        if (!get || get->status != 200) ++failures;
        auto del = http.Delete(path.c_str());
        if (!del || del->status != 204) ++failures;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  done = true;
  traffic.join();
  CHECK(failures == 0);
  CHECK(echoed > 0);
  CHECK(parse(api.list()).MemberCount() == 1);  // only the gateway carrying traffic is left
}

// Tenant isolation: a VPN is its requestor's. Another requestor's Entry naming it is refused
// and changes nothing; node ids compare in any case; a VPN from the command line is open to
// every requestor unless requestor= names its owner.
TEST_CASE("a VPN belongs to the requestor whose gateway joined it") {
  require_root_and_tap();
  const std::string owner = "0x" + std::string(40, 'a');
  const std::string owner_upper = "0x" + std::string(40, 'A');
  const std::string other = "0x" + std::string(40, 'b');
  const std::string tap_open = "gpo" + std::to_string(getpid() % 100000);
  const std::string tap_owned = "gpw" + std::to_string(getpid() % 100000);
  ApiDaemon api({"--vpn", "open," + std::string("tap=") + tap_open + ",address=10.20.31.41/24",
                 "--vpn", "owned,tap=" + tap_owned + ",address=10.20.32.41/24,requestor=" + owner});
  // localAddr only for the VPN made through the API; the command-line ones know theirs.
  const auto gateway_entry = [](const std::string& requestor, const std::string& vpn,
                                const std::string& remote_addr) {
    return R"({"requestorId":")" + requestor + R"(","activityId":"act","vpnId":")" + vpn +
           R"(","remoteId":"0xprov","remoteAddr":")" + remote_addr + R"(")" +
           (vpn == "api-vpn" ? R"(,"localAddr":"10.20.33.41/24"})" : "}");
  };
  const auto path = [] { return "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(free_port()); };

  // The owner's gateway joins a new VPN; the owner may add more, in any case of its node id.
  REQUIRE(api.post(path(), gateway_entry(owner, "api-vpn", "10.20.33.40:7000"))->status == 201);
  REQUIRE(api.post(path(), gateway_entry(owner_upper, "api-vpn", "10.20.33.40:7001"))->status ==
          201);
  const std::string before = api.list();
  const auto vpns = [&] {
    return parse(api.http->Get("/status-api/v1/status")->body)["vpns"].GetUint64();
  };
  const auto vpns_before = vpns();

  // Another requestor: not in that VPN, nor in a command-line VPN owned by someone else.
  for (const auto& body : {gateway_entry(other, "api-vpn", "10.20.33.40:7000"),
                           gateway_entry("not-a-node-id", "api-vpn", "10.20.33.99:22"),
                           gateway_entry(other, "owned", "10.20.32.40:7000")}) {
    INFO(body);
    const auto refused = api.post(path(), body);
    REQUIRE(refused);
    CHECK(refused->status == 409);
    CHECK(error_code(refused) == "vpn_owned_by_other_requestor");
    CHECK(api.list() == before);
    CHECK(vpns() == vpns_before);
  }

  // The owner of the command-line VPN may use it; a command-line VPN without requestor= takes
  // any requestor's gateways.
  const auto owned = api.post(path(), gateway_entry(owner, "owned", "10.20.32.40:7000"));
  REQUIRE(owned);
  CHECK(owned->status == 201);
  for (const auto& requestor : {owner, other}) {
    const auto open = api.post(path(), gateway_entry(requestor, "open", "10.20.31.40:7000"));
    REQUIRE(open);
    CHECK(open->status == 201);
  }

  // When its requestor's last gateway goes, the proxy leaves the VPN: it is nobody's any more.
  const auto listed = parse(before);
  for (const auto& gateway : listed.GetObject())
    REQUIRE(api.http->Delete(("/gateway-api/v1/" + std::string(gateway.name.GetString())).c_str())
                ->status == 204);
  CHECK(api.post(path(), gateway_entry(other, "api-vpn", "10.20.33.40:7000"))->status == 201);
}
