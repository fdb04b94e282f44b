#include "segment_coalescer.hpp"

#include <cstring>

namespace libproxy::transport {

bool parse_vnet_frame(std::span<const std::uint8_t> read, VnetFrame& out) {
  if (read.size() < sizeof(VirtioNetHeader)) return false;
  std::memcpy(&out.header, read.data(), sizeof(VirtioNetHeader));
  out.frame = read.subspan(sizeof(VirtioNetHeader));
  out.checksum_trusted =
      (out.header.flags & (VirtioNetHeader::needs_checksum | VirtioNetHeader::data_valid)) != 0;
  out.super_frame = out.header.gso_type != VirtioNetHeader::gso_none;
  return true;
}

}  // namespace libproxy::transport

namespace libproxy::transport {
namespace {

constexpr std::size_t ethernet_header = 14;
constexpr std::uint8_t tcp_ack = 0x10, tcp_psh = 0x08;
// The largest IPv4 packet.
constexpr std::size_t max_ip_packet = 0xFFFF;

std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t load32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void store16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
std::uint32_t fold(std::uint32_t sum) {
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum;
}

}  // namespace

void SegmentCoalescer::add(std::span<const std::uint8_t> bytes) {
  Frame frame{buffer_.size(), bytes.size()};
  // An IPv4 TCP segment, not a fragment, whose headers are all there.
  const std::uint8_t* ip = bytes.data() + ethernet_header;
  if (bytes.size() >= ethernet_header + 40 && load16(bytes.data() + 12) == 0x0800 &&
      ip[0] >> 4 == 4 && ip[9] == 6 && (load16(ip + 6) & 0x3FFF) == 0) {
    const std::size_t ip_header = (ip[0] & 0x0F) * 4u, total = load16(ip + 2);
    const bool headers_there =
        ip_header >= 20 && ip_header + 20 <= total && ethernet_header + total <= bytes.size();
    const std::size_t tcp_header = headers_there ? (ip[ip_header + 12] >> 4) * 4u : 0;
    if (tcp_header >= 20 && ip_header + tcp_header <= total) {
      frame.tcp = true;
      frame.ip_header = ip_header;
      frame.tcp_header = tcp_header;
      frame.payload = total - ip_header - tcp_header;
      frame.segment_size = frame.payload;
      frame.size = ethernet_header + total;  // without any Ethernet padding
      bytes = bytes.first(frame.size);
    }
  }
  if (!frames_.empty() && extend(frames_.back(), bytes, frame)) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  frames_.push_back(frame);
}

bool SegmentCoalescer::extend(Frame& last, std::span<const std::uint8_t> bytes, const Frame& next) {
  if (!last.tcp || !next.tcp || last.payload == 0 || next.payload == 0) return false;
  // The kernel cuts a super-frame into segments of segment_size; only the last may be shorter.
  if (last.ip_header != 20 || next.ip_header != 20 || last.tcp_header != next.tcp_header ||
      last.payload % last.segment_size != 0 || next.payload > last.segment_size ||
      20 + last.tcp_header + last.payload + next.payload > max_ip_packet)
    return false;
  const std::uint8_t* a = buffer_.data() + last.offset;
  const std::uint8_t* b = bytes.data();
  const std::uint8_t *a_ip = a + ethernet_header, *b_ip = b + ethernet_header;
  const std::uint8_t *a_tcp = a_ip + 20, *b_tcp = b_ip + 20;
  const bool same_flow = std::memcmp(a, b, ethernet_header) == 0 && a_ip[1] == b_ip[1] &&  // TOS
                         load16(a_ip + 6) == load16(b_ip + 6) && a_ip[8] == b_ip[8] &&  // DF, TTL
                         std::memcmp(a_ip + 12, b_ip + 12, 8) == 0 &&                   // addresses
                         std::memcmp(a_tcp, b_tcp, 4) == 0;                             // ports
  // Only a plain ACK can be followed: PSH and FIN end a super-frame. The acknowledgment,
  // window and options must not change within one.
  if (!same_flow || a_tcp[13] != tcp_ack || (b_tcp[13] & ~(tcp_ack | tcp_psh)) != 0 ||
      (b_tcp[13] & tcp_ack) == 0 || load32(b_tcp + 4) != load32(a_tcp + 4) + last.payload ||
      std::memcmp(a_tcp + 8, b_tcp + 8, 4) != 0 || load16(a_tcp + 14) != load16(b_tcp + 14) ||
      load16(b_tcp + 18) != 0 || std::memcmp(a_tcp + 20, b_tcp + 20, last.tcp_header - 20) != 0)
    return false;
  buffer_[last.offset + ethernet_header + 20 + 13] = b_tcp[13];  // PSH, if the last has it
  const auto* payload = b_tcp + next.tcp_header;
  buffer_.insert(buffer_.end(), payload, payload + next.payload);
  last.payload += next.payload;
  last.size += next.payload;
  ++last.segments;
  return true;
}

bool SegmentCoalescer::tail_open() const {
  if (frames_.empty()) return false;
  const Frame& last = frames_.back();
  if (!last.tcp || last.ip_header != 20 ||
      buffer_[last.offset + ethernet_header + 20 + 13] != tcp_ack)
    return false;
  return last.payload == 0 || last.payload % last.segment_size == 0;
}

void SegmentCoalescer::drain(const Sink& out) {
  for (const Frame& frame : frames_) {
    std::uint8_t* f = buffer_.data() + frame.offset;
    VirtioNetHeader header;
    if (frame.tcp) {
      std::uint8_t* ip = f + ethernet_header;
      const std::size_t tcp_length = frame.tcp_header + frame.payload;
      store16(ip + 2, static_cast<std::uint32_t>(frame.ip_header + tcp_length));
      store16(ip + 10, 0);
      std::uint32_t sum = 0;
      for (std::size_t i = 0; i < frame.ip_header; i += 2) sum += load16(ip + i);
      store16(ip + 10, ~fold(sum) & 0xFFFF);
      // The kernel sums the segment from csum_start on and adds it to what the checksum field
      // holds: the pseudo-header's sum, not complemented.
      sum = static_cast<std::uint32_t>(6 + tcp_length);
      for (std::size_t i = 12; i < 20; i += 2) sum += load16(ip + i);
      store16(ip + frame.ip_header + 16, fold(sum));
      header.flags = VirtioNetHeader::needs_checksum;
      header.csum_start = static_cast<std::uint16_t>(ethernet_header + frame.ip_header);
      header.csum_offset = 16;
      if (frame.segments > 1) {
        header.gso_type = VirtioNetHeader::gso_tcpv4;
        header.gso_size = static_cast<std::uint16_t>(frame.segment_size);
        header.hdr_len =
            static_cast<std::uint16_t>(ethernet_header + frame.ip_header + frame.tcp_header);
      }
    }
    out(header, {f, frame.size}, frame.segments);
  }
  frames_.clear();
  buffer_.clear();
}

}  // namespace libproxy::transport
