// The transport seam: a VpnLink carries whole Ethernet II frames between the proxy and one VPN.
//
// Implementations: TapLink (a Linux TAP device, for local networks, demos and tests); the Golem
// Service Bus transport (a later addition) plugs in here too. Everything runs on the io thread.
#pragma once

#include <cstdint>
#include <span>

namespace libproxy {

/// Frame and byte counts of one link, as seen by the proxy.
struct LinkCounters {
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_dropped = 0;  ///< could not be sent (link busy or down) or were malformed
  /// Frames larger than the MTU: TCP super-frames of a link with segmentation offload, received
  /// as the peer kernel made them, or sent as several segments joined into one.
  std::uint64_t super_frames_received = 0;
  std::uint64_t super_frames_sent = 0;
};

/// What a link knows of a received frame beyond its bytes.
struct FrameInfo {
  /// The frame's TCP or UDP checksum needs no check: the kernel behind a TAP device with
  /// offload made the packet itself (and may have left the checksum to the hardware) or has
  /// verified it already.
  bool checksum_trusted = false;
};

/// Whether a link carries frames now.
enum class LinkState {
  up,          ///< frames flow
  connecting,  ///< on its way up (say, its Service Bus addresses are being registered)
  down,        ///< frames cannot flow (the bus is unreachable, the device failed)
};
const char* to_string(LinkState state);

class VpnLink {
public:
  /// Where a link delivers the frames it receives.
  class Receiver {
  public:
    /// One whole Ethernet II frame (no FCS); the bytes are valid only during the call.
    virtual void on_frame(std::span<const std::uint8_t> frame, FrameInfo info) = 0;

  protected:
    ~Receiver() = default;
  };

  virtual ~VpnLink() = default;

  /// Starts delivering received frames to `receiver`, on the io thread, until stop().
  virtual void start(Receiver& receiver) = 0;

  /// Sends one frame. The bytes are valid only during the call. A link that cannot send now
  /// drops the frame, as a network card would, and counts the drop; TCP retransmits.
  virtual void send(std::span<const std::uint8_t> frame) = 0;

  /// Stops delivering frames; no Receiver call happens after it returns.
  virtual void stop() = 0;

  /// A snapshot of the link's counters.
  virtual LinkCounters counters() const = 0;

  virtual LinkState state() const { return LinkState::up; }

  /// Segmentation and checksum offload: the link may deliver IPv4 TCP frames of up to 64 KiB
  /// (the peer's segments, not yet cut to the MTU), and it completes the TCP checksum of every
  /// frame it sends (the stack leaves it to the link). Off for every link unless it says so.
  virtual bool segmentation_offload() const { return false; }
};

}  // namespace libproxy
