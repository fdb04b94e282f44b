// What a hostile VPN peer can send to the stack: malformed IPv4, floods of out-of-order TCP
// segments, and the two lwIP 2.1.3 bugs we patch (third_party/lwip/patches 0007 and 0008).
// Frames go straight into a VpnInterface through an in-process link; a raw lwIP listener
// stands in for a service so that connections reach ESTABLISHED with known sequence numbers.
#include "stack/vpn_interface.hpp"

#include <libproxy/proxy.hpp>

#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

namespace {

using Frame = std::vector<std::uint8_t>;

class TestLink final : public libproxy::VpnLink {
public:
  explicit TestLink(std::vector<Frame>& sent) : sent_(sent) {}
  void start(Receiver& receiver) override { receiver_ = &receiver; }
  void send(std::span<const std::uint8_t> frame) override {
    sent_.emplace_back(frame.begin(), frame.end());
  }
  void stop() override { receiver_ = nullptr; }
  libproxy::LinkCounters counters() const override { return {}; }
  // TCP checksums are vouched for (as a TAP link with offload does), so frames need none.
  void inject(const Frame& frame) { receiver_->on_frame(frame, {.checksum_trusted = true}); }

private:
  std::vector<Frame>& sent_;
  Receiver* receiver_ = nullptr;
};

const std::uint8_t peer_mac[6] = {0x90, 0x13, 10, 20, 30, 40};
const std::uint8_t proxy_mac[6] = {0xA0, 0x13, 10, 20, 30, 41};
constexpr std::uint16_t peer_port = 40000, service_port = 7000;

void put16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(Frame& f, std::size_t at, std::uint32_t v) {
  put16(f, at, static_cast<std::uint16_t>(v >> 16));
  put16(f, at + 2, static_cast<std::uint16_t>(v));
}
std::uint32_t get32(const Frame& f, std::size_t at) {
  return std::uint32_t{f[at]} << 24 | std::uint32_t{f[at + 1]} << 16 |
         std::uint32_t{f[at + 2]} << 8 | f[at + 3];
}

std::uint16_t ip_checksum(const std::uint8_t* data, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2)
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// An IPv4 TCP segment from the peer (10.20.30.40:40000) to the proxy (10.20.30.41:7000).
Frame tcp_segment(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::size_t payload,
                  const std::vector<std::uint8_t>& options = {}) {
  const std::size_t tcp_size = 20 + options.size();
  Frame f(14 + 20 + tcp_size + payload, 0x61);
  std::memcpy(&f[0], proxy_mac, 6);
  std::memcpy(&f[6], peer_mac, 6);
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  f[15] = 0;
  put16(f, 16, static_cast<std::uint16_t>(20 + tcp_size + payload));
  put16(f, 18, 0);
  put16(f, 20, 0);
  f[22] = 64, f[23] = 6;
  const std::uint8_t src[4] = {10, 20, 30, 40}, dst[4] = {10, 20, 30, 41};
  std::memcpy(&f[26], src, 4);
  std::memcpy(&f[30], dst, 4);
  put16(f, 24, 0);
  put16(f, 24, ip_checksum(&f[14], 20));
  put16(f, 34, peer_port);
  put16(f, 36, service_port);
  put32(f, 38, seq);
  put32(f, 42, ack);
  f[46] = static_cast<std::uint8_t>((tcp_size / 4) << 4);
  f[47] = flags;
  put16(f, 48, 0xFFFF);  // window
  put32(f, 50, 0);       // checksum (trusted) and urgent pointer
  std::copy(options.begin(), options.end(), f.begin() + 54);
  return f;
}

constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, ack = 0x10;

// "Who has 10.20.30.41?", so that the proxy knows the peer's MAC before it answers.
Frame arp_request() {
  Frame f(42, 0);
  std::memset(&f[0], 0xff, 6);
  std::memcpy(&f[6], peer_mac, 6);
  put16(f, 12, 0x0806);
  put16(f, 14, 1);
  put16(f, 16, 0x0800);
  f[18] = 6, f[19] = 4;
  put16(f, 20, 1);
  std::memcpy(&f[22], peer_mac, 6);
  const std::uint8_t spa[4] = {10, 20, 30, 40}, tpa[4] = {10, 20, 30, 41};
  std::memcpy(&f[28], spa, 4);
  std::memcpy(&f[38], tpa, 4);
  return f;
}

// A raw lwIP listener on the VPN's netif: accepts one connection, keeps every byte it receives
// (never calls tcp_recved, so the receive window only shrinks).
struct Service {
  tcp_pcb* listener = nullptr;
  tcp_pcb* connection = nullptr;
  std::size_t bytes = 0;
  bool closed = false;

  explicit Service(struct netif* nif) {
    tcp_pcb* pcb = tcp_new();
    REQUIRE(pcb != nullptr);
    tcp_bind_netif(pcb, nif);
    REQUIRE(tcp_bind(pcb, IP_ANY_TYPE, service_port) == ERR_OK);
    listener = tcp_listen(pcb);
    REQUIRE(listener != nullptr);
    tcp_arg(listener, this);
    tcp_accept(listener, on_accept);
  }
  static err_t on_accept(void* arg, tcp_pcb* newpcb, err_t) {
    auto* self = static_cast<Service*>(arg);
    self->connection = newpcb;
    tcp_arg(newpcb, self);
    tcp_recv(newpcb, on_recv);
    tcp_err(newpcb, on_error);
    return ERR_OK;
  }
  static err_t on_recv(void* arg, tcp_pcb*, pbuf* p, err_t) {
    auto* self = static_cast<Service*>(arg);
    if (p == nullptr) {
      self->closed = true;
      return ERR_OK;
    }
    self->bytes += p->tot_len;
    pbuf_free(p);
    return ERR_OK;
  }
  static void on_error(void* arg, err_t) { static_cast<Service*>(arg)->connection = nullptr; }
  ~Service() {
    if (connection != nullptr) {
      tcp_arg(connection, nullptr);
      tcp_err(connection, nullptr);
      tcp_abort(connection);
    }
    tcp_close(listener);
  }

  std::size_t ooseq_pbufs() const {
    std::size_t n = 0;
    for (const tcp_seg* seg = connection->ooseq; seg != nullptr; seg = seg->next)
      n += pbuf_clen(seg->p);
    return n;
  }
  std::size_t ooseq_bytes() const {
    std::size_t n = 0;
    for (const tcp_seg* seg = connection->ooseq; seg != nullptr; seg = seg->next)
      n += seg->p->tot_len;
    return n;
  }
};

struct Harness {
  std::vector<Frame> sent;  // outlives the proxy, whose teardown still sends RSTs
  asio::io_context io;
  libproxy::Proxy proxy{io};
  TestLink* link = nullptr;
  std::uint32_t peer_seq = 1000;  // the peer's next sequence number
  std::uint32_t proxy_seq = 0;    // the proxy's, learnt from its SYN-ACK

  Harness() {
    auto owned = std::make_unique<TestLink>(sent);
    link = owned.get();
    libproxy::VpnConfig config;
    config.id = "a";
    config.address = asio::ip::make_address_v4("10.20.30.41");
    REQUIRE_FALSE(proxy.add_vpn(config, std::move(owned)));
    link->inject(arp_request());
    sent.clear();
  }
  ~Harness() { proxy.set_stack_limits({}); }

  struct netif* netif() {
    for (struct netif* nif = netif_list; nif != nullptr; nif = nif->next)
      if (nif->state != nullptr) return nif;
    FAIL("no netif");
    return nullptr;
  }

  // SYN, SYN-ACK, ACK: the service's connection is ESTABLISHED, its window 65 535 bytes (no
  // window scaling asked for).
  void handshake(Service& service) {
    link->inject(tcp_segment(syn, peer_seq - 1, 0, 0));
    REQUIRE(!sent.empty());
    const Frame& syn_ack = sent.back();
    REQUIRE((syn_ack[47] & (syn | ack)) == (syn | ack));
    proxy_seq = get32(syn_ack, 38) + 1;
    link->inject(tcp_segment(ack, peer_seq, proxy_seq, 0));
    REQUIRE(service.connection != nullptr);
    REQUIRE(service.connection->state == ESTABLISHED);
  }
  void data(std::uint32_t seq, std::size_t size, std::uint8_t flags = ack) {
    link->inject(tcp_segment(flags, seq, proxy_seq, size));
  }
};

}  // namespace

TEST_CASE("malformed IPv4 is dropped and counted before lwIP and the stack still answers") {
  Harness h;
  Service service(h.netif());
  auto bad = [&](auto&& mutate) {
    Frame f = tcp_segment(syn, 1, 0, 0);
    mutate(f);
    h.link->inject(f);
  };
  bad([](Frame& f) { f[14] = 0x65; });      // version 6 in an IPv4 EtherType
  bad([](Frame& f) { f[14] = 0x44; });      // IHL 4: shorter than an IPv4 header
  bad([](Frame& f) { f[14] = 0x4F; });      // IHL 15: 60 bytes, more than the frame's 40
  bad([](Frame& f) { put16(f, 16, 19); });  // total length inside the header
  bad([](Frame& f) { put16(f, 16, 41); });  // total length past the frame
  bad([](Frame& f) {
    f.resize(14 + 28, 0);
    f[14] = 0x47;
  });  // IHL 7 in a 28-byte runt
  CHECK(h.proxy.counters().stack.ipv4_malformed_dropped == 6);
  CHECK(h.sent.empty());
  CHECK(service.connection == nullptr);

  // Ethernet padding after a well-formed packet is fine, and the stack still works.
  Frame padded = tcp_segment(syn, h.peer_seq - 1, 0, 0);
  padded.resize(padded.size() + 6, 0);
  h.link->inject(padded);
  REQUIRE(h.sent.size() == 1);
  CHECK((h.sent[0][47] & (syn | ack)) == (syn | ack));
  CHECK(h.proxy.counters().stack.ipv4_malformed_dropped == 6);
}

TEST_CASE("an out-of-order flood is held within the per-connection limits") {
  Harness h;
  libproxy::StackLimits limits;
  limits.tcp_ooseq_max_pbufs = 64;
  limits.tcp_ooseq_max_bytes = 48 * 100;
  h.proxy.set_stack_limits(limits);
  Service service(h.netif());
  h.handshake(service);

  // 1-byte segments, each after a 1-byte gap: every one is its own out-of-order segment.
  for (std::uint32_t i = 0; i < 2000; ++i) {
    h.data(h.peer_seq + 1 + 2 * i, 1);
    REQUIRE(service.ooseq_pbufs() <= limits.tcp_ooseq_max_pbufs);
  }
  CHECK(service.ooseq_pbufs() == limits.tcp_ooseq_max_pbufs);
  const auto dropped = h.proxy.counters().stack.tcp_ooseq_segments_dropped;
  CHECK(dropped == 2000u - limits.tcp_ooseq_max_pbufs);

  // 100-byte segments with gaps: now the byte limit is the one reached.
  REQUIRE(service.connection->ooseq != nullptr);
  for (std::uint32_t i = 0; i < 200; ++i) {
    h.data(h.peer_seq + 1 + 200 * i, 100);
    REQUIRE(service.ooseq_bytes() <= limits.tcp_ooseq_max_bytes);
    REQUIRE(service.ooseq_pbufs() <= limits.tcp_ooseq_max_pbufs);
  }
  CHECK(h.proxy.counters().stack.tcp_ooseq_segments_dropped > dropped);

  // The hole fills: what the queue kept is delivered, the connection goes on.
  h.data(h.peer_seq, 1);
  CHECK(service.bytes >= 2);
  CHECK(service.connection != nullptr);
  CHECK(service.connection->state == ESTABLISHED);
}

TEST_CASE("an out-of-order segment that overruns the window is trimmed (lwIP 574bd6e5)") {
  Harness h;
  Service service(h.netif());
  h.handshake(service);
  const std::uint32_t window = service.connection->rcv_wnd;
  REQUIRE(window == 0xFFFF);
  const std::uint32_t right_edge = h.peer_seq + window;

  // 10 bytes ending at the right edge, then a larger copy at the same sequence number that
  // replaces it and reaches 90 bytes past the window.
  h.data(right_edge - 10, 10);
  h.data(right_edge - 10, 100, ack | fin);
  REQUIRE(service.connection->ooseq != nullptr);
  CHECK(service.connection->ooseq->tcphdr->seqno + TCP_TCPLEN(service.connection->ooseq) ==
        right_edge);

  // Fill the window in order. Unpatched, the last step made lwIP assert (abort) or rcv_wnd
  // wrap around to about 4 GiB.
  const std::uint32_t chunk = 1180;
  for (std::uint32_t seq = h.peer_seq; seq < right_edge - 10;) {
    const std::uint32_t size = std::min(chunk, right_edge - 10 - seq);
    h.data(seq, size);
    seq += size;
  }
  REQUIRE(service.connection != nullptr);
  CHECK(service.bytes == window);
  CHECK(service.connection->rcv_wnd == 0);
  CHECK(service.connection->ooseq == nullptr);
  CHECK_FALSE(service.closed);  // the FIN lay outside the window: dropped with its bytes
}

TEST_CASE("TCP options cut off after a kind byte are parsed within the header (lwIP 3d896ba0)") {
  Harness h;
  Service service(h.netif());
  // Options NOP NOP NOP MSS-kind: the MSS option's length byte would be the first byte after
  // the header. The SYN is answered with the default MSS (1180 at MTU 1220).
  for (const std::uint8_t kind :
       {std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{4}, std::uint8_t{99}}) {
    h.sent.clear();
    Frame f = tcp_segment(syn, h.peer_seq - 1, 0, 0, {1, 1, 1, kind});
    h.link->inject(f);
    REQUIRE(h.sent.size() == 1);
    const Frame& reply = h.sent[0];
    REQUIRE((reply[47] & (syn | ack)) == (syn | ack));
    h.link->inject(tcp_segment(rst, h.peer_seq, 0, 0));
    service.connection = nullptr;
  }
}
