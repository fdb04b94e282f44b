// A TAP link with segmentation offload: what the kernel hands us (a virtio-net header, then a
// frame of up to a whole IPv4 packet, its checksum maybe left to offload) into a real
// VpnInterface whose link has offload; and what lwIP sends out, through the SegmentCoalescer
// that joins segments into super-frames. The input is a list of records:
//
//   0x00 LEN16 BYTES  a read from the device: parse_vnet_frame, then VpnInterface::on_frame
//   0x01 LEN16 BYTES  a frame lwIP emits: SegmentCoalescer::add
//   0x02              the io turn ends: SegmentCoalescer::drain
#include "stack/stack.hpp"
#include "stack/vpn_interface.hpp"
#include "transport/tap/segment_coalescer.hpp"

#include <libproxy/proxy.hpp>

#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

std::uint32_t g_now_ms = 1;

class OffloadLink final : public libproxy::VpnLink {
public:
  bool segmentation_offload() const override { return true; }
  void start(Receiver& receiver) override { receiver_ = &receiver; }
  void send(std::span<const std::uint8_t>) override {}
  void stop() override { receiver_ = nullptr; }
  libproxy::LinkCounters counters() const override { return {}; }
  void inject(std::span<const std::uint8_t> frame, libproxy::FrameInfo info) {
    if (receiver_ != nullptr) receiver_->on_frame(frame, info);
  }

private:
  Receiver* receiver_ = nullptr;
};

void drain(libproxy::transport::SegmentCoalescer& coalescer, std::size_t queued) {
  std::size_t out = 0;
  coalescer.drain([&](const libproxy::transport::VirtioNetHeader& header,
                      std::span<const std::uint8_t> frame, std::uint16_t segments) {
    out += frame.size();
    // A super-frame is one IPv4 packet at most, and says how the kernel must cut it.
    if (frame.size() > 14 + 0xFFFF || segments == 0) __builtin_trap();
    if (segments > 1 && (header.gso_type != header.gso_tcpv4 || header.gso_size == 0))
      __builtin_trap();
  });
  // Joining drops only repeated headers: never more bytes out than in.
  if (out > queued || !coalescer.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  libproxy::stack::use_manual_clock(&g_now_ms);
  asio::io_context io;
  libproxy::Proxy proxy(io);
  auto owned = std::make_unique<OffloadLink>();
  OffloadLink& link = *owned;
  libproxy::VpnConfig config;
  config.id = "fuzz";
  config.address = asio::ip::make_address_v4("10.20.30.41");
  if (proxy.add_vpn(config, std::move(owned))) __builtin_trap();

  libproxy::transport::SegmentCoalescer coalescer;
  std::size_t queued = 0;
  std::span<const std::uint8_t> in(data, size);
  while (!in.empty()) {
    const std::uint8_t op = (in[0] & 0x7F) % 3, big = in[0] & 0x80;
    in = in.subspan(1);
    if (op == 2) {
      drain(coalescer, queued);
      queued = 0;
      continue;
    }
    if (in.size() < 2) break;
    // Reads reach 64 KiB and more (a GSO super-frame); the op byte's top bit adds 64 KiB to the
    // length.
    std::size_t len = (std::size_t{in[0]} << 8 | in[1]) + (big ? 0x10000 : 0);
    in = in.subspan(2);
    len = std::min(len, in.size());
    const auto record = in.first(len);
    in = in.subspan(len);
    if (op == 0) {
      libproxy::transport::VnetFrame parsed;
      if (libproxy::transport::parse_vnet_frame(record, parsed))
        link.inject(parsed.frame, {.checksum_trusted = parsed.checksum_trusted});
    } else if (record.size() <= 14 + 1500) {  // what lwIP emits: at most one MTU (1500)
      coalescer.add(record);
      queued += record.size();
    }
  }
  drain(coalescer, queued);
  return 0;
}
