// SegmentCoalescer: which of lwIP's segments become one TAP super-frame, and whether the headers
// it writes (IPv4 length and checksum, the TCP pseudo-header checksum, the virtio-net header)
// let a kernel cut and check the result.
#include "transport/tap/segment_coalescer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using libproxy::transport::SegmentCoalescer;
using libproxy::transport::VirtioNetHeader;

namespace {

constexpr std::uint8_t ack = 0x10, psh = 0x08, fin = 0x01;

struct Sent {
  VirtioNetHeader header;
  std::vector<std::uint8_t> frame;
  std::uint16_t segments;
};

std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// One Ethernet + IPv4 + TCP segment from 10.0.0.1:port to 10.0.0.2:80, payload bytes counting
// up from `seq` (so joined payloads can be checked byte by byte). Checksums left at zero, as
// lwIP leaves the TCP one on a netif whose link completes it.
std::vector<std::uint8_t> segment(std::uint32_t seq, std::size_t payload, std::uint8_t flags = ack,
                                  std::uint16_t port = 40000, std::uint32_t ack_number = 1) {
  std::vector<std::uint8_t> f(14 + 20 + 20 + payload, 0);
  const std::uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 0xA0, 0x13, 10, 0, 0, 1};
  std::copy(mac, mac + 12, f.begin());
  f[12] = 0x08;
  std::uint8_t* ip = f.data() + 14;
  const std::size_t total = 40 + payload;
  ip[0] = 0x45, ip[2] = total >> 8, ip[3] = total & 0xFF, ip[8] = 64, ip[9] = 6;
  ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  std::uint8_t* tcp = ip + 20;
  tcp[0] = port >> 8, tcp[1] = port & 0xFF, tcp[3] = 80;
  for (int i = 0; i < 4; ++i) tcp[4 + i] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) tcp[8 + i] = static_cast<std::uint8_t>(ack_number >> (24 - 8 * i));
  tcp[12] = 5 << 4, tcp[13] = flags, tcp[14] = 0x10;
  for (std::size_t i = 0; i < payload; ++i) tcp[20 + i] = static_cast<std::uint8_t>(seq + i);
  return f;
}

std::vector<Sent> drain(SegmentCoalescer& coalescer) {
  std::vector<Sent> out;
  coalescer.drain([&](const VirtioNetHeader& header, std::span<const std::uint8_t> frame,
                      std::uint16_t segments) {
    out.push_back({header, {frame.begin(), frame.end()}, segments});
  });
  return out;
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += load16(p + i);
  if (n % 2) sum += p[n - 1] << 8;
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// Does what the kernel does with NEEDS_CSUM (sum from csum_start, store the complement at
// csum_offset), then checks the result as a receiver would: the IPv4 header sums to 0xFFFF,
// and so do the TCP pseudo-header and segment.
bool checksums_complete(Sent sent) {
  auto& f = sent.frame;
  const std::size_t start = sent.header.csum_start, at = start + sent.header.csum_offset;
  const std::uint16_t value = ~fold(sum16(f.data() + start, f.size() - start)) & 0xFFFF;
  f[at] = value >> 8, f[at + 1] = value & 0xFF;
  const std::uint8_t* ip = f.data() + 14;
  if (fold(sum16(ip, 20)) != 0xFFFF) return false;
  const std::size_t tcp_length = load16(ip + 2) - 20;
  std::uint32_t pseudo = sum16(ip + 12, 8) + 6 + static_cast<std::uint32_t>(tcp_length);
  return fold(sum16(ip + 20, tcp_length, pseudo)) == 0xFFFF;
}

}  // namespace

TEST_CASE("coalescer: contiguous full segments of a flow become one GSO super-frame") {
  SegmentCoalescer coalescer;
  CHECK_FALSE(coalescer.tail_open());
  coalescer.add(segment(1000, 1180));
  CHECK(coalescer.tail_open());  // more may follow
  coalescer.add(segment(2180, 1180));
  coalescer.add(segment(3360, 1180));
  coalescer.add(segment(4540, 500, ack | psh));  // a shorter last one, with PSH
  CHECK_FALSE(coalescer.tail_open());            // the end of a write: send it now
  const auto sent = drain(coalescer);
  REQUIRE(sent.size() == 1);
  const auto& s = sent[0];
  CHECK(s.segments == 4);
  CHECK(s.frame.size() == 14 + 40 + 3 * 1180 + 500);
  CHECK(load16(s.frame.data() + 14 + 2) == 40 + 3 * 1180 + 500);  // the IPv4 total length
  CHECK(s.frame[14 + 20 + 13] == (ack | psh));                    // PSH moved to the end
  for (std::size_t i = 0; i < 3 * 1180 + 500; ++i)
    if (s.frame[54 + i] != static_cast<std::uint8_t>(1000 + i)) FAIL("payload byte " << i);
  CHECK(s.header.gso_type == VirtioNetHeader::gso_tcpv4);
  CHECK(s.header.gso_size == 1180);
  CHECK(s.header.hdr_len == 54);
  CHECK(s.header.flags == VirtioNetHeader::needs_checksum);
  CHECK(s.header.csum_start == 34);
  CHECK(s.header.csum_offset == 16);
  CHECK(checksums_complete(s));
  CHECK(coalescer.empty());
}

TEST_CASE("coalescer: what must stay a frame of its own") {
  SegmentCoalescer coalescer;
  SECTION("a gap in the sequence") {
    coalescer.add(segment(1000, 1180));
    coalescer.add(segment(3000, 1180));
  }
  SECTION("another flow") {
    coalescer.add(segment(1000, 1180));
    coalescer.add(segment(2180, 1180, ack, 40001));
  }
  SECTION("a segment after PSH") {
    coalescer.add(segment(1000, 1180, ack | psh));
    coalescer.add(segment(2180, 1180));
  }
  SECTION("a longer segment than the first") {
    coalescer.add(segment(1000, 600));
    coalescer.add(segment(1600, 1180));
  }
  SECTION("a new acknowledgment number") {
    coalescer.add(segment(1000, 1180));
    coalescer.add(segment(2180, 1180, ack, 40000, 2));
  }
  SECTION("pure ACKs") {
    coalescer.add(segment(1000, 0));
    coalescer.add(segment(1000, 0));
  }
  SECTION("a FIN") {
    coalescer.add(segment(1000, 1180));
    coalescer.add(segment(2180, 1180, ack | fin));
  }
  const bool tail_open = coalescer.tail_open();
  const auto sent = drain(coalescer);
  REQUIRE(sent.size() == 2);
  // Only a full plain-ACK segment or a pure ACK at the end leaves the queue waiting.
  const auto* last_tcp = sent[1].frame.data() + 34;
  const std::size_t size = sent[1].frame.size();
  CHECK(tail_open == (last_tcp[13] == ack && (size == 54 + 1180 || size == 54)));
  for (const auto& s : sent) {
    CHECK(s.segments == 1);
    CHECK(s.header.gso_type == VirtioNetHeader::gso_none);
    CHECK(s.header.flags == VirtioNetHeader::needs_checksum);  // lwIP left it to the link
    CHECK(checksums_complete(s));
  }
}

TEST_CASE("coalescer: a shorter segment ends a super-frame") {
  SegmentCoalescer coalescer;
  coalescer.add(segment(1000, 1180));
  coalescer.add(segment(2180, 600));  // only the last segment of a super-frame may be shorter
  coalescer.add(segment(2780, 600));
  const auto sent = drain(coalescer);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].segments == 2);
  CHECK(sent[0].header.gso_size == 1180);
  CHECK(sent[1].segments == 1);
  CHECK(checksums_complete(sent[0]));
}

TEST_CASE(
    "coalescer: order is kept and super-frames stop below 64 KiB while other frames pass as is") {
  SegmentCoalescer coalescer;
  coalescer.add(segment(1000, 1180));
  coalescer.add(segment(1000, 1180, ack, 40001));
  coalescer.add(segment(2180, 1180));  // continues the first flow, but another frame came between
  std::vector<std::uint8_t> arp(42, 0xAB);
  arp[12] = 0x08, arp[13] = 0x06;
  coalescer.add(arp);
  for (std::uint32_t i = 0; i < 60; ++i) coalescer.add(segment(100000 + i * 1460, 1460, ack, 9));
  const auto sent = drain(coalescer);
  REQUIRE(sent.size() == 6);
  CHECK(load16(sent[0].frame.data() + 34) == 40000);
  CHECK(load16(sent[1].frame.data() + 34) == 40001);
  CHECK(load16(sent[2].frame.data() + 34) == 40000);
  CHECK(sent[3].frame == arp);
  CHECK(sent[3].header.flags == 0);
  CHECK(sent[3].header.gso_type == VirtioNetHeader::gso_none);
  // 60 x 1460 bytes do not fit one IPv4 packet: 44 segments (64 240 bytes) do, then 16.
  CHECK(sent[4].segments == 44);
  CHECK(sent[5].segments == 16);
  CHECK(load16(sent[5].frame.data() + 14 + 20 + 4) == ((100000 + 44 * 1460) >> 16));
  CHECK(checksums_complete(sent[4]));
  CHECK(checksums_complete(sent[5]));
}

TEST_CASE("coalescer: a frame whose headers claim more than it holds passes untouched") {
  SegmentCoalescer coalescer;
  auto frame = segment(1000, 0);   // 54 bytes
  frame[14] = 0x4F;                // IHL 15: a 60-byte IPv4 header
  frame[16] = 0, frame[17] = 100;  // and a total length of 100
  coalescer.add(frame);
  const auto sent = drain(coalescer);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].frame == frame);
  CHECK(sent[0].header.flags == 0);
}
