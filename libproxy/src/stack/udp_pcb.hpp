// UdpPcb: RAII around one lwIP UDP pcb in a VPN, "connected" to one service: datagrams go to
// the service from the pcb's own local port, and only the service's replies to that port come
// back. Larger datagrams than the VPN's MTU are fragmented and reassembled by lwIP.
#pragma once

#include <asio/ip/udp.hpp>

#include <cstdint>
#include <span>
#include <system_error>

struct udp_pcb;

namespace libproxy::stack {

class VpnInterface;

class UdpPcb {
public:
  /// Where the service's datagrams go; called from inside lwIP on the io thread. The bytes are
  /// valid only during the call, which must not destroy the UdpPcb.
  class Receiver {
  public:
    virtual void on_datagram(std::span<const std::uint8_t> datagram) = 0;

  protected:
    ~Receiver() = default;
  };

  explicit UdpPcb(Receiver& receiver) : receiver_(receiver) {}
  ~UdpPcb();
  UdpPcb(const UdpPcb&) = delete;
  UdpPcb& operator=(const UdpPcb&) = delete;

  /// Binds a fresh local port on `vpn`'s address and netif, and connects to `service`.
  std::error_code open(VpnInterface& vpn, const asio::ip::udp::endpoint& service);
  /// Sends one datagram to the service (fragmented if it is larger than the MTU).
  std::error_code send(std::span<const std::uint8_t> datagram);
  std::uint16_t local_port() const;

private:
  friend struct UdpPcbCallbacks;
  Receiver& receiver_;
  struct udp_pcb* pcb_ = nullptr;
};

}  // namespace libproxy::stack
