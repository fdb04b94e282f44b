#include "raw_frames.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <system_error>

namespace testing {
namespace {

std::uint16_t read16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
std::uint32_t read32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
void write16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
}
void write32(std::uint8_t* p, std::uint32_t v) {
  write16(p, std::uint16_t(v >> 16));
  write16(p + 2, std::uint16_t(v));
}

// RFC 1071, over `data` and a running sum.
std::uint32_t sum16(std::span<const std::uint8_t> data, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += read16(&data[i]);
  if (data.size() % 2) sum += std::uint32_t(data.back()) << 8;
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return std::uint16_t(~sum);
}

}  // namespace

RawLink::RawLink(const Netns& node, const std::string& device)
    : RawLink(node.socket(AF_PACKET, SOCK_RAW), device) {}

RawLink::RawLink(const std::string& device)
    : RawLink(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), device) {}

RawLink::RawLink(int packet_socket, const std::string& device) : fd_(packet_socket) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket AF_PACKET");
  ifreq request{};
  std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
  // The socket was made in the namespace, so the index is the namespace's.
  if (ioctl(fd_, SIOCGIFINDEX, &request) != 0)
    throw std::system_error(errno, std::generic_category(), "SIOCGIFINDEX " + device);
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = request.ifr_ifindex;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::system_error(errno, std::generic_category(), "bind AF_PACKET");
}

RawLink::~RawLink() { ::close(fd_); }

bool RawLink::send(std::span<const std::uint8_t> frame) {
  return ::send(fd_, frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
}

std::optional<SeenSegment> RawLink::next_tcp(int timeout_ms) {
  std::uint8_t buffer[2048];
  for (;;) {
    pollfd waiting{fd_, POLLIN, 0};
    if (poll(&waiting, 1, timeout_ms) <= 0) return std::nullopt;
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 14 + 20 + 20 || read16(buffer + 12) != ETH_P_IP) continue;
    const std::uint8_t* ip = buffer + 14;
    const std::size_t ihl = (ip[0] & 0x0F) * 4u;
    if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP || 14 + ihl + 20 > std::size_t(n)) continue;
    const std::uint8_t* tcp = ip + ihl;
    SeenSegment seen;
    std::memcpy(seen.destination_mac.data(), buffer, 6);
    std::memcpy(seen.source_mac.data(), buffer + 6, 6);
    seen.source = asio::ip::address_v4(read32(ip + 12));
    seen.destination = asio::ip::address_v4(read32(ip + 16));
    seen.source_port = read16(tcp);
    seen.destination_port = read16(tcp + 2);
    seen.seq = read32(tcp + 4);
    seen.ack = read32(tcp + 8);
    seen.flags = tcp[13];
    return seen;
  }
}

std::vector<std::uint8_t> tcp_frame(const SeenSegment& h, std::span<const std::uint8_t> payload,
                                    std::uint16_t window) {
  std::vector<std::uint8_t> frame(14 + 20 + 20 + payload.size());
  std::memcpy(frame.data(), h.destination_mac.data(), 6);
  std::memcpy(frame.data() + 6, h.source_mac.data(), 6);
  write16(frame.data() + 12, ETH_P_IP);
  std::uint8_t* ip = frame.data() + 14;
  ip[0] = 0x45;
  write16(ip + 2, std::uint16_t(20 + 20 + payload.size()));
  ip[6] = 0x40;  // don't fragment
  ip[8] = 64;
  ip[9] = IPPROTO_TCP;
  write32(ip + 12, h.source.to_uint());
  write32(ip + 16, h.destination.to_uint());
  write16(ip + 10, fold(sum16({ip, 20})));
  std::uint8_t* tcp = ip + 20;
  write16(tcp, h.source_port);
  write16(tcp + 2, h.destination_port);
  write32(tcp + 4, h.seq);
  write32(tcp + 8, h.ack);
  tcp[12] = 5 << 4;
  tcp[13] = h.flags;
  write16(tcp + 14, window);
  if (!payload.empty()) std::memcpy(tcp + 20, payload.data(), payload.size());
  const std::size_t tcp_length = 20 + payload.size();
  std::uint32_t pseudo = sum16({ip + 12, 8});
  pseudo += IPPROTO_TCP + std::uint32_t(tcp_length);
  write16(tcp + 16, fold(sum16({tcp, tcp_length}, pseudo)));
  return frame;
}

std::vector<std::vector<std::uint8_t>> malformed_frames(const SeenSegment& like) {
  std::vector<std::vector<std::uint8_t>> out;
  std::mt19937 random(7);
  const auto ethernet = [&](std::uint16_t type, std::size_t size) {
    std::vector<std::uint8_t> frame(size);
    for (auto& b : frame) b = std::uint8_t(random());
    std::copy(like.destination_mac.begin(), like.destination_mac.end(), frame.begin());
    std::copy(like.source_mac.begin(), like.source_mac.end(), frame.begin() + 6);
    frame[12] = std::uint8_t(type >> 8);
    frame[13] = std::uint8_t(type);
    return frame;
  };
  for (std::size_t size : {14, 15, 20, 33, 34, 60, 200, 1234})
    out.push_back(ethernet(ETH_P_IP, size));
  for (std::size_t size : {14, 20, 41, 42, 60}) out.push_back(ethernet(ETH_P_ARP, size));
  auto bad_ihl = tcp_frame(like, {});
  bad_ihl[14] = 0x4F;  // a header longer than the frame
  out.push_back(bad_ihl);
  auto long_total = tcp_frame(like, {});
  long_total[16] = 0xFF;  // total length past the frame's end
  out.push_back(long_total);
  auto short_total = tcp_frame(like, {});
  short_total[16] = 0;
  short_total[17] = 10;  // total length shorter than its header
  out.push_back(short_total);
  auto options = tcp_frame(like, std::vector<std::uint8_t>(20, 0x02));
  options[14 + 20 + 12] = 0xF0;  // data offset 60: options run past the segment
  out.push_back(options);
  return out;
}

}  // namespace testing
