// LinkBridge: two VpnLinks joined back to back. Every frame one link receives, the other sends.
// A VPN node with no stack of its own: for example a service node's GSB link joined to a TAP
// device, so that a real kernel answers for the node (examples/gsb_tap_bridge.cpp).
#pragma once

#include <libproxy/vpn_link.hpp>

#include <cassert>

namespace libproxy {

class LinkBridge {
public:
  /// Starts both links; they must outlive the bridge. Runs on the io thread. Neither link may
  /// have segmentation offload: frames pass as they are, and a link without offload could not
  /// carry a super-frame or complete a checksum left partial.
  LinkBridge(VpnLink& a, VpnLink& b) : to_b_(b), to_a_(a), a_(a), b_(b) {
    assert(!a.segmentation_offload() && !b.segmentation_offload());
    a_.start(to_b_);
    b_.start(to_a_);
  }
  /// Stops both links.
  ~LinkBridge() {
    a_.stop();
    b_.stop();
  }
  LinkBridge(const LinkBridge&) = delete;
  LinkBridge& operator=(const LinkBridge&) = delete;

private:
  class Forward final : public VpnLink::Receiver {
  public:
    explicit Forward(VpnLink& to) : to_(to) {}
    void on_frame(std::span<const std::uint8_t> frame, FrameInfo) override { to_.send(frame); }

  private:
    VpnLink& to_;
  };

  Forward to_b_;
  Forward to_a_;
  VpnLink& a_;
  VpnLink& b_;
};

}  // namespace libproxy
