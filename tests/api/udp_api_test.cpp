// A UDP gateway through golem-proxyd's API: it takes over a UDP probe's socket, forwards each
// client's datagrams into the VPN in a flow of its own, and counts them exactly at every level.
#include "../support/netns.hpp"
#include "../support/udp.hpp"
#include "api_daemon.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

using namespace testing;
using namespace std::chrono_literals;

namespace {

std::uint64_t bytes(const rapidjson::Value& bandwidth, const char* direction) {
  return bandwidth[direction].GetUint64();
}

}  // namespace

TEST_CASE("a UDP gateway through the API replaces its probe and counts every byte") {
  require_root_and_tap();
  ApiDaemon api;
  Netns node("uapi");
  const auto port = free_port();
  const std::string address = "127.0.0.1:" + std::to_string(port);

  // Negotiation: a UDP probe answers the requestor with its token.
  REQUIRE(api.http
              ->Put(("/probe-api/v1/udp/" + address).c_str(),
                    R"({"requestorId":"0xreq","token":"udp-token"})", "application/json")
              ->status == 201);
  UdpClient client(port);
  client.send("0xreq");
  CHECK(client.receive() == "udp-token");
  const auto probe_bytes = client.bytes_sent();

  // Agreement: the gateway takes the probe's socket (the port is never free).
  const auto added = api.post("/gateway-api/v1/udp/" + address,
                              R"({"requestorId":"0xreq","activityId":"act-u","vpnId":"vpn-u",)"
                              R"("remoteId":"0xprov","remoteAddr":"10.20.30.40:5300",)"
                              R"("localAddr":"10.20.30.41/24"})");
  REQUIRE(added);
  INFO(added->body);
  REQUIRE(added->status == 201);
  CHECK(std::string(parse(added->body)["protocol"].GetString()) == "udp");
  CHECK(api.http->Get(("/probe-api/v1/udp/" + address).c_str())->status == 404);
  node.adopt_link(parse(added->body)["vpnLink"].GetString(), "10.20.30.40/24");
  UdpEcho echo(node, 5300);

  // Two clients, their own flows; every datagram comes back to the one that sent it.
  UdpClient other(port);
  for (int i = 0; i < 3; ++i) {
    CHECK(client.ask(std::string(1000, static_cast<char>('a' + i))));
    CHECK(other.ask(std::string(3000, static_cast<char>('k' + i))));  // fragmented in the VPN
  }
  const auto flows = parse(api.http->Get("/status-api/v1/connections?activity=act-u")->body);
  REQUIRE(flows["connections"].Size() == 2);
  std::uint64_t in = 0, out = 0;
  for (const auto& flow : flows["connections"].GetArray()) {
    CHECK(std::string(flow["protocol"].GetString()) == "udp");
    CHECK(std::string(flow["gateway"].GetString()) == address);
    in += bytes(flow["bandwidth"], "bytesReceived");
    out += bytes(flow["bandwidth"], "bytesSent");
  }
  // Exactly what the clients sent (ask() resends when a reply is slow: counted too), and the
  // echo of it.
  CHECK(in == client.bytes_sent() - probe_bytes + other.bytes_sent());
  CHECK(out == in);
  const auto activity = parse(api.http->Get("/status-api/v1/metrics/activity/act-u")->body);
  CHECK(bytes(activity["bandwidth"], "bytesReceived") == in);
  CHECK(bytes(activity["bandwidth"], "bytesSent") == out);
  CHECK(activity["connections"]["active"].GetUint64() == 2);
  const auto vpn = parse(api.http->Get("/status-api/v1/metrics/vpn/vpn-u/bandwidth")->body);
  CHECK(bytes(vpn, "bytesSent") == out);
  const auto prometheus = api.http->Get("/metrics")->body;
  CHECK(prometheus.find("golem_proxy_gateway_traffic_bytes_total{gateway=\"udp/" + address +
                        "\",activity=\"act-u\",vpn=\"vpn-u\",direction=\"out\"} " +
                        std::to_string(out)) != std::string::npos);

  // Removal ends the flows and frees the port; the totals stay.
  REQUIRE(api.http->Delete(("/gateway-api/v1/udp/" + address).c_str())->status == 204);
  CHECK(parse(api.http->Get("/status-api/v1/connections")->body)["connections"].Size() == 0);
  CHECK(bytes(parse(api.http->Get("/status-api/v1/metrics/activity/act-u/bandwidth")->body),
              "bytesSent") == out);
}
