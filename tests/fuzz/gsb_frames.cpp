// The Service Bus byte stream as it comes from the router: 4-byte big-endian lengths and
// protobuf Packets (transport/gsb/protocol.cpp), cut into reads of varying sizes, with a small
// frame limit (the oversize skip) and the real one. Whatever decodes must encode and decode
// back to a packet of the same kind.
#include "transport/gsb/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using libproxy::gsb::FrameReader;

// Feeds `data` in chunks whose sizes come from the data itself; returns packets decoded.
void read_stream(std::span<const std::uint8_t> data, std::size_t max_frame) {
  FrameReader reader(max_frame);
  std::size_t at = 0;
  std::uint32_t state = static_cast<std::uint32_t>(data.size()) * 2654435761u;
  bool broken = false;
  while (at < data.size() && !broken) {
    state = state * 1103515245u + 12345u;
    const std::size_t chunk = std::min<std::size_t>(1 + (state >> 16) % 97, data.size() - at);
    reader.append(data.subspan(at, chunk));
    at += chunk;
    for (;;) {
      std::error_code ec;
      auto packet = reader.next(ec);
      if (ec) {
        broken = true;  // the client drops the connection here; nothing more is read
        break;
      }
      if (!packet) break;
      std::string again;
      libproxy::gsb::append_frame(again, *packet);
      if (std::holds_alternative<libproxy::gsb::Unsupported>(*packet)) continue;
      FrameReader check;
      check.append({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
      auto decoded = check.next(ec);
      if (ec || !decoded || decoded->index() != packet->index()) __builtin_trap();
    }
    // Skipped bytes are never kept: what is buffered is at most one frame under the limit.
    if (reader.buffered() > max_frame + 4 + 97) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  read_stream(bytes, 64);
  read_stream(bytes, libproxy::gsb::max_frame_size);
  std::error_code ec;
  (void)libproxy::gsb::decode_packet({reinterpret_cast<const char*>(data), size}, ec);
  return 0;
}
