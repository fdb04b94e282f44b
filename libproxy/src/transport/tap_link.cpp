#include <libproxy/tap_link.hpp>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
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
// Larger than any frame a TAP device hands out for an MTU up to 64 KiB.
constexpr std::size_t max_frame = 65536 + 18;

}  // namespace

std::unique_ptr<TapLink> TapLink::open(asio::io_context& io, const std::string& name,
                                       std::error_code& ec) {
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
  request.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) < 0) {
    ec = {errno, std::system_category()};
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<TapLink>(new TapLink(io, fd, request.ifr_name));
}

TapLink::TapLink(asio::io_context& io, int fd, std::string name)
    : device_(io, fd), name_(std::move(name)), frame_buffer_(max_frame) {}

TapLink::~TapLink() { stop(); }

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
  const ssize_t n = ::write(device_.native_handle(), frame.data(), frame.size());
  if (n != static_cast<ssize_t>(frame.size())) {
    ++counters_.frames_dropped;  // device queue full or interface down: a lost frame
    return;
  }
  ++counters_.frames_sent;
  counters_.bytes_sent += frame.size();
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
    ++counters_.frames_received;
    counters_.bytes_received += static_cast<std::size_t>(n);
    receiver_->on_frame({frame_buffer_.data(), static_cast<std::size_t>(n)});
    if (receiver_ == nullptr) return;  // stopped from inside the receiver
  }
  wait_readable();
}

}  // namespace libproxy
