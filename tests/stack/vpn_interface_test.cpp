// A VPN interface seen through an in-process link: frames in, frames out, no root needed.
#include "stack/vpn_interface.hpp"

#include <libproxy/proxy.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

namespace {

using Frame = std::vector<std::uint8_t>;

// A VpnLink whose far end is the test: it records what the proxy sends and injects frames.
class TestLink final : public libproxy::VpnLink {
public:
  explicit TestLink(std::vector<Frame>& sent, bool offload = false)
      : sent_(sent), offload_(offload) {}
  bool segmentation_offload() const override { return offload_; }
  void start(Receiver& receiver) override { receiver_ = &receiver; }
  void send(std::span<const std::uint8_t> frame) override {
    sent_.emplace_back(frame.begin(), frame.end());
  }
  void stop() override { receiver_ = nullptr; }
  libproxy::LinkCounters counters() const override { return {}; }
  void inject(const Frame& frame, libproxy::FrameInfo info = {}) {
    receiver_->on_frame(frame, info);
  }

private:
  std::vector<Frame>& sent_;
  bool offload_;
  Receiver* receiver_ = nullptr;
};

const std::uint8_t peer_mac[6] = {0x90, 0x13, 10, 20, 30, 40};
const std::uint8_t proxy_mac[6] = {0xA0, 0x13, 10, 20, 30, 41};

void put16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const Frame& f, std::size_t at) {
  return static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
}

std::uint16_t internet_checksum(const std::uint8_t* data, std::size_t size, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < size; i += 2)
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (size % 2) sum += static_cast<std::uint32_t>(data[size - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

Frame ethernet(const std::uint8_t* dst, std::uint16_t type, std::size_t payload) {
  Frame f(14 + payload, 0);
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], peer_mac, 6);
  put16(f, 12, type);
  return f;
}

// "Who has 10.20.30.41? Tell 10.20.30.40."
Frame arp_request() {
  const std::uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Frame f = ethernet(broadcast, 0x0806, 28);
  put16(f, 14, 1);       // Ethernet
  put16(f, 16, 0x0800);  // IPv4
  f[18] = 6, f[19] = 4;
  put16(f, 20, 1);  // request
  std::memcpy(&f[22], peer_mac, 6);
  const std::uint8_t spa[4] = {10, 20, 30, 40}, tpa[4] = {10, 20, 30, 41};
  std::memcpy(&f[28], spa, 4);
  std::memcpy(&f[38], tpa, 4);
  return f;
}

// A TCP SYN from 10.20.30.40:40000 to 10.20.30.41:port.
Frame tcp_syn(std::uint16_t port) {
  Frame f = ethernet(proxy_mac, 0x0800, 40);
  std::uint8_t* ip = &f[14];
  ip[0] = 0x45;
  put16(f, 16, 40);
  ip[8] = 64, ip[9] = 6;
  const std::uint8_t src[4] = {10, 20, 30, 40}, dst[4] = {10, 20, 30, 41};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  put16(f, 24, internet_checksum(ip, 20));
  std::uint8_t* tcp = &f[34];
  put16(f, 34, 40000);
  put16(f, 36, port);
  tcp[7] = 1;          // seq 1
  tcp[12] = 5 << 4;    // header length 20
  tcp[13] = 0x02;      // SYN
  put16(f, 48, 8192);  // window
  std::uint32_t pseudo = (10 << 8 | 20) + (30 << 8 | 40) + (10 << 8 | 20) + (30 << 8 | 41) + 6 + 20;
  put16(f, 50, internet_checksum(tcp, 20, pseudo));
  return f;
}

struct Harness {
  asio::io_context io;
  libproxy::Proxy proxy{io};
  std::vector<Frame> sent_a, sent_b;
  TestLink* link_a = nullptr;
  TestLink* link_b = nullptr;

  TestLink* add(const std::string& id, std::vector<Frame>& sent, bool offload = false) {
    auto link = std::make_unique<TestLink>(sent, offload);
    auto* raw = link.get();
    libproxy::VpnConfig config;
    config.id = id;
    config.address = asio::ip::make_address_v4("10.20.30.41");
    REQUIRE_FALSE(proxy.add_vpn(config, std::move(link)));
    return raw;
  }
};

}  // namespace

TEST_CASE("the proxy's MAC in a VPN is A0:13 and its IPv4 address") {
  const auto mac = libproxy::stack::mac_for(asio::ip::make_address_v4("10.20.30.41"));
  CHECK(std::memcmp(mac.data(), proxy_mac, 6) == 0);
}

TEST_CASE("the interface answers ARP for its address with its A0:13 MAC") {
  Harness h;
  h.link_a = h.add("a", h.sent_a);
  h.link_a->inject(arp_request());
  REQUIRE(h.sent_a.size() == 1);
  const Frame& reply = h.sent_a[0];
  REQUIRE(reply.size() >= 42);
  CHECK(std::memcmp(&reply[0], peer_mac, 6) == 0);   // to the asker
  CHECK(std::memcmp(&reply[6], proxy_mac, 6) == 0);  // from A0:13:0a:14:1e:29
  CHECK(get16(reply, 12) == 0x0806);
  CHECK(get16(reply, 20) == 2);                       // ARP reply
  CHECK(std::memcmp(&reply[22], proxy_mac, 6) == 0);  // sender hardware address
  const std::uint8_t own_ip[4] = {10, 20, 30, 41};
  CHECK(std::memcmp(&reply[28], own_ip, 4) == 0);
}

TEST_CASE("runt and oversized frames are dropped and counted") {
  Harness h;
  h.link_a = h.add("a", h.sent_a);
  Frame runt = arp_request();
  runt.resize(20);  // an Ethernet header and six bytes of ARP
  h.link_a->inject(runt);
  h.link_a->inject(Frame(14 + 1220 + 4 + 1, 0));
  CHECK(h.sent_a.empty());
  const auto counters = h.proxy.counters().stack;
  CHECK(counters.frames_received == 2);
  CHECK(counters.frames_dropped == 2);
}

TEST_CASE("a SYN to a closed port is refused through the VPN it arrived on") {
  Harness h;
  h.link_a = h.add("a", h.sent_a);
  h.link_b = h.add("b", h.sent_b);  // same address, same range
  h.link_b->inject(arp_request());  // so that b knows where to send the answer
  h.link_a->inject(arp_request());
  h.sent_a.clear();
  h.sent_b.clear();

  // lwIP keeps its netifs newest first, so routing by address would pick b for both.
  for (auto* link : {h.link_a, h.link_b}) {
    h.sent_a.clear();
    h.sent_b.clear();
    link->inject(tcp_syn(4444));
    auto& arrival = link == h.link_a ? h.sent_a : h.sent_b;
    auto& other = link == h.link_a ? h.sent_b : h.sent_a;
    CHECK(other.empty());
    REQUIRE(arrival.size() == 1);
    const Frame& rst = arrival[0];
    CHECK(get16(rst, 12) == 0x0800);
    CHECK(rst[23] == 6);                // TCP
    CHECK((rst[34 + 13] & 0x04) != 0);  // RST
    CHECK(get16(rst, 36) == 40000);     // back to the sender's port
  }
}

TEST_CASE("with offload: a frame holding a whole IPv4 packet reaches the IP layer") {
  // 65 549 bytes: more than one pbuf holds, so the interface hands the IPv4 packet to lwIP
  // without its Ethernet header. A SYN carrying data to a closed port draws a RST.
  Harness h;
  h.link_a = h.add("a", h.sent_a, true);
  h.link_a->inject(arp_request());
  h.sent_a.clear();
  Frame syn = tcp_syn(4444);
  syn.resize(14 + 0xFFFF, 0x5A);
  put16(syn, 16, 0xFFFF);  // IPv4 total length
  put16(syn, 24, 0);
  put16(syn, 24, internet_checksum(&syn[14], 20));
  // The kernel vouches for the TCP checksum (offload), so it is not checked.
  h.link_a->inject(syn, {.checksum_trusted = true});
  REQUIRE(h.sent_a.size() == 1);
  CHECK((h.sent_a[0][34 + 13] & 0x04) != 0);  // RST
  // One byte more is no IPv4 packet: dropped and counted.
  const auto dropped = h.proxy.counters().stack.frames_dropped;
  syn.push_back(0);
  h.link_a->inject(syn, {.checksum_trusted = true});
  CHECK(h.proxy.counters().stack.frames_dropped == dropped + 1);
  CHECK(h.sent_a.size() == 1);
}

TEST_CASE("VPN configuration errors change nothing") {
  Harness h;
  std::vector<Frame> unused;
  libproxy::VpnConfig config;
  config.id = "bad";
  config.address = asio::ip::make_address_v4("10.20.30.41");
  config.mtu = 9000;
  CHECK(h.proxy.add_vpn(config, std::make_unique<TestLink>(unused)) ==
        libproxy::errc::invalid_vpn_config);
  config.mtu = 1220;
  config.prefix_length = 0;
  CHECK(h.proxy.add_vpn(config, std::make_unique<TestLink>(unused)) ==
        libproxy::errc::invalid_vpn_config);
  config.prefix_length = 24;
  config.address = asio::ip::address_v4::any();
  CHECK(h.proxy.add_vpn(config, std::make_unique<TestLink>(unused)) ==
        libproxy::errc::invalid_vpn_config);
  h.link_a = h.add("a", h.sent_a);
  config.id = "a";
  config.address = asio::ip::make_address_v4("10.9.9.9");
  CHECK(h.proxy.add_vpn(config, std::make_unique<TestLink>(unused)) == libproxy::errc::vpn_exists);
  CHECK(h.proxy.remove_vpn("nope") == libproxy::errc::unknown_vpn);

  libproxy::TcpGatewayConfig gateway;
  gateway.listen = {asio::ip::address_v4::loopback(), 0};
  gateway.vpn_id = "nope";
  gateway.service = {asio::ip::make_address_v4("10.20.30.40"), 80};
  CHECK(h.proxy.add_tcp_gateway(gateway).error() == libproxy::errc::unknown_vpn);
  gateway.vpn_id = "a";
  gateway.service = {asio::ip::make_address_v6("fd00::1"), 80};
  CHECK(h.proxy.add_tcp_gateway(gateway).error() == libproxy::errc::invalid_gateway_config);
  gateway.service = {asio::ip::make_address_v4("10.20.30.40"), 0};
  CHECK(h.proxy.add_tcp_gateway(gateway).error() == libproxy::errc::invalid_gateway_config);
  CHECK(h.proxy.tcp_gateways().empty());

  gateway.service = {asio::ip::make_address_v4("10.20.30.40"), 80};
  const auto added = h.proxy.add_tcp_gateway(gateway);
  REQUIRE(added);
  gateway.listen = added->bound;
  CHECK(h.proxy.add_tcp_gateway(gateway).error() == libproxy::errc::gateway_exists);
  CHECK(h.proxy.tcp_gateways().size() == 1);
}
