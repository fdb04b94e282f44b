// The Status API's metrics of a running golem-proxyd: known byte counts through gateways of two
// activities in two VPNs, checked exactly at the connection, gateway, activity, VPN and proxy
// levels; live rates; totals that outlive connections and gateways; and the Prometheus text,
// read by a real parser (Debian's python3-prometheus-client), against the JSON.
#include "../support/client.hpp"
#include "../support/netns.hpp"
#include "../support/service.hpp"
#include "api_daemon.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

std::string gateway_entry(const std::string& activity, const std::string& vpn,
                          const std::string& remote) {
  return R"({"requestorId":"0xreq","activityId":")" + activity + R"(","vpnId":")" + vpn +
         R"(","remoteId":"0xprov","remoteAddr":")" + remote + R"(","localAddr":"10.20.30.41/24"})";
}

struct Bandwidth {
  std::uint64_t in = 0, out = 0;
  double current_in = 0, current_out = 0, average_in = 0, average_out = 0, max_in = 0, max_out = 0;
};

Bandwidth bandwidth(const rapidjson::Value& b) {
  return {b["bytesReceived"].GetUint64(),      b["bytesSent"].GetUint64(),
          b["inbound"]["current"].GetDouble(), b["outbound"]["current"].GetDouble(),
          b["inbound"]["average"].GetDouble(), b["outbound"]["average"].GetDouble(),
          b["inbound"]["max"].GetDouble(),     b["outbound"]["max"].GetDouble()};
}

struct Metrics {
  explicit Metrics(ApiDaemon& api) : api_(api) {}
  // GET `path` (200 expected) as a Bandwidth; `path` answers a bare Bandwidth object.
  Bandwidth get(const std::string& path) {
    const auto res = api_.http->Get(path.c_str());
    REQUIRE(res);
    INFO(path << " -> " << res->body);
    REQUIRE(res->status == 200);
    const auto doc = parse(res->body);
    return bandwidth(doc);
  }
  Bandwidth activity(const std::string& id) {
    return get("/status-api/v1/metrics/activity/" + id + "/bandwidth");
  }
  Bandwidth vpn(const std::string& id) {
    return get("/status-api/v1/metrics/vpn/" + id + "/bandwidth");
  }
  Bandwidth proxy() { return get("/status-api/v1/metrics/bandwidth"); }

  ApiDaemon& api_;
};

// A client that sends `bytes`, half-closes and reads the echo back; returns what came back.
std::size_t echo_through(unsigned short port, std::size_t bytes) {
  Client client(port);
  client.send_all(std::string(bytes, 'e'));
  client.shutdown_send();
  std::string back;
  client.read_to_eof(&back);
  return back.size();
}

// Runs Debian's Prometheus parser on `text`; returns "name{label=value,...} value" per sample,
// labels sorted, one per line.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  char path[] = "/tmp/lp-prom-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  const std::string command =
      std::string("/usr/bin/python3 -c '") +
      "import sys\n"
      "from prometheus_client.parser import text_string_to_metric_families as parse\n"
      "for family in parse(open(sys.argv[1]).read()):\n"
      "  for s in family.samples:\n"
      "    labels = \",\".join(k + \"=\" + v for k, v in sorted(s.labels.items()))\n"
      "    print(s.name + \"{\" + labels + \"} \" + repr(float(s.value)))\n"
      "' " +
      path + " 2>&1";
  const auto result = run_command(command);
  ::unlink(path);
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  std::map<std::string, double> samples;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// golem-proxyctl's stdout for `args` against the daemon (exit status 0 required).
std::string ctl(const ApiDaemon& api, const std::string& args) {
  const auto result = run_command(std::string(GOLEM_PROXYCTL_PATH) + " --api http://127.0.0.1:" +
                                  std::to_string(api.port) + " " + args);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

}  // namespace

TEST_CASE("metrics count known bytes at every level and keep them") {
  require_root_and_tap();
  ApiDaemon api({"--rate-window", "200ms"});
  Metrics metrics(api);
  Netns node_a("ma"), node_b("mb");

  // Activity act-a: two gateways into vpn-a (an echo and a talker); act-b: one into vpn-b.
  const auto port_a1 = free_port(), port_a2 = free_port(), port_b = free_port();
  const auto add = [&](unsigned short port, const std::string& activity, const std::string& vpn,
                       const std::string& remote) {
    const auto res = api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port),
                              gateway_entry(activity, vpn, remote));
    REQUIRE(res);
    REQUIRE(res->status == 201);
    return std::string(parse(res->body)["vpnLink"].GetString());
  };
  const auto link_a = add(port_a1, "act-a", "vpn-a", "10.20.30.40:7000");
  add(port_a2, "act-a", "vpn-a", "10.20.30.40:7001");
  const auto link_b = add(port_b, "act-b", "vpn-b", "10.20.30.40:7000");
  node_a.adopt_link(link_a, "10.20.30.40/24");
  node_b.adopt_link(link_b, "10.20.30.40/24");
  Service echo_a(node_a, 7000, echo);
  Service talker_a(node_a, 7001, send_pattern_then_close(3, 250000));
  Service echo_b(node_b, 7000, echo);

  // A connection that stays open shows its own numbers, live.
  {
    Client held(port_b);
    held.send_all(std::string(40000, 'h'));
    CHECK(held.read_exact(40000).size() == 40000);
    const auto res = api.http->Get("/status-api/v1/connections?activity=act-b");
    REQUIRE(res);
    const auto doc = parse(res->body);
    REQUIRE(doc["connections"].Size() == 1);
    const auto& c = doc["connections"][0];
    CHECK(std::string(c["vpnId"].GetString()) == "vpn-b");
    CHECK(std::string(c["state"].GetString()) == "open");
    const auto b = bandwidth(c["bandwidth"]);
    CHECK(b.in == 40000);
    CHECK(b.out == 40000);
    CHECK(parse(api.http->Get("/status-api/v1/connections?activity=act-a")->body)["connections"]
              .Size() == 0);
    CHECK(
        parse(api.http->Get("/status-api/v1/connections?vpn=vpn-b")->body)["connections"].Size() ==
        1);
  }
  CHECK(echo_through(port_a1, 100000) == 100000);
  {
    Client listener(port_a2);
    CHECK(listener.read_to_eof() == 250000);
  }

  // Every connection is closed; the totals stay (the last bytes count as soon as they move).
  REQUIRE(wait_until([&] {
    return api.http->Get("/status-api/v1/connections")->body == R"({"connections":[]})";
  }));
  auto a = metrics.activity("act-a"), b = metrics.activity("act-b");
  CHECK(a.in == 100000);
  CHECK(a.out == 350000);
  CHECK(b.in == 40000);
  CHECK(b.out == 40000);
  auto va = metrics.vpn("vpn-a"), vb = metrics.vpn("vpn-b");
  CHECK(va.in == 100000);
  CHECK(va.out == 350000);
  CHECK(vb.in == 40000);
  CHECK(vb.out == 40000);
  auto all = metrics.proxy();
  CHECK(all.in == 140000);
  CHECK(all.out == 390000);
  const auto activity_table = ctl(api, "metrics --activity act-a");
  CHECK(activity_table.find("97.7 KiB") != std::string::npos);   // 100000 in
  CHECK(activity_table.find("341.8 KiB") != std::string::npos);  // 350000 out
  CHECK(parse(ctl(api, "--json metrics --vpn vpn-b"))["bandwidth"]["bytesSent"].GetUint64() ==
        40000);
  CHECK(ctl(api, "metrics").find("380.9 KiB") != std::string::npos);  // 390000 out

  // Per gateway, in JSON.
  const auto proxy_metrics = parse(api.http->Get("/status-api/v1/metrics")->body);
  std::map<std::string, Bandwidth> by_gateway;
  for (const auto& g : proxy_metrics["byGateway"].GetArray())
    by_gateway[g["address"].GetString()] = bandwidth(g["bandwidth"]);
  const auto at = [](unsigned short port) { return "127.0.0.1:" + std::to_string(port); };
  CHECK(by_gateway.size() == 3);
  CHECK(by_gateway[at(port_a1)].in == 100000);
  CHECK(by_gateway[at(port_a1)].out == 100000);
  CHECK(by_gateway[at(port_a2)].in == 0);
  CHECK(by_gateway[at(port_a2)].out == 250000);
  CHECK(by_gateway[at(port_b)].in == 40000);
  CHECK(by_gateway[at(port_b)].out == 40000);
  CHECK(proxy_metrics["connections"]["total"].GetUint64() == 3);

  // Per gateway, in Prometheus; and everything Prometheus says matches the JSON.
  auto samples = parse_prometheus(api.http->Get("/metrics")->body);
  const auto gateway_sample = [&](unsigned short port, const char* activity, const char* vpn,
                                  const char* direction) {
    return samples.at(std::string("golem_proxy_gateway_traffic_bytes_total{activity=") + activity +
                      ",direction=" + direction + ",gateway=tcp/127.0.0.1:" + std::to_string(port) +
                      ",vpn=" + vpn + "}");
  };
  CHECK(gateway_sample(port_a1, "act-a", "vpn-a", "in") == 100000);
  CHECK(gateway_sample(port_a1, "act-a", "vpn-a", "out") == 100000);
  CHECK(gateway_sample(port_a2, "act-a", "vpn-a", "in") == 0);
  CHECK(gateway_sample(port_a2, "act-a", "vpn-a", "out") == 250000);
  CHECK(gateway_sample(port_b, "act-b", "vpn-b", "out") == 40000);
  CHECK(samples.at("golem_proxy_activity_traffic_bytes_total{activity=act-a,direction=out}") ==
        a.out);
  CHECK(samples.at("golem_proxy_vpn_traffic_bytes_total{direction=in,vpn=vpn-b}") == vb.in);
  CHECK(samples.at("golem_proxy_traffic_bytes_total{direction=in}") == all.in);
  CHECK(samples.at("golem_proxy_traffic_bytes_total{direction=out}") == all.out);
  CHECK(samples.at("golem_proxy_connections_total{}") == 3);
  CHECK(samples.at("golem_proxy_connections{}") == 0);
  CHECK(samples.at("golem_proxy_gateways{}") == 3);
  CHECK(samples.at("golem_proxy_activities_served_total{}") == 2);
  CHECK(samples.at("golem_proxy_vpn_link_up{vpn=vpn-a}") == 1);

  // A gateway goes: its activity's and VPN's totals stay, and so does the proxy's.
  REQUIRE(api.http->Delete(("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port_a2)).c_str())
              ->status == 204);
  a = metrics.activity("act-a");
  CHECK(a.out == 350000);
  CHECK(metrics.vpn("vpn-a").out == 350000);
  CHECK(metrics.proxy().out == 390000);
  const auto act_a = parse(api.http->Get("/status-api/v1/metrics/activity/act-a")->body);
  CHECK(act_a["gateways"].GetUint64() == 1);
  CHECK(act_a["connections"]["active"].GetUint64() == 0);
  CHECK(act_a["bandwidth"]["bytesSent"].GetUint64() == 350000);

  // Unknown ids are 404 with a JSON error.
  for (const char* path :
       {"/status-api/v1/metrics/activity/nobody",
        "/status-api/v1/metrics/activity/nobody/bandwidth", "/status-api/v1/metrics/vpn/nowhere",
        "/status-api/v1/metrics/vpn/nowhere/bandwidth"}) {
    const auto res = api.http->Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(error_code(res) == "not_found");
  }
}

TEST_CASE("current rates rise while bytes flow and fall back to 0 after") {
  require_root_and_tap();
  ApiDaemon api({"--rate-window", "200ms"});
  Metrics metrics(api);
  Netns node("mr");
  const auto port = free_port();
  const auto res = api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port),
                            gateway_entry("act-r", "vpn-r", "10.20.30.40:7000"));
  REQUIRE(res);
  REQUIRE(res->status == 201);
  node.adopt_link(parse(res->body)["vpnLink"].GetString(), "10.20.30.40/24");
  Service service(node, 7000, echo);

  Client client(port);
  std::atomic<bool> streaming{true};
  // Echo traffic in small steps until told to stop (at most 60 s, a guard against hangs).
  std::thread pump([&] {
    const std::string chunk(16 * 1024, 'r');
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (streaming && std::chrono::steady_clock::now() < deadline) {
      client.send_all(chunk);
      client.read_exact(chunk.size());
    }
  });
  const bool rising = wait_until([&] {
    const auto b = metrics.activity("act-r");
    return b.current_in > 0 && b.current_out > 0;
  });
  // While it flows the connection shows a current rate too.
  const auto connections = parse(api.http->Get("/status-api/v1/connections")->body);
  streaming = false;
  pump.join();
  REQUIRE(rising);
  REQUIRE(connections["connections"].Size() == 1);
  CHECK(bandwidth(connections["connections"][0]["bandwidth"]).in > 0);

  // Nothing moves now: within a few windows every current rate is 0 again.
  CHECK(wait_until([&] {
    const auto a = metrics.activity("act-r"), v = metrics.vpn("vpn-r"), p = metrics.proxy();
    return a.current_in == 0 && a.current_out == 0 && v.current_in == 0 && p.current_out == 0;
  }));
  for (const auto& b : {metrics.activity("act-r"), metrics.vpn("vpn-r"), metrics.proxy()}) {
    CHECK(b.max_in > 0);
    CHECK(b.max_in >= b.average_in);
    CHECK(b.max_out >= b.average_out);
    CHECK(b.in == b.out);  // an echo
  }
}

// Issue 12: ids that were not text broke /metrics and the status JSON for every tenant; an
// address with an embedded NUL was cut and accepted. Each is refused at input, nothing changes,
// and every page stays well-formed.
TEST_CASE("Gateway API refuses NUL and zones and ids that are not UTF-8 text") {
  ApiDaemon api;
  const auto path = "/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(free_port());
  const auto with = [](const std::string& field, const std::string& value) {
    std::string body = entry("net-utf8");
    const auto at = body.find("\"" + field + "\":\"") + field.size() + 4;
    return body.replace(at, body.find('"', at) - at, value);
  };
  const auto list_before = api.list();
  const auto probes_before = api.http->Get("/probe-api/v1/")->body;
  struct Case {
    std::string path, body, code;
  };
  const std::vector<Case> cases = {
      {path, with("remoteAddr", "10.20.30.40\\u0000evil:80"), "bad_field"},
      {path, with("activityId", "act\xff"), "bad_json"},
      {path, with("activityId", "act\xc0\x80"), "bad_json"},  // an overlong NUL
      {path, with("activityId", "a\\u0000b"), "bad_field"},
      {path, with("activityId", "a\\ud800b"), "bad_json"},  // a lone surrogate
      {path, with("requestorId", "line\\nbreak"), "bad_field"},
      {path, with("remoteId", "x\\u0085"), "bad_field"},  // a C1 control
      {path, with("vpnId", "net\\u00e9"), "bad_field"},
      {path, with("localAddr", "10.20.30.41\\u0000/24"), "bad_field"},
      {path, with("remoteAddr", "[fe80::1%eth0]:80"), "bad_field"},
      {"/gateway-api/v1/tcp/127.0.0.1%00:8080", entry("net-utf8"), "bad_address"},
      {"/gateway-api/v1/tcp/127.0.0.1%2500:8080", entry("net-utf8"), "bad_address"},
      {"/gateway-api/v1/tcp/[::1%25junk]:8080", entry("net-utf8"), "bad_address"},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    const auto result = api.post(c.path, c.body);
    REQUIRE(result);
    CHECK(result->status == 400);
    CHECK(error_code(result) == c.code);
    CHECK(api.list() == list_before);
    CHECK(api.http->Get("/probe-api/v1/")->body == probes_before);
  }
  // The error messages quote the input as printable ASCII, so every answer is valid JSON.
  rapidjson::Document strict;
  const auto status = api.http->Get("/status-api/v1/status");
  REQUIRE(status);
  strict.Parse<rapidjson::kParseValidateEncodingFlag>(status->body.c_str());
  CHECK_FALSE(strict.HasParseError());
}
