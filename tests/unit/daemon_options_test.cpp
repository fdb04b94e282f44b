#include "endpoint.hpp"
#include "options.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using proxyd::parse_endpoint;
using proxyd::parse_options;

TEST_CASE("golem-proxyd parses VPNs and gateways and timeouts") {
  const auto options = parse_options(
      {"--vpn", "net1,tap=gp0,address=10.20.30.41/24,mtu=1400", "--gateway",
       "tcp:0.0.0.0:8080=net1,10.20.30.40:80", "--gateway", "tcp:9090=net1,10.20.30.40:9",
       "--connect-timeout", "250ms", "--idle-timeout", "60", "--max-connections", "10"});
  REQUIRE(options.vpns.size() == 1);
  CHECK(options.vpns[0].vpn.id == "net1");
  CHECK(options.vpns[0].tap_name == "gp0");
  CHECK(options.vpns[0].vpn.address.to_string() == "10.20.30.41");
  CHECK(options.vpns[0].vpn.prefix_length == 24);
  CHECK(options.vpns[0].vpn.mtu == 1400);
  REQUIRE(options.gateways.size() == 2);
  CHECK(options.gateways[0].listen.port() == 8080);
  CHECK(options.gateways[0].vpn_id == "net1");
  CHECK(options.gateways[0].service.address().to_string() == "10.20.30.40");
  CHECK(options.gateways[0].service.port() == 80);
  // A bare port binds the default public address; timeouts apply to every gateway.
  CHECK(options.gateways[1].listen.address().to_string() == "0.0.0.0");
  CHECK(options.gateways[1].timeouts.connect == std::chrono::milliseconds(250));
  CHECK(options.gateways[0].timeouts.idle == std::chrono::seconds(60));
  CHECK(options.gateways[1].max_connections == 10);
  CHECK(options.vpns[0].vpn.mtu == 1400);
}

TEST_CASE("golem-proxyd defaults the MTU to the Golem VM's 1220") {
  const auto options = parse_options({"--vpn", "n,tap=t,address=10.0.0.2/16"});
  CHECK(options.vpns[0].vpn.mtu == 1220);
  CHECK(options.vpns[0].vpn.prefix_length == 16);
  CHECK_FALSE(options.vpns[0].offload);
}

TEST_CASE("golem-proxyd opens a TAP device with offload when asked") {
  const auto options = parse_options({"--vpn", "n,tap=t,address=10.0.0.2/16,offload=on", "--vpn",
                                      "m,tap=u,address=10.0.1.2/16,offload=off"});
  CHECK(options.vpns[0].offload);
  CHECK_FALSE(options.vpns[1].offload);
  CHECK_FALSE(options.tap_offload);
  CHECK(parse_options({"--tap-offload"}).tap_offload);
}

TEST_CASE("golem-proxyd parses the Service Bus options") {
  const std::string node = "0x00000000000000000000000000000000000000Ab";
  const auto options =
      parse_options({"--transport", "gsb", "--gsb-url", "unix:/run/yagna.sock", "--node-id", node,
                     "--vpn", "n,address=10.0.0.2/24,peer=10.0.0.3@" + node, "--vpn",
                     "t,tap=gp1,address=10.1.0.2/24", "--gsb-start-timeout", "500ms"});
  CHECK(options.transport == proxyd::Transport::gsb);
  CHECK(options.gsb_url == "unix:/run/yagna.sock");
  CHECK(options.node_id == node);
  CHECK(options.gsb_start_timeout == std::chrono::milliseconds(500));
  REQUIRE(options.vpns.size() == 2);
  CHECK(options.vpns[0].tap_name.empty());  // over the transport
  REQUIRE(options.vpns[0].peers.size() == 1);
  CHECK(options.vpns[0].peers[0].first.to_string() == "10.0.0.3");
  CHECK(options.vpns[0].peers[0].second == node);
  CHECK(options.vpns[1].tap_name == "gp1");
  CHECK(parse_options({}).transport == proxyd::Transport::automatic);
}

TEST_CASE("golem-proxyd endpoints are ip:port or bracketed IPv6 and port or a bare port") {
  const auto any = asio::ip::address_v4::any();
  CHECK(parse_endpoint("127.0.0.1:80", any).address().to_string() == "127.0.0.1");
  CHECK(parse_endpoint("[::1]:443", any).address().to_string() == "::1");
  CHECK(parse_endpoint("[::1]:443", any).port() == 443);
  CHECK(parse_endpoint("8080", any).address() == asio::ip::address(any));
  CHECK_THROWS_AS(parse_endpoint("::1:443", any), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("1.2.3.4", any), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("1.2.3.4:65536", any), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("1.2.3:80", any), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("", any), std::invalid_argument);
}

TEST_CASE("golem-proxyd rejects bad options with a message") {
  const std::vector<std::vector<std::string_view>> bad = {
      {"--vpn"},
      {"--vpn", "n,tap=t"},                     // no address
      {"--vpn", "n,tap=,address=10.0.0.1/24"},  // empty tap
      {"--vpn", "n,address=10.0.0.1/24,peer=10.0.0.3"},
      {"--vpn", "n,address=10.0.0.1/24,peer=10.0.0.3@0xprov"},
      {"--vpn", "n,address=10.0.0.1/24,peer=fd00::3@0x0000000000000000000000000000000000000001"},
      {"--transport", "carrier-pigeon"},
      {"--node-id", "0x1234"},
      {"--gsb-start-timeout", "0"},
      {"--vpn", "n,tap=t,address=10.0.0.1"},  // no prefix
      {"--vpn", "n,tap=t,address=10.0.0.1/33"},
      {"--vpn", "n,tap=t,address=fd00::1/64"},
      {"--vpn", "n,tap=t,address=10.0.0.1/24,mtu=9000"},
      {"--vpn", "n,tap=t,address=10.0.0.1/24,colour=blue"},
      {"--vpn", "n,tap=t,address=10.0.0.1/24,offload=yes"},
      {"--vpn", "n,address=10.0.0.1/24,offload=on"},  // not a TAP device
      {"--vpn", ",tap=t,address=10.0.0.1/24"},
      {"--gateway", "udp:53=n,10.0.0.2:53"},
      {"--gateway", "tcp:0=n,10.0.0.2:80"},      // port 0
      {"--gateway", "tcp:8080=n,10.0.0.2"},      // no service port
      {"--gateway", "tcp:8080=n,[fd00::2]:80"},  // IPv6 service
      {"--gateway", "tcp:8080"},
      {"--idle-timeout", "-1"},
      {"--idle-timeout", "abc"},
      {"--max-connections", "0"},
      {"--frobnicate"},
  };
  for (const auto& args : bad) {
    INFO(args.back());
    CHECK_THROWS_AS(parse_options(args), std::invalid_argument);
  }
}

TEST_CASE("golem-proxyd parses a VPN's requestor and the Service Bus bounds") {
  const std::string node = "0x00000000000000000000000000000000000000Ab";
  const auto options =
      parse_options({"--vpn", "n,address=10.0.0.2/24,requestor=" + node, "--gsb-max-nodes", "64",
                     "--gsb-max-frame-bytes", "65536", "--gsb-max-queued-bytes", "131072"});
  REQUIRE(options.vpns.size() == 1);
  CHECK(options.vpns[0].requestor == node);
  CHECK(options.gsb_max_nodes == 64);
  CHECK(options.gsb_max_frame_bytes == 65536);
  CHECK(options.gsb_max_queued_bytes == 131072);
  const auto defaults = parse_options({"--vpn", "n,address=10.0.0.2/24"});
  CHECK(defaults.vpns[0].requestor.empty());  // the operator's VPN: open to any requestor
  CHECK(defaults.gsb_max_nodes == 4096);
  CHECK(defaults.gsb_max_frame_bytes == std::size_t{1} << 20);
  CHECK(defaults.gsb_max_queued_bytes == std::size_t{4} << 20);
  for (const std::vector<std::string_view>& bad : {
           std::vector<std::string_view>{"--vpn", "n,address=10.0.0.2/24,requestor=0xreq"},
           {"--gsb-max-nodes", "0"},
           {"--gsb-max-frame-bytes", "100"},
           {"--gsb-max-queued-bytes", "many"},
       }) {
    INFO(bad.back());
    CHECK_THROWS_AS(parse_options(bad), std::invalid_argument);
  }
}

TEST_CASE("golem-proxyd parses the management API's bounds") {
  const auto defaults = parse_options({}).api_limits;
  CHECK(defaults.max_header_bytes == 16 * 1024);
  CHECK(defaults.max_headers == 100);
  CHECK(defaults.request_timeout == std::chrono::seconds(10));
  CHECK(defaults.max_queued_requests == 64);
  const auto limits =
      parse_options({"--api-max-header-bytes", "4096", "--api-max-headers", "20",
                     "--api-request-timeout", "750ms", "--api-max-body-bytes", "2048",
                     "--api-max-pending", "32", "--api-workers", "2", "--api-queue", "8"})
          .api_limits;
  CHECK(limits.max_header_bytes == 4096);
  CHECK(limits.max_headers == 20);
  CHECK(limits.request_timeout == std::chrono::milliseconds(750));
  CHECK(limits.max_body_bytes == 2048);
  CHECK(limits.max_pending_connections == 32);
  CHECK(limits.workers == 2);
  CHECK(limits.max_queued_requests == 8);
  CHECK_THROWS_AS(parse_options({"--api-workers", "0"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_options({"--api-queue", "-1"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_options({"--api-max-header-bytes", "10"}), std::invalid_argument);
}

TEST_CASE("golem-proxyd refuses ids and addresses that are not clean text") {
  using namespace std::string_literals;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--vpn", "n\x01,tap=t,address=10.0.0.2/24"},
           {"--vpn", "n/x,tap=t,address=10.0.0.2/24"},
           {"--vpn", "n,tap=../t,address=10.0.0.2/24"},
           {"--vpn", "n,tap=a-name-over-15-bytes,address=10.0.0.2/24"},
           {"--gateway", "tcp:8080=n\x7f,10.20.30.40:80"},
           {"--api-token", "has space"},
           {"--api-token", "tab\there"},
           {"--gsb-url", "unix:/x\ny"},
           {"--public-address", "127.0.0.1%00"},
           {"--public-address", "::1%junk"},
           {"--api", "127.0.0.1%lo:7466"},
           {"--vpn",
            "n,address=10.0.0.2/24,peer=10.0.0.3%lo@0x00000000000000000000000000000000000000Ab"},
       }) {
    INFO(args[0] << " " << args[1]);
    const std::vector<std::string_view> views(args.begin(), args.end());
    CHECK_THROWS_AS(parse_options(views), std::invalid_argument);
  }
  // The message quotes what was wrong as printable ASCII.
  try {
    parse_options({"--transport", "t\x1b[31m"});
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("t\\x1b[31m") != std::string::npos);
  }
}

TEST_CASE("addresses take a zone only on an IPv6 link-local address of this machine") {
  CHECK(proxyd::parse_ip_address("fe80::1%lo").to_v6().scope_id() != 0);
  CHECK_THROWS_AS(proxyd::parse_ip_address("fe80::1%no-such-if0"), std::invalid_argument);
  CHECK_THROWS_AS(proxyd::parse_ip_address("::1%lo"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint(std::string("10.20.30.40\0evil:80", 19), {}),
                  std::invalid_argument);
  CHECK(proxyd::to_string(parse_endpoint("[fe80::1%lo]:80", {})) == "[fe80::1%lo]:80");
}
