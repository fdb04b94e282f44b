#include "udp_pcb.hpp"

#include "lwip_error.hpp"
#include "stack.hpp"
#include "vpn_interface.hpp"

#include <libproxy/error.hpp>

#include <lwip/pbuf.h>
#include <lwip/udp.h>

#include <array>
#include <cstring>

namespace libproxy::stack {

struct UdpPcbCallbacks {
  // A datagram from the service, reassembled. We own `p`.
  static void recv(void* arg, struct udp_pcb*, struct pbuf* p, const ip_addr_t*, u16_t) {
    auto& self = *static_cast<UdpPcb*>(arg);
    // Reassembled datagrams are pbuf chains: copy into one buffer (the largest UDP payload).
    static std::array<std::uint8_t, 65536> flat;
    const u16_t length = pbuf_copy_partial(p, flat.data(), p->tot_len, 0);
    pbuf_free(p);
    self.receiver_.on_datagram({flat.data(), length});
  }
};

UdpPcb::~UdpPcb() {
  if (pcb_ != nullptr) udp_remove(pcb_);
}

std::error_code UdpPcb::open(VpnInterface& vpn, const asio::ip::udp::endpoint& service) {
  if (pcb_ != nullptr || !service.address().is_v4())
    return make_error_code(errc::invalid_gateway_config);
  pcb_ = udp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb_ == nullptr) return make_error_code(errc::stack_out_of_memory);
  // Bound to the VPN's netif, as TCP pcbs are: VPNs with overlapping ranges never mix.
  udp_bind_netif(pcb_, vpn.raw());
  ip_addr_t local;
  ip_addr_set_ip4_u32_val(local, lwip_htonl(vpn.config().address.to_uint()));
  err_t err = udp_bind(pcb_, &local, 0);  // 0: a free port from the ephemeral range
  if (err == ERR_OK) {
    ip_addr_t remote;
    ip_addr_set_ip4_u32_val(remote, lwip_htonl(service.address().to_v4().to_uint()));
    err = udp_connect(pcb_, &remote, service.port());
  }
  if (err != ERR_OK) {
    udp_remove(pcb_);
    pcb_ = nullptr;
    return err == ERR_USE ? make_error_code(errc::no_free_port) : lwip_error(err);
  }
  udp_recv(pcb_, UdpPcbCallbacks::recv, this);
  return {};
}

std::error_code UdpPcb::send(std::span<const std::uint8_t> datagram) {
  if (pcb_ == nullptr) return make_error_code(errc::invalid_gateway_config);
  struct pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(datagram.size()), PBUF_RAM);
  if (p == nullptr) return make_error_code(errc::stack_out_of_memory);
  std::memcpy(p->payload, datagram.data(), datagram.size());
  const err_t err = udp_send(pcb_, p);
  pbuf_free(p);
  Stack::current()->kick_timers();  // reassembly and ARP timers
  return err == ERR_OK ? std::error_code{} : lwip_error(err);
}

std::uint16_t UdpPcb::local_port() const { return pcb_ == nullptr ? 0 : pcb_->local_port; }

}  // namespace libproxy::stack
