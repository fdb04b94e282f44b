// A VpnLink over a Linux TAP device: the kernel on the other side of the device (usually in a
// network namespace, with real services in it) is the VPN peer.
#pragma once

#include <libproxy/vpn_link.hpp>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace libproxy {
namespace transport {
class SegmentCoalescer;
}

struct TapOptions {
  /// Segmentation and checksum offload (IFF_VNET_HDR with TUN_F_CSUM | TUN_F_TSO4): the kernel
  /// hands over its TCP segments uncut, up to 64 KiB, and takes the proxy's segments joined into
  /// such super-frames, each crossing the device in one system call instead of one per MTU.
  /// The kernel cuts them to the device's MTU where they leave the machine.
  bool offload = false;
};

class TapLink final : public VpnLink {
public:
  /// Creates (or attaches to) the TAP device `name` (IFF_TAP | IFF_NO_PI, non-blocking). An
  /// empty name lets the kernel pick one ("tap%d"). Needs CAP_NET_ADMIN. The device lives as
  /// long as the TapLink unless it was made persistent beforehand.
  static std::unique_ptr<TapLink> open(asio::io_context& io, const std::string& name,
                                       std::error_code& ec, TapOptions options = {});

  ~TapLink() override;

  /// The device's name, as the kernel reports it.
  const std::string& name() const { return name_; }

  void start(Receiver& receiver) override;
  void send(std::span<const std::uint8_t> frame) override;
  void stop() override;
  LinkCounters counters() const override { return counters_; }
  LinkState state() const override { return failed_ ? LinkState::down : LinkState::up; }
  bool segmentation_offload() const override { return coalescer_ != nullptr; }

private:
  TapLink(asio::io_context& io, int fd, std::string name, bool offload);
  void wait_readable();
  void read_frames();
  void write_frame(std::span<const std::uint8_t> frame);
  void flush_coalesced();

  asio::posix::stream_descriptor device_;
  std::string name_;
  Receiver* receiver_ = nullptr;
  std::vector<std::uint8_t> frame_buffer_;
  LinkCounters counters_;
  // With offload: this io turn's frames, sent when the turn ends (flush_coalesced).
  std::unique_ptr<transport::SegmentCoalescer> coalescer_;
  bool flush_posted_ = false;
  bool failed_ = false;  // a read failed: the device is gone
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace libproxy
