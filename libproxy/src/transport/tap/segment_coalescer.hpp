// SegmentCoalescer: what a TAP link with segmentation offload (IFF_VNET_HDR) sends in one io
// turn. Consecutive TCP segments of one flow, as lwIP emits them, are joined into super-frames
// of up to 64 KiB that the kernel cuts back into MTU-sized segments (TSO) or, for a local
// service, takes whole, as it would from GRO. Every TCP frame leaves with a virtio-net header
// asking the kernel to complete its checksum: the netif leaves TCP checksums to the link.
//
//   add(frame) ──▶ extends the last frame? (same flow, next sequence number, full segments,
//                  only ACK so far, under 64 KiB) ── yes ──▶ its payload is appended
//                          │ no
//                          ▼
//                  queued as a frame of its own
//   tail closed (PSH, FIN, SYN, not TCP) ──▶ the link drains at once; while the tail is a run
//                  of plain segments or a pure ACK, at the end of the io turn
//   drain(out) ──▶ each frame: IPv4 length and header checksum, TCP pseudo-header checksum,
//                  the virtio-net header (NEEDS_CSUM; GSO TCPV4 when it holds several segments)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace libproxy::transport {

/// The virtio-net header a TAP device with IFF_VNET_HDR puts before each frame (the layout of
/// <linux/virtio_net.h>, which C++ cannot include: it names a member "class").
struct VirtioNetHeader {
  static constexpr std::uint8_t needs_checksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t data_valid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
  static constexpr std::uint8_t gso_none = 0;        // VIRTIO_NET_HDR_GSO_NONE
  static constexpr std::uint8_t gso_tcpv4 = 1;       // VIRTIO_NET_HDR_GSO_TCPV4
  std::uint8_t flags = 0;
  std::uint8_t gso_type = gso_none;
  std::uint16_t hdr_len = 0;  // native byte order (little-endian hosts; see TUNSETVNETLE)
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
};
static_assert(sizeof(VirtioNetHeader) == 10);

/// One read from a TAP device with IFF_VNET_HDR: the virtio-net header, then the frame.
struct VnetFrame {
  VirtioNetHeader header;
  std::span<const std::uint8_t> frame;
  /// The kernel left the checksum to offload (NEEDS_CSUM) or checked it (DATA_VALID).
  bool checksum_trusted = false;
  /// A GSO super-frame: several segments' worth in one frame.
  bool super_frame = false;
};
/// Splits `read` into header and frame; false if it is shorter than the header.
bool parse_vnet_frame(std::span<const std::uint8_t> read, VnetFrame& out);

class SegmentCoalescer {
public:
  using Sink = std::function<void(const VirtioNetHeader& header, std::span<const std::uint8_t>,
                                  std::uint16_t segments)>;

  /// Queues a copy of one Ethernet frame, joined to the last one where it continues it.
  void add(std::span<const std::uint8_t> frame);
  /// Finishes every queued frame and hands each to `out`, in order; then the queue is empty.
  void drain(const Sink& out);
  bool empty() const { return frames_.empty(); }
  /// Whether the queue should wait for the end of the io turn: a later frame could still join
  /// the last one (full TCP segments carrying only ACK), or the last one is a pure ACK, which
  /// is rarely urgent. Otherwise (the end of a write, a handshake, not TCP) it is ready.
  bool tail_open() const;
  /// Bytes queued.
  std::size_t size() const { return buffer_.size(); }

private:
  struct Frame {
    std::size_t offset = 0;  // into buffer_
    std::size_t size = 0;
    bool tcp = false;  // IPv4 TCP, unfragmented; the fields below are set
    std::size_t ip_header = 0;
    std::size_t tcp_header = 0;
    std::size_t payload = 0;
    std::size_t segment_size = 0;  // the first segment's payload
    std::uint16_t segments = 1;
  };
  bool extend(Frame& last, std::span<const std::uint8_t> frame, const Frame& next);

  std::vector<std::uint8_t> buffer_;
  std::vector<Frame> frames_;
};

}  // namespace libproxy::transport
