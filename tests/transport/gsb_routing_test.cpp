// The pure parts of the GSB transport: bus URLs, where a frame goes, and the node table.
#include "transport/gsb/bus_url.hpp"
#include "transport/gsb/frame_route.hpp"

#include <libproxy/gsb_link.hpp>

#include <catch2/catch.hpp>

#include <vector>

using libproxy::GsbNodeTable;
using libproxy::gsb::FrameRoute;
using libproxy::gsb::parse_bus_url;

namespace {

const auto ip = [](const char* text) { return asio::ip::make_address_v4(text); };

std::vector<std::uint8_t> ethernet(std::uint16_t type, std::size_t payload,
                                   std::vector<std::uint8_t> destination_mac = {2, 0, 0, 0, 0, 1}) {
  std::vector<std::uint8_t> frame(14 + payload, 0);
  std::copy(destination_mac.begin(), destination_mac.end(), frame.begin());
  frame[12] = static_cast<std::uint8_t>(type >> 8);
  frame[13] = static_cast<std::uint8_t>(type);
  return frame;
}

std::vector<std::uint8_t> ipv4(const char* source, const char* destination,
                               std::vector<std::uint8_t> mac = {2, 0, 0, 0, 0, 1}) {
  auto frame = ethernet(0x0800, 40, std::move(mac));
  frame[14] = 0x45;
  const auto s = ip(source).to_bytes(), d = ip(destination).to_bytes();
  std::copy(s.begin(), s.end(), frame.begin() + 26);
  std::copy(d.begin(), d.end(), frame.begin() + 30);
  return frame;
}

std::vector<std::uint8_t> arp(const char* sender, const char* target) {
  auto frame = ethernet(0x0806, 28, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  const std::uint8_t header[8] = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request
  std::copy(header, header + 8, frame.begin() + 14);
  const auto s = ip(sender).to_bytes(), t = ip(target).to_bytes();
  std::copy(s.begin(), s.end(), frame.begin() + 28);
  std::copy(t.begin(), t.end(), frame.begin() + 38);
  return frame;
}

}  // namespace

TEST_CASE("GSB URLs are unix paths or TCP host and port") {
  auto unix_url = parse_bus_url("unix:/tmp/yagna.sock");
  REQUIRE(unix_url);
  CHECK(unix_url->is_unix);
  CHECK(unix_url->path == "/tmp/yagna.sock");
  CHECK(parse_bus_url("unix:///run/y.sock")->path == "/run/y.sock");
  CHECK(parse_bus_url("unix:relative.sock")->path == "relative.sock");
  auto tcp = parse_bus_url("tcp://127.0.0.1:7464");
  REQUIRE(tcp);
  CHECK_FALSE(tcp->is_unix);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 7464);
  CHECK(parse_bus_url("tcp://localhost")->port == 7464);  // yagna's default port
  CHECK(parse_bus_url("10.0.0.1:9000")->port == 9000);    // a bare host:port is TCP
  CHECK(parse_bus_url("tcp://[::1]:7000")->host == "::1");
  for (const char* bad : {"", "unix:", "http://x:1", "tcp://:1", "tcp://h:0", "tcp://h:65536",
                          "tcp://h:x", "justahost", "tcp://[::1", "tcp://a:b:c", "h:"})
    CHECK_FALSE(parse_bus_url(bad));
}

TEST_CASE("frames are routed by ARP target or IPv4 destination") {
  auto route = libproxy::gsb::route_frame(arp("10.0.0.2", "10.0.0.3"));
  CHECK(route.kind == FrameRoute::Kind::unicast);
  CHECK(route.address == ip("10.0.0.3"));
  CHECK_FALSE(route.mac_address);

  route = libproxy::gsb::route_frame(ipv4("10.0.0.2", "10.0.0.7"));
  CHECK(route.kind == FrameRoute::Kind::unicast);
  CHECK(route.address == ip("10.0.0.7"));

  route = libproxy::gsb::route_frame(ipv4("10.0.0.2", "8.8.8.8", {0xA0, 0x13, 10, 0, 0, 1}));
  CHECK(route.address == ip("8.8.8.8"));
  CHECK(route.mac_address == ip("10.0.0.1"));  // the gateway rule: A0:13 + the owner's IP

  CHECK(libproxy::gsb::route_frame(ipv4("10.0.0.2", "255.255.255.255")).kind ==
        FrameRoute::Kind::broadcast);
  CHECK(libproxy::gsb::frame_source(arp("10.0.0.2", "10.0.0.3")) == ip("10.0.0.2"));
  CHECK(libproxy::gsb::frame_source(ipv4("10.0.0.9", "10.0.0.3")) == ip("10.0.0.9"));
}

TEST_CASE("frames that are not IPv4 or ARP for IPv4 go nowhere") {
  auto v6 = ethernet(0x86DD, 60);
  auto short_arp = arp("10.0.0.2", "10.0.0.3");
  short_arp.resize(30);
  auto arp_for_other_protocol = arp("10.0.0.2", "10.0.0.3");
  arp_for_other_protocol[16] = 0x86;
  auto not_version_4 = ipv4("10.0.0.2", "10.0.0.3");
  not_version_4[14] = 0x65;
  auto truncated_ipv4 = ipv4("10.0.0.2", "10.0.0.3");
  truncated_ipv4.resize(14 + 19);
  for (const auto& frame : {v6, short_arp, arp_for_other_protocol, not_version_4, truncated_ipv4,
                            std::vector<std::uint8_t>(13, 0), std::vector<std::uint8_t>{}}) {
    CHECK(libproxy::gsb::route_frame(frame).kind == FrameRoute::Kind::drop);
    CHECK_FALSE(libproxy::gsb::frame_source(frame));
  }
}

TEST_CASE("told nodes win over nodes learned from traffic") {
  GsbNodeTable table;
  const std::string a = "0x" + std::string(40, 'a'), b = "0x" + std::string(40, 'b');
  table.set(ip("10.0.0.3"), a, GsbNodeTable::Source::learned);
  CHECK(*table.find(ip("10.0.0.3")) == a);
  table.set(ip("10.0.0.3"), b, GsbNodeTable::Source::told);
  CHECK(*table.find(ip("10.0.0.3")) == b);
  table.set(ip("10.0.0.3"), a, GsbNodeTable::Source::learned);  // a spoofed source changes nothing
  CHECK(*table.find(ip("10.0.0.3")) == b);
  table.set(ip("10.0.0.3"), a, GsbNodeTable::Source::told);  // being told again does
  CHECK(*table.find(ip("10.0.0.3")) == a);

  table.set(ip("10.0.0.4"), a, GsbNodeTable::Source::told);
  table.set(ip("10.0.0.5"), b, GsbNodeTable::Source::learned);
  CHECK(table.nodes() == std::vector<std::string>{a, b});
  table.remove_node(a);
  CHECK(table.find(ip("10.0.0.3")) == nullptr);
  CHECK(table.find(ip("10.0.0.4")) == nullptr);
  CHECK(table.entries().size() == 1);
}

TEST_CASE("the node table is bounded as told entries evict learned ones and the rest is refused") {
  GsbNodeTable table(3);
  const std::string a = "0x" + std::string(40, 'a'), b = "0x" + std::string(40, 'b');
  CHECK(table.set(ip("10.0.0.1"), a, GsbNodeTable::Source::told));
  CHECK(table.set(ip("10.0.0.2"), a, GsbNodeTable::Source::learned));
  CHECK(table.set(ip("10.0.0.3"), b, GsbNodeTable::Source::learned));
  CHECK(table.size() == 3);
  // Full: nothing new is learned, whoever sends it.
  CHECK_FALSE(table.set(ip("10.0.0.4"), a, GsbNodeTable::Source::learned));
  CHECK(table.find(ip("10.0.0.4")) == nullptr);
  CHECK(table.refused() == 1);
  // Traffic takes no address from another node; a told entry does, full or not.
  CHECK_FALSE(table.set(ip("10.0.0.3"), a, GsbNodeTable::Source::learned));
  CHECK(*table.find(ip("10.0.0.3")) == b);
  CHECK(table.refused() == 1);  // not a refusal for room
  // A told entry takes a learned one's place.
  CHECK(table.set(ip("10.0.0.5"), b, GsbNodeTable::Source::told));
  CHECK(table.size() == 3);
  CHECK(*table.find(ip("10.0.0.5")) == b);
  CHECK(table.set(ip("10.0.0.6"), b, GsbNodeTable::Source::told));
  CHECK(table.size() == 3);
  // Only told entries left: a new one is refused too.
  CHECK_FALSE(table.set(ip("10.0.0.7"), b, GsbNodeTable::Source::told));
  CHECK(table.refused() == 2);
  CHECK(table.size() == 3);
  CHECK(table.find(ip("10.0.0.1")) != nullptr);
}

TEST_CASE("the node table knows which nodes it was told about") {
  GsbNodeTable table;
  const std::string a = "0x" + std::string(40, 'a'), b = "0x" + std::string(40, 'b');
  table.set(ip("10.0.0.2"), b, GsbNodeTable::Source::learned);
  CHECK_FALSE(table.is_told_node(b));  // learning makes no node a member
  table.set(ip("10.0.0.3"), a, GsbNodeTable::Source::told);
  table.set(ip("10.0.0.4"), a, GsbNodeTable::Source::told);
  CHECK(table.is_told_node(a));
  table.set(ip("10.0.0.3"), b, GsbNodeTable::Source::told);  // the address moves to b
  CHECK(table.is_told_node(a));
  CHECK(table.is_told_node(b));
  table.set(ip("10.0.0.4"), b, GsbNodeTable::Source::told);  // a's last told address goes
  CHECK_FALSE(table.is_told_node(a));
  table.remove_node(b);
  CHECK_FALSE(table.is_told_node(b));
  CHECK(table.size() == 0);
}
