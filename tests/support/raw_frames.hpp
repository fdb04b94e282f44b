// Raw Ethernet frames on a VPN node's link, from inside its namespace: what a hostile node of
// the VPN can send the proxy without its kernel's TCP/IP in the way, and what it sees.
#pragma once

#include "netns.hpp"

#include <asio/ip/address_v4.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace testing {

/// One TCP segment seen on the link, as its header says.
struct SeenSegment {
  asio::ip::address_v4 source, destination;
  std::uint16_t source_port = 0, destination_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::array<std::uint8_t, 6> source_mac{}, destination_mac{};
};

class RawLink {
public:
  /// An AF_PACKET socket bound to `device` inside `node` (the proxy's TAP, moved there).
  RawLink(const Netns& node, const std::string& device);
  /// The same for `device` in the calling thread's namespace (a program run by ip netns exec,
  /// or a thread that entered one with setns).
  explicit RawLink(const std::string& device);
  ~RawLink();
  RawLink(const RawLink&) = delete;
  RawLink& operator=(const RawLink&) = delete;

  /// Sends one frame towards the proxy; false if the kernel refused it (a full queue, say).
  bool send(std::span<const std::uint8_t> frame);
  /// The next TCP segment in either direction, waiting up to `timeout_ms`.
  std::optional<SeenSegment> next_tcp(int timeout_ms);

private:
  RawLink(int packet_socket, const std::string& device);
  int fd_ = -1;
};

/// An Ethernet + IPv4 + TCP frame with correct checksums.
std::vector<std::uint8_t> tcp_frame(const SeenSegment& header,
                                    std::span<const std::uint8_t> payload,
                                    std::uint16_t window = 65535);

/// Frames no well-behaved node sends, addressed like `like`: noise, runts, lies about lengths,
/// bad headers (IPv4 and ARP).
std::vector<std::vector<std::uint8_t>> malformed_frames(const SeenSegment& like);

}  // namespace testing
