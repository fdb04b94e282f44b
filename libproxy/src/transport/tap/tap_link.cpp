#include <libproxy/tap_link.hpp>

#include "segment_coalescer.hpp"

#include <asio/post.hpp>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace libproxy {

const char* to_string(LinkState state) {
  switch (state) {
    case LinkState::up:
      return "up";
    case LinkState::connecting:
      return "connecting";
    case LinkState::down:
      return "down";
  }
  return "unknown";
}

namespace {

// Frames read per readiness notification before yielding to other work.
constexpr int frames_per_wakeup = 64;
// Larger than any frame a TAP device hands out for an MTU up to 64 KiB, or with offload.
constexpr std::size_t max_frame = 65536 + 18;
constexpr std::size_t vnet_header = sizeof(transport::VirtioNetHeader);
// With offload, queued frames are sent before the queue grows past this, even mid-turn.
constexpr std::size_t max_coalesced = 1024 * 1024;

}  // namespace

std::unique_ptr<TapLink> TapLink::open(asio::io_context& io, const std::string& name,
                                       std::error_code& ec, TapOptions options) {
  ec.clear();
  if (name.size() >= IFNAMSIZ) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return nullptr;
  }
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    ec = {errno, std::system_category()};
    return nullptr;
  }
  struct ifreq request {};
  request.ifr_flags = IFF_TAP | IFF_NO_PI | (options.offload ? IFF_VNET_HDR : 0);
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int header_size = vnet_header;
  // TSO needs checksum offload; IPv6 and UDP stay cut by the kernel (the stack is IPv4 only).
  const unsigned offloads = TUN_F_CSUM | TUN_F_TSO4;
  if (::ioctl(fd, TUNSETIFF, &request) < 0 ||
      (options.offload && (::ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0 ||
                           ::ioctl(fd, TUNSETOFFLOAD, offloads) < 0))) {
    ec = {errno, std::system_category()};
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<TapLink>(new TapLink(io, fd, request.ifr_name, options.offload));
}

TapLink::TapLink(asio::io_context& io, int fd, std::string name, bool offload)
    : device_(io, fd),
      name_(std::move(name)),
      frame_buffer_(max_frame + vnet_header),
      coalescer_(offload ? std::make_unique<transport::SegmentCoalescer>() : nullptr) {}

TapLink::~TapLink() {
  stop();
  if (coalescer_ != nullptr) flush_coalesced();  // the last frames, say RSTs of a removed VPN
}

void TapLink::start(Receiver& receiver) {
  receiver_ = &receiver;
  wait_readable();
}

void TapLink::stop() {
  receiver_ = nullptr;
  std::error_code ignored;
  device_.cancel(ignored);
}

void TapLink::send(std::span<const std::uint8_t> frame) {
  if (coalescer_ == nullptr) return write_frame(frame);
  if (coalescer_->size() + frame.size() > max_coalesced) flush_coalesced();
  coalescer_->add(frame);
  // Nothing can join or replace the last frame (the end of a write, a handshake): send now
  // rather than at the end of the io turn, so small exchanges wait for nothing.
  if (!coalescer_->tail_open()) return flush_coalesced();
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(device_.get_executor(), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    flush_posted_ = false;
    flush_coalesced();
  });
}

void TapLink::write_frame(std::span<const std::uint8_t> frame) {
  const ssize_t n = ::write(device_.native_handle(), frame.data(), frame.size());
  if (n != static_cast<ssize_t>(frame.size())) {
    ++counters_.frames_dropped;  // device queue full or interface down: a lost frame
    return;
  }
  ++counters_.frames_sent;
  counters_.bytes_sent += frame.size();
}

void TapLink::flush_coalesced() {
  coalescer_->drain([this](const transport::VirtioNetHeader& header,
                           std::span<const std::uint8_t> frame, std::uint16_t segments) {
    iovec parts[2] = {{const_cast<transport::VirtioNetHeader*>(&header), vnet_header},
                      {const_cast<std::uint8_t*>(frame.data()), frame.size()}};
    const ssize_t n = ::writev(device_.native_handle(), parts, 2);
    if (n != static_cast<ssize_t>(vnet_header + frame.size())) {
      counters_.frames_dropped += segments;
      return;
    }
    ++counters_.frames_sent;
    counters_.bytes_sent += frame.size();
    if (segments > 1) ++counters_.super_frames_sent;
  });
}

void TapLink::wait_readable() {
  device_.async_wait(asio::posix::descriptor_base::wait_read,
                     [this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& ec) {
                       if (ec || alive.expired() || receiver_ == nullptr) return;
                       read_frames();
                     });
}

void TapLink::read_frames() {
  for (int i = 0; i < frames_per_wakeup; ++i) {
    const ssize_t n = ::read(device_.native_handle(), frame_buffer_.data(), frame_buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // drained
      // The device is gone: stop reading rather than spin on the error.
      std::fprintf(stderr, "libproxy: TAP %s: read failed (%s); the link is down\n", name_.c_str(),
                   std::strerror(errno));
      failed_ = true;
      return;
    }
    std::span<const std::uint8_t> frame{frame_buffer_.data(), static_cast<std::size_t>(n)};
    FrameInfo info;
    if (coalescer_ != nullptr) {
      transport::VnetFrame parsed;
      if (!transport::parse_vnet_frame(frame, parsed)) continue;
      frame = parsed.frame;
      info.checksum_trusted = parsed.checksum_trusted;
      if (parsed.super_frame) ++counters_.super_frames_received;
    }
    ++counters_.frames_received;
    counters_.bytes_received += frame.size();
    receiver_->on_frame(frame, info);
    if (receiver_ == nullptr) return;  // stopped from inside the receiver
  }
  wait_readable();
}

}  // namespace libproxy
