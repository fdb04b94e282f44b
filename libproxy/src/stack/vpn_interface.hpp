// VpnInterface: one lwIP Ethernet netif per VPN, joined to the VpnLink that carries its frames.
#pragma once

#include <libproxy/config.hpp>
#include <libproxy/result.hpp>
#include <libproxy/vpn_link.hpp>

#include <array>
#include <cstdint>
#include <memory>

struct netif;

namespace libproxy::stack {

class Stack;

/// The proxy's MAC address in a VPN: A0:13 followed by its IPv4 address (the Golem convention).
std::array<std::uint8_t, 6> mac_for(const asio::ip::address_v4& address);

class VpnInterface final : private VpnLink::Receiver {
public:
  /// Adds a netif for `config` (validated here) and starts `link`.
  static Result<std::unique_ptr<VpnInterface>> create(Stack& stack, const VpnConfig& config,
                                                      std::unique_ptr<VpnLink> link);
  /// Aborts every pcb bound to this netif (TIME_WAIT ones too), then removes the netif without
  /// disturbing other VPNs that use the same address, and stops the link.
  ~VpnInterface();
  VpnInterface(const VpnInterface&) = delete;
  VpnInterface& operator=(const VpnInterface&) = delete;

  const VpnConfig& config() const { return config_; }
  VpnLink& link() { return *link_; }
  const VpnLink& link() const { return *link_; }
  struct netif* raw() {
    return netif_.get();
  }

  /// Sends one frame that lwIP produced (called from netif->linkoutput).
  void transmit(std::span<const std::uint8_t> frame);

private:
  VpnInterface(Stack& stack, const VpnConfig& config, std::unique_ptr<VpnLink> link);
  void on_frame(std::span<const std::uint8_t> frame, FrameInfo info) override;
  void abort_bound_pcbs();

  Stack& stack_;
  VpnConfig config_;
  std::unique_ptr<VpnLink> link_;
  std::unique_ptr<struct netif> netif_;
};

}  // namespace libproxy::stack
