// Where a Golem VPN sends an Ethernet frame, read from the frame alone (the exe-unit's egress
// rules, ../shared/notes/golem-vpn.md §2.5), and which address sent it (for learning).
#pragma once

#include <asio/ip/address_v4.hpp>

#include <cstdint>
#include <optional>
#include <span>

namespace libproxy::gsb {

struct FrameRoute {
  enum class Kind {
    drop,       ///< too short, not IPv4 or ARP-for-IPv4
    unicast,    ///< to the node owning `address` (else the node owning `mac_address`)
    broadcast,  ///< IPv4 limited broadcast: every known node
  };
  Kind kind = Kind::drop;
  asio::ip::address_v4 address;  ///< ARP target IP, or IPv4 destination
  /// The IP in a destination MAC of the Golem form A0:13:a.b.c.d (the gateway rule), if any.
  std::optional<asio::ip::address_v4> mac_address;
};

FrameRoute route_frame(std::span<const std::uint8_t> frame);

/// The sender's IP: ARP sender address, or IPv4 source; nothing for other frames.
std::optional<asio::ip::address_v4> frame_source(std::span<const std::uint8_t> frame);

}  // namespace libproxy::gsb
