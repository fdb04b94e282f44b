// Ethernet frames from a VPN peer into the stack: the real Proxy, VpnInterface and lwIP port
// (lwipopts.h, every lwIP assertion armed), behind an in-process link. Each input starts a
// fresh Proxy with a TCP listener (port 7000), a UDP pcb (7001) and an outbound TCP connection
// from lwIP to the peer (10.20.30.40:80), then runs a list of records:
//
//   0x00 LEN16 FIX FRAME   a frame through VpnInterface::on_frame (the daemon's input path)
//   0x01 LEN16 FIX CUTS FRAME
//                          the same frame as a pbuf chain straight into netif->input: CUTS
//                          picks where it is split (each piece an exact-size heap buffer)
//   0x02 N                 the clock moves N x 50 ms; lwIP's timers run
//   0x03 OP                the services act: take the data (tcp_recved), write, shut down,
//                          close, abort, send UDP, connect again
//
// FIX makes frames reach the interesting states without the fuzzer guessing numbers: bit 0
// sets the IPv4 header checksum, bit 1 adds the proxy's next sequence number (seen in its
// output) to the TCP acknowledgment field, bit 2 sets the TCP/UDP checksum, bit 3 says the link
// vouches for the checksum instead (offload), bit 4 points the TCP destination port at the
// outbound connection's local port. The seeds (corpus/stack_frames) are real handshakes.
#include "stack/stack.hpp"
#include "stack/vpn_interface.hpp"

#include <libproxy/proxy.hpp>

#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>

#include <asio/io_context.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

namespace {

constexpr std::uint16_t listen_port = 7000, udp_port = 7001, peer_service_port = 80;
std::uint32_t g_now_ms = 1;  // monotonic across inputs, like lwIP's timer list

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += get16(p + i);
  if (n % 2) sum += std::uint32_t{p[n - 1]} << 8;
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// The far end of the VPN: records the proxy's next TCP sequence number from what it sends.
class FuzzLink final : public libproxy::VpnLink {
public:
  void start(Receiver& receiver) override { receiver_ = &receiver; }
  void send(std::span<const std::uint8_t> f) override {
    ++frames_sent;
    if (f.size() < 14 + 20 + 20 || get16(&f[12]) != 0x0800 || f[14 + 9] != 6) return;
    const std::size_t ihl = std::size_t{f[14] & 0x0Fu} * 4, total = get16(&f[16]);
    if (ihl < 20 || total > f.size() - 14 || total < ihl + 20) return;
    const std::uint8_t* tcp = &f[14 + ihl];
    const std::size_t tcp_header = std::size_t{tcp[12]} >> 4 << 2;
    if (tcp_header < 20 || ihl + tcp_header > total) return;
    const std::uint8_t flags = tcp[13];
    proxy_next_seq = get32(tcp + 4) + static_cast<std::uint32_t>(total - ihl - tcp_header) +
                     ((flags & 0x03) != 0 ? 1 : 0);
  }
  void stop() override { receiver_ = nullptr; }
  libproxy::LinkCounters counters() const override { return {}; }
  void inject(std::span<const std::uint8_t> frame, libproxy::FrameInfo info) {
    if (receiver_ != nullptr) receiver_->on_frame(frame, info);
  }
  std::uint32_t proxy_next_seq = 0;
  std::size_t frames_sent = 0;

private:
  Receiver* receiver_ = nullptr;
};

// An exact-size heap pbuf: the payload is its own allocation, so ASan sees any read past it.
struct ExactPbuf {
  pbuf_custom custom;
  std::uint8_t* data;
};
void free_exact(pbuf* p) {
  auto* e = reinterpret_cast<ExactPbuf*>(p);
  std::free(e->data);
  delete e;
}
pbuf* exact_pbuf(const std::uint8_t* data, std::size_t size) {
  auto* e = new ExactPbuf{};
  e->data = static_cast<std::uint8_t*>(std::malloc(size == 0 ? 1 : size));
  std::memcpy(e->data, data, size);
  e->custom.custom_free_function = free_exact;
  return pbuf_alloced_custom(PBUF_RAW, static_cast<u16_t>(size), PBUF_REF, &e->custom, e->data,
                             static_cast<u16_t>(size));
}

// The services behind lwIP: they keep what they receive until told to take it.
struct Services {
  tcp_pcb* listener = nullptr;
  std::vector<tcp_pcb*> connections;  // accepted and outbound, until lwIP frees them
  udp_pcb* udp = nullptr;
  std::uint16_t outbound_port = 0;
  std::vector<std::pair<tcp_pcb*, pbuf*>> held;

  static err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* self = static_cast<Services*>(arg);
    if (p == nullptr) {
      tcp_shutdown(pcb, 0, 1);
      return ERR_OK;
    }
    self->held.emplace_back(pcb, p);
    return ERR_OK;
  }
  // lwIP freed a pcb (or will free one in TIME_WAIT without a word): forget_freed() drops
  // every pcb lwIP no longer lists as active, comparing pointers only.
  static void on_error(void*, err_t) {}
  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err) {
    if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
    static_cast<Services*>(arg)->adopt(pcb);
    return ERR_OK;
  }
  static err_t on_connected(void*, tcp_pcb*, err_t) { return ERR_OK; }
  static void on_udp(void*, udp_pcb* pcb, pbuf* p, const ip_addr_t* addr, u16_t port) {
    udp_sendto(pcb, p, addr, port);  // an echo service
    pbuf_free(p);
  }

  std::size_t held_bytes() const {
    std::size_t n = 0;
    for (const auto& entry : held) n += entry.second->tot_len;
    return n;
  }
  void adopt(tcp_pcb* pcb) {
    tcp_arg(pcb, this);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_error);
    connections.push_back(pcb);
  }
  void forget_freed() {
    std::vector<tcp_pcb*> alive;
    for (tcp_pcb* pcb : connections)
      for (tcp_pcb* p = tcp_active_pcbs; p != nullptr; p = p->next)
        if (p == pcb) alive.push_back(pcb);
    connections = alive;
  }
  void connect(struct netif* nif) {
    tcp_pcb* pcb = tcp_new();
    if (pcb == nullptr) return;
    tcp_bind_netif(pcb, nif);
    ip_addr_t peer = IPADDR4_INIT_BYTES(10, 20, 30, 40);
    adopt(pcb);
    if (tcp_connect(pcb, &peer, peer_service_port, on_connected) != ERR_OK) {
      connections.pop_back();
      tcp_abort(pcb);
      return;
    }
    outbound_port = pcb->local_port;
  }
  void act(std::uint8_t op, struct netif* nif) {
    forget_freed();
    tcp_pcb* pcb = connections.empty() ? nullptr : connections[(op >> 3) % connections.size()];
    switch (op & 7) {
      case 0:  // take everything received
        for (auto [c, p] : held) {
          if (std::find(connections.begin(), connections.end(), c) != connections.end())
            tcp_recved(c, p->tot_len);
          pbuf_free(p);
        }
        held.clear();
        break;
      case 1:
        if (pcb != nullptr && pcb->state == ESTABLISHED) {
          static const char text[1500] = "response";
          tcp_write(pcb, text, static_cast<u16_t>(1 + op * 5), TCP_WRITE_FLAG_COPY);
          tcp_output(pcb);
        }
        break;
      case 2:
        if (pcb != nullptr) tcp_shutdown(pcb, 0, 1);
        break;
      case 3:
        if (pcb != nullptr) {
          tcp_arg(pcb, nullptr);
          tcp_recv(pcb, nullptr);
          tcp_err(pcb, nullptr);
          if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
          std::erase(connections, pcb);
        }
        break;
      case 4:
        if (pcb != nullptr) {
          tcp_arg(pcb, nullptr);
          tcp_err(pcb, nullptr);
          std::erase(connections, pcb);
          tcp_abort(pcb);
        }
        break;
      case 5: {
        pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(op * 40), PBUF_RAM);
        if (p != nullptr) {
          std::memset(p->payload, 'u', p->len);
          ip_addr_t peer = IPADDR4_INIT_BYTES(10, 20, 30, 40);
          udp_sendto(udp, p, &peer, 5353);  // large ones leave fragmented
          pbuf_free(p);
        }
        break;
      }
      default:
        if (connections.size() < 8) connect(nif);
        break;
    }
  }
  void teardown() {
    forget_freed();
    for (auto& entry : held) pbuf_free(entry.second);
    held.clear();
    for (tcp_pcb* pcb : connections) {
      tcp_arg(pcb, nullptr);
      tcp_recv(pcb, nullptr);
      tcp_err(pcb, nullptr);
    }
    connections.clear();  // the VpnInterface aborts every pcb bound to its netif
    if (listener != nullptr) tcp_close(listener);
    if (udp != nullptr) udp_remove(udp);
  }
};

void fix_frame(std::vector<std::uint8_t>& f, std::uint8_t fix, const FuzzLink& link,
               const Services& services) {
  if (f.size() < 14 + 20 || get16(&f[12]) != 0x0800) return;
  std::uint8_t* ip = &f[14];
  const std::size_t ihl = std::size_t{ip[0] & 0x0Fu} * 4;
  if (ihl < 20 || 14 + ihl > f.size()) return;
  const std::size_t total = std::min<std::size_t>(get16(ip + 2), f.size() - 14);
  std::uint8_t* l4 = ip + ihl;
  const std::size_t l4_size = total > ihl ? total - ihl : 0;
  const bool tcp = ip[9] == 6 && l4_size >= 20, udp = ip[9] == 17 && l4_size >= 8;
  if (tcp && (fix & 2)) put32(l4 + 8, get32(l4 + 8) + link.proxy_next_seq);
  if (tcp && (fix & 16)) put16(l4 + 2, services.outbound_port);
  if ((tcp || udp) && (fix & 4)) {
    std::uint8_t* checksum = l4 + (tcp ? 16 : 6);
    put16(checksum, 0);
    std::uint32_t pseudo = sum16(ip + 12, 8) + ip[9] + static_cast<std::uint32_t>(l4_size);
    put16(checksum, fold(sum16(l4, l4_size, pseudo)));
  }
  if (fix & 1) {
    put16(ip + 10, 0);
    put16(ip + 10, fold(sum16(ip, ihl)));
  }
}

// The chain path skips VpnInterface, so it applies the interface's own promise first: a frame
// that reaches lwIP holds a whole Ethernet header and, for IPv4, a plausible IPv4 header in its
// first pbuf (see VpnInterface::on_frame). Everything after that may be cut anywhere.
void input_chain(struct netif* nif, std::span<const std::uint8_t> f, std::uint8_t cuts,
                 bool trusted) {
  if (f.size() < 42 || f.size() > 14 + 4 + nif->mtu) return;
  std::size_t first = 14;
  if (get16(&f[12]) == 0x0800) {
    const std::size_t ihl = std::size_t{f[14] & 0x0Fu} * 4, total = get16(&f[16]);
    if ((f[14] >> 4) != 4 || ihl < 20 || 14 + ihl > f.size() || total < ihl ||
        total > f.size() - 14)
      return;
    first = 14 + ihl;
  } else if (get16(&f[12]) == 0x0806) {
    first = 42;
  }
  std::vector<std::size_t> at{0};
  std::size_t next = first + (cuts & 0x0F) * 4u;  // 5: right after a fixed TCP header
  for (int i = 0; i < 1 + (cuts >> 6) && next < f.size(); ++i) {
    at.push_back(next);
    next += 1 + ((cuts >> 4) & 3) * 7;
  }
  at.push_back(f.size());
  pbuf* head = nullptr;
  for (std::size_t i = 0; i + 1 < at.size(); ++i) {
    pbuf* piece = exact_pbuf(&f[at[i]], at[i + 1] - at[i]);
    if (head == nullptr)
      head = piece;
    else
      pbuf_cat(head, piece);
  }
  const u16_t checks = nif->chksum_flags;
  if (trusted)
    NETIF_SET_CHECKSUM_CTRL(nif, checks & ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP));
  if (nif->input(head, nif) != ERR_OK) pbuf_free(head);
  NETIF_SET_CHECKSUM_CTRL(nif, checks);
}

std::vector<std::uint8_t> arp_request_from_peer() {
  std::vector<std::uint8_t> f(42, 0);
  std::memset(&f[0], 0xff, 6);
  const std::uint8_t peer_mac[6] = {0x90, 0x13, 10, 20, 30, 40};
  std::memcpy(&f[6], peer_mac, 6);
  put16(&f[12], 0x0806);
  put16(&f[14], 1);
  put16(&f[16], 0x0800);
  f[18] = 6, f[19] = 4;
  put16(&f[20], 1);
  std::memcpy(&f[22], peer_mac, 6);
  const std::uint8_t spa[4] = {10, 20, 30, 40}, tpa[4] = {10, 20, 30, 41};
  std::memcpy(&f[28], spa, 4);
  std::memcpy(&f[38], tpa, 4);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  libproxy::stack::use_manual_clock(&g_now_ms);
  Services services;  // outlives the proxy, whose teardown aborts pcbs that point at it
  asio::io_context io;
  libproxy::Proxy proxy(io);
  libproxy::StackLimits limits;
  limits.tcp_ooseq_max_pbufs = 64;  // small enough that inputs reach it
  limits.tcp_ooseq_max_bytes = 32 * 1024;
  limits.ip_reass_max_pbufs = 16;
  proxy.set_stack_limits(limits);
  auto owned = std::make_unique<FuzzLink>();
  FuzzLink& link = *owned;
  libproxy::VpnConfig config;
  config.id = "fuzz";
  config.address = asio::ip::make_address_v4("10.20.30.41");
  if (proxy.add_vpn(config, std::move(owned))) __builtin_trap();
  struct netif* nif = nullptr;
  for (struct netif* n = netif_list; n != nullptr; n = n->next) nif = n;  // the only one
  link.inject(arp_request_from_peer(), {});

  tcp_pcb* pcb = tcp_new();
  tcp_bind_netif(pcb, nif);
  tcp_bind(pcb, IP_ANY_TYPE, listen_port);
  services.listener = tcp_listen(pcb);
  tcp_arg(services.listener, &services);
  tcp_accept(services.listener, Services::on_accept);
  services.udp = udp_new();
  udp_bind_netif(services.udp, nif);
  udp_bind(services.udp, IP_ANY_TYPE, udp_port);
  udp_recv(services.udp, Services::on_udp, nullptr);
  services.connect(nif);

  std::span<const std::uint8_t> in(data, size);
  auto take = [&](std::size_t n) {
    const auto out = in.first(std::min(n, in.size()));
    in = in.subspan(out.size());
    return out;
  };
  while (!in.empty()) {
    const std::uint8_t op = take(1)[0];
    switch (op & 3) {
      case 0:
      case 1: {
        const auto len_bytes = take(2);
        if (len_bytes.size() < 2) break;
        const std::size_t len = get16(len_bytes.data()) % 1600;
        const auto fix = take(1);
        const auto cuts = (op & 3) == 1 ? take(1) : std::span<const std::uint8_t>{};
        const auto body = take(len);
        std::vector<std::uint8_t> frame(body.begin(), body.end());
        const std::uint8_t fix_bits = fix.empty() ? 0 : fix[0];
        fix_frame(frame, fix_bits, link, services);
        const bool trusted = (fix_bits & 8) != 0;
        if ((op & 3) == 0)
          link.inject(frame, {.checksum_trusted = trusted});
        else
          input_chain(nif, frame, cuts.empty() ? 0 : cuts[0], trusted);
        break;
      }
      case 2: {
        const auto n = take(1);
        g_now_ms += 50u * (n.empty() ? 1u : n[0]);
        sys_check_timeouts();
        break;
      }
      default: {
        const auto action = take(1);
        services.act(action.empty() ? 0 : action[0], nif);
        break;
      }
    }
    services.forget_freed();
  }
  // STACK_FRAMES_TRACE=1 shows where an input led (to check that a seed does what it says).
  static const bool trace = std::getenv("STACK_FRAMES_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "stack_frames: %zu frames out, %zu connections:", link.frames_sent,
                 services.connections.size());
    for (tcp_pcb* c : services.connections)
      std::fprintf(stderr, " %s(rcv_wnd %u, ooseq %s)", tcp_debug_state_str(c->state),
                   static_cast<unsigned>(c->rcv_wnd), c->ooseq != nullptr ? "yes" : "no");
    std::fprintf(stderr, "; %zu bytes held\n", services.held_bytes());
  }
  services.teardown();
  return 0;
}
