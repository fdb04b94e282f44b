#include "frame_route.hpp"

namespace libproxy::gsb {
namespace {

constexpr std::size_t ethernet_header = 14;
constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_arp = 0x0806;
// ARP for IPv4 over Ethernet: htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)
constexpr std::size_t arp_size = 28;
constexpr std::size_t arp_spa = 14;
constexpr std::size_t arp_tpa = 24;
constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t ipv4_source = 12;
constexpr std::size_t ipv4_destination = 16;

std::uint16_t read16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

asio::ip::address_v4 read_address(const std::uint8_t* p) {
  return asio::ip::address_v4({p[0], p[1], p[2], p[3]});
}

bool is_arp_for_ipv4(std::span<const std::uint8_t> frame) {
  if (frame.size() < ethernet_header + arp_size) return false;
  const std::uint8_t* arp = frame.data() + ethernet_header;
  return read16(arp + 2) == ethertype_ipv4 && arp[4] == 6 && arp[5] == 4;
}

bool is_ipv4(std::span<const std::uint8_t> frame) {
  return frame.size() >= ethernet_header + ipv4_min_header && (frame[ethernet_header] >> 4) == 4;
}

}  // namespace

FrameRoute route_frame(std::span<const std::uint8_t> frame) {
  FrameRoute route;
  if (frame.size() < ethernet_header) return route;
  const std::uint16_t type = read16(frame.data() + 12);
  if (type == ethertype_arp && is_arp_for_ipv4(frame)) {
    route.kind = FrameRoute::Kind::unicast;
    route.address = read_address(frame.data() + ethernet_header + arp_tpa);
  } else if (type == ethertype_ipv4 && is_ipv4(frame)) {
    route.address = read_address(frame.data() + ethernet_header + ipv4_destination);
    route.kind = route.address == asio::ip::address_v4::broadcast() ? FrameRoute::Kind::broadcast
                                                                    : FrameRoute::Kind::unicast;
  } else {
    return route;
  }
  if (frame[0] == 0xA0 && frame[1] == 0x13) route.mac_address = read_address(frame.data() + 2);
  return route;
}

std::optional<asio::ip::address_v4> frame_source(std::span<const std::uint8_t> frame) {
  if (frame.size() < ethernet_header) return std::nullopt;
  const std::uint16_t type = read16(frame.data() + 12);
  if (type == ethertype_arp && is_arp_for_ipv4(frame))
    return read_address(frame.data() + ethernet_header + arp_spa);
  if (type == ethertype_ipv4 && is_ipv4(frame))
    return read_address(frame.data() + ethernet_header + ipv4_source);
  return std::nullopt;
}

}  // namespace libproxy::gsb
