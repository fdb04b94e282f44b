#include "vpn_interface.hpp"

#include "stack.hpp"

#include <libproxy/error.hpp>

#include <lwip/etharp.h>
#include <lwip/ip4.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <netif/ethernet.h>

#include <asio/ip/network_v4.hpp>

#include <cstring>

namespace libproxy::stack {
namespace {

constexpr std::size_t ethernet_header_size = 14;
// The shortest frame worth parsing: an Ethernet header plus an ARP packet (28 bytes). lwIP 2.1.3
// reads ARP packets without checking their length (see third_party/lwip/patches).
constexpr std::size_t min_frame_size = ethernet_header_size + 28;

// netif->linkoutput: lwIP hands us a frame (maybe a pbuf chain) that it still owns and may
// retransmit from, so the link copies it out before we return.
err_t link_output(struct netif* nif, struct pbuf* p) {
  auto* vpn = static_cast<VpnInterface*>(nif->state);
  if (p->next == nullptr) {
    vpn->transmit({static_cast<const std::uint8_t*>(p->payload), p->len});
  } else {
    std::array<std::uint8_t, 1600> flat;
    if (p->tot_len > flat.size()) return ERR_BUF;
    const u16_t n = pbuf_copy_partial(p, flat.data(), p->tot_len, 0);
    vpn->transmit({flat.data(), n});
  }
  return ERR_OK;
}

err_t init_netif(struct netif* nif) {
  nif->name[0] = 'v';
  nif->name[1] = 'p';
  nif->output = etharp_output;
  nif->linkoutput = link_output;
  nif->hwaddr_len = ETH_HWADDR_LEN;
  // NETIF_FLAG_ETHARP comes after the netif is up (see the constructor).
  nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHERNET;
  return ERR_OK;
}

// True if `packet` (what follows the Ethernet header) starts with a well-formed IPv4 header
// that fits, and its total length neither cuts that header short nor runs past the frame
// (Ethernet padding may follow it). lwIP 2.1.3's ip4_input reads the header's fields before
// it checks that 20 bytes are there; this keeps every frame it sees within those bounds.
bool plausible_ipv4(std::span<const std::uint8_t> packet) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return false;
  const std::size_t header_size = std::size_t{packet[0] & 0x0Fu} * 4;
  const std::size_t total_size = std::size_t{packet[2]} << 8 | packet[3];
  return header_size >= 20 && header_size <= packet.size() && total_size >= header_size &&
         total_size <= packet.size();
}

ip4_addr_t to_lwip(const asio::ip::address_v4& a) {
  ip4_addr_t out;
  out.addr = lwip_htonl(a.to_uint());
  return out;
}

}  // namespace

std::array<std::uint8_t, 6> mac_for(const asio::ip::address_v4& address) {
  const auto b = address.to_bytes();
  return {0xA0, 0x13, b[0], b[1], b[2], b[3]};
}

Result<std::unique_ptr<VpnInterface>> VpnInterface::create(Stack& stack, const VpnConfig& config,
                                                           std::unique_ptr<VpnLink> link) {
  if (config.id.empty() || link == nullptr || config.prefix_length < 1 ||
      config.prefix_length > 32 || config.mtu < 576 || config.mtu > 1500 ||
      config.address.is_unspecified() || config.address.is_multicast() ||
      config.address == asio::ip::address_v4::broadcast())
    return make_error_code(errc::invalid_vpn_config);
  std::unique_ptr<VpnInterface> vpn(new VpnInterface(stack, config, std::move(link)));
  if (vpn->netif_ == nullptr) return make_error_code(errc::vpn_limit_reached);
  return vpn;
}

VpnInterface::VpnInterface(Stack& stack, const VpnConfig& config, std::unique_ptr<VpnLink> link)
    : stack_(stack),
      config_(config),
      link_(std::move(link)),
      netif_(std::make_unique<struct netif>()) {
  std::memset(netif_.get(), 0, sizeof(struct netif));
  const ip4_addr_t address = to_lwip(config.address);
  const ip4_addr_t netmask =
      to_lwip(asio::ip::make_network_v4(config.address, config.prefix_length).netmask());
  const ip4_addr_t gateway = {0};
  if (netif_add(netif_.get(), &address, &netmask, &gateway, this, init_netif, ethernet_input) ==
      nullptr) {
    netif_.reset();
    return;
  }
  netif_->mtu = config.mtu;
  // A link with offload completes TCP checksums itself (for super-frames it must anyway).
  if (link_->segmentation_offload())
    NETIF_SET_CHECKSUM_CTRL(netif_.get(), NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP);
  const auto mac = mac_for(config.address);
  std::memcpy(netif_->hwaddr, mac.data(), mac.size());
  netif_set_link_up(netif_.get());
  netif_set_up(netif_.get());
  // Only now enable ARP: lwIP announces an address with a gratuitous ARP when a netif with
  // ETHARP comes up, and a Golem VPN routes ARP by target address, which is our own here.
  netif_->flags |= NETIF_FLAG_ETHARP;
  link_->start(*this);
}

VpnInterface::~VpnInterface() {
  if (netif_ == nullptr) return;
  link_->stop();
  abort_bound_pcbs();
  // netif_remove() would also abort other VPNs' connections that share our local address
  // (lwIP matches pcbs by address only), so clear the address ourselves first.
  ip_addr_set_zero_ip4(&netif_->ip_addr);
  netif_remove(netif_.get());
}

void VpnInterface::abort_bound_pcbs() {
  const u8_t index = netif_get_index(netif_.get());
  for (tcp_pcb** list : {&tcp_active_pcbs, &tcp_tw_pcbs, &tcp_bound_pcbs}) {
    // tcp_abort unlinks the pcb, so rescan from the head after each one.
    for (tcp_pcb* pcb = *list; pcb != nullptr;) {
      if (pcb->netif_idx != index) {
        pcb = pcb->next;
        continue;
      }
      tcp_abort(pcb);
      pcb = *list;
    }
  }
}

void VpnInterface::transmit(std::span<const std::uint8_t> frame) {
  ++stack_.frame_counters().frames_sent;
  link_->send(frame);
}

void VpnInterface::on_frame(std::span<const std::uint8_t> frame, FrameInfo info) {
  auto& counters = stack_.frame_counters();
  ++counters.frames_received;
  // With offload, TCP super-frames of up to a whole IPv4 packet (65 535 bytes) and its header.
  const std::size_t max_frame = link_->segmentation_offload()
                                    ? ethernet_header_size + 0xFFFF
                                    : ethernet_header_size + 4 + netif_->mtu;
  if (frame.size() < min_frame_size || frame.size() > max_frame) {
    ++counters.frames_dropped;
    return;
  }
  // A pbuf holds at most 0xFFFF bytes: a larger (IPv4) super-frame enters without its Ethernet
  // header, straight at the IP layer, which is where ethernet_input() would hand it anyway.
  const bool ip_only = frame.size() > 0xFFFF;
  if (ip_only && (frame[12] != 0x08 || frame[13] != 0x00)) {
    ++counters.frames_dropped;
    return;
  }
  const bool ipv4 = frame[12] == 0x08 && frame[13] == 0x00;
  if (ipv4 && !plausible_ipv4(frame.subspan(ethernet_header_size))) {
    ++counters.ipv4_malformed_dropped;
    return;
  }
  if (ip_only) frame = frame.subspan(ethernet_header_size);
  struct pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame.size()), PBUF_RAM);
  if (p == nullptr) {
    ++counters.frames_dropped;
    return;
  }
  std::memcpy(p->payload, frame.data(), frame.size());
  // lwIP handles the frame within input(), so the relaxed checks last for this frame only.
  const u16_t checks = netif_->chksum_flags;
  if (info.checksum_trusted)
    NETIF_SET_CHECKSUM_CTRL(netif_.get(),
                            checks & ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP));
  const err_t err = ip_only ? ip4_input(p, netif_.get()) : netif_->input(p, netif_.get());
  if (err != ERR_OK) pbuf_free(p);
  NETIF_SET_CHECKSUM_CTRL(netif_.get(), checks);
  stack_.kick_timers();
}

}  // namespace libproxy::stack
