#include "tcp_pcb.hpp"

#include "lwip_error.hpp"
#include "port/libproxy_hooks.h"
#include "port_table.hpp"
#include "stack.hpp"
#include "vpn_interface.hpp"

#include <libproxy/error.hpp>

#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>

#include <libproxy/config.hpp>

// A connection bound must hold half of itself plus one whole offered window in MSS pbufs.
static_assert(libproxy::ProxyLimits::min_connection_buffer >=
                  2 * (TCP_WND +
                       (TCP_WND / TCP_MSS + 1) * libproxy::stack::ReceiveQueue::pbuf_overhead),
              "ProxyLimits::min_connection_buffer no longer covers one offered window");

#include <algorithm>
#include <limits>
#include <utility>

namespace libproxy::stack {

// ---- ReceiveQueue ------------------------------------------------------------------------------

std::size_t ReceiveQueue::gather(std::span<asio::const_buffer> out) const {
  std::size_t filled = 0;
  for (const struct pbuf* chain : chains_) {
    for (const struct pbuf* q = chain; q != nullptr; q = q->next) {
      if (filled == out.size()) return filled;
      if (q->len != 0) out[filled++] = asio::const_buffer(q->payload, q->len);
    }
  }
  return filled;
}

void ReceiveQueue::consume(std::size_t n) {
  bytes_ -= n;
  while (n > 0) {
    struct pbuf* head = chains_.front();
    const std::size_t pbufs = pbuf_clen(head);
    if (n >= head->tot_len) {
      n -= head->tot_len;
      pbuf_free(head);
      chains_.pop_front();
      pbufs_ -= pbufs;
    } else {
      head = pbuf_free_header(head, static_cast<u16_t>(n));
      chains_.front() = head;
      pbufs_ -= pbufs - pbuf_clen(head);
      n = 0;
    }
  }
}

void ReceiveQueue::clear() {
  for (struct pbuf* chain : chains_) pbuf_free(chain);
  chains_.clear();
  bytes_ = 0;
  pbufs_ = 0;
}

void ReceiveQueue::push(struct pbuf* chain) {
  bytes_ += chain->tot_len;
  pbufs_ += pbuf_clen(chain);
  chains_.push_back(chain);
}

// ---- lwIP callbacks ----------------------------------------------------------------------------

struct TcpPcbCallbacks {
  // Inside a callback, return ERR_ABRT if and only if the pcb was aborted during it.
  static err_t result(const TcpPcb& self) { return self.aborted_in_callback_ ? ERR_ABRT : ERR_OK; }

  static err_t connected(void* arg, struct tcp_pcb*, err_t) {
    auto& self = *static_cast<TcpPcb*>(arg);
    self.connected_ = true;
    self.events_.on_connected();
    return result(self);
  }

  static err_t recv(void* arg, struct tcp_pcb*, struct pbuf* p, err_t) {
    auto& self = *static_cast<TcpPcb*>(arg);
    if (p == nullptr) {
      self.events_.on_eof();
      return result(self);
    }
    // Never refuse data (lwIP would retry only from its slow timer): the window we advertise
    // already bounds what can arrive, since it reopens only in consume().
    const std::size_t bytes = p->tot_len;
    self.received_.push(p);
    self.events_.on_data(bytes);
    return result(self);
  }

  static err_t sent(void* arg, struct tcp_pcb*, u16_t) {
    auto& self = *static_cast<TcpPcb*>(arg);
    self.events_.on_sent();
    return result(self);
  }

  // lwIP frees the pcb (every path, including the silent ones: TIME_WAIT expiry, and pcbs we
  // detached). The pcb was still ours if `data` is set.
  static void destroyed(u8_t, void* data) {
    if (data != nullptr) static_cast<TcpPcb*>(data)->pcb_ = nullptr;
  }

  static u8_t ext_arg_id() {
    static const u8_t id = tcp_ext_arg_alloc_id();  // once per process, like lwIP's state
    return id;
  }

  static constexpr tcp_ext_arg_callbacks ext_arg_callbacks = {destroyed, nullptr};

  // lwIP already freed the pcb.
  static void error(void* arg, err_t err) {
    auto& self = *static_cast<TcpPcb*>(arg);
    self.pcb_ = nullptr;
    std::error_code reason;
    switch (err) {
      case ERR_CLSD:
        break;  // both FINs exchanged and acknowledged
      case ERR_RST:
        reason = self.connected_ ? errc::reset_by_service : errc::connect_refused;
        break;
      case ERR_ABRT:  // retransmissions or SYN retries exhausted
        reason = self.connected_ ? errc::reset_by_service : errc::connect_timeout;
        break;
      default:
        reason = lwip_error(err);
        break;
    }
    self.events_.on_closed(reason);
  }
};

// ---- TcpPcb ------------------------------------------------------------------------------------

TcpPcb::~TcpPcb() { abort(); }

std::error_code TcpPcb::connect(VpnInterface& vpn, const asio::ip::tcp::endpoint& remote) {
  if (pcb_ != nullptr || !remote.address().is_v4())
    return make_error_code(errc::invalid_gateway_config);
  pcb_ = tcp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb_ == nullptr) return make_error_code(errc::stack_out_of_memory);
  // Bound to the VPN's netif: segments from other VPNs never match it, and its segments never
  // leave through another VPN, even where address ranges overlap.
  tcp_bind_netif(pcb_, vpn.raw());
  tcp_arg(pcb_, this);
  tcp_recv(pcb_, TcpPcbCallbacks::recv);
  tcp_sent(pcb_, TcpPcbCallbacks::sent);
  tcp_err(pcb_, TcpPcbCallbacks::error);
  tcp_ext_arg_set_callbacks(pcb_, TcpPcbCallbacks::ext_arg_id(),
                            &TcpPcbCallbacks::ext_arg_callbacks);
  tcp_ext_arg_set(pcb_, TcpPcbCallbacks::ext_arg_id(), this);
  tcp_nagle_disable(pcb_);
  const std::uint32_t remote_ip = remote.address().to_v4().to_uint();
  if (!ports::assign(pcb_, netif_get_index(vpn.raw()), remote_ip, remote.port())) {
    detach();
    tcp_abort(std::exchange(pcb_, nullptr));
    return make_error_code(errc::no_free_port);
  }
  ip_addr_t address;
  ip_addr_set_ip4_u32_val(address, lwip_htonl(remote_ip));
  const err_t err = tcp_connect(pcb_, &address, remote.port(), TcpPcbCallbacks::connected);
  if (err != ERR_OK) {
    detach();
    tcp_abort(pcb_);
    pcb_ = nullptr;
    if (err == ERR_BUF || err == ERR_USE) return make_error_code(errc::no_free_port);
    if (err == ERR_MEM) return make_error_code(errc::stack_out_of_memory);
    return lwip_error(err);
  }
  Stack::current()->kick_timers();  // the TCP timer starts with the first active pcb
  return {};
}

std::size_t TcpPcb::send_space() const {
  if (pcb_ == nullptr || !connected_ || send_shut_) return 0;
  // Keep clear of the segment-count limit too, so send() never fails for lack of queue slots.
  if (tcp_sndqueuelen(pcb_) + 16 >= TCP_SND_QUEUELEN) return 0;
  return pcb_->snd_buf;
}

std::size_t TcpPcb::send_buffer_size() { return TCP_SND_BUF; }

std::error_code TcpPcb::send(std::span<const std::uint8_t> data) {
  if (pcb_ == nullptr) return make_error_code(errc::reset_by_service);
  // tcp_write sums what it copies for the TCP checksum; a netif whose link completes TCP
  // checksums (offload) never uses that sum, so skip it. The pcb is bound to that netif.
  const struct netif* nif = netif_get_by_index(pcb_->netif_idx);
  const bool sum_unused = nif != nullptr && !(nif->chksum_flags & NETIF_CHECKSUM_GEN_TCP);
  libproxy_copy_sum_unused(sum_unused);
  const std::error_code ec = write(data);
  libproxy_copy_sum_unused(0);
  if (ec) return ec;
  // An output error is not fatal: the data is queued and lwIP's timer sends it.
  tcp_output(pcb_);
  return {};
}

std::error_code TcpPcb::write(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const auto n = static_cast<u16_t>(std::min<std::size_t>(data.size(), 0xFFFF));
    const bool more = n < data.size();
    const err_t err =
        tcp_write(pcb_, data.data(), n, TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
    if (err != ERR_OK)
      return err == ERR_MEM ? make_error_code(errc::stack_out_of_memory) : lwip_error(err);
    data = data.subspan(n);
  }
  return {};
}

std::error_code TcpPcb::shutdown_send() {
  if (pcb_ == nullptr) return make_error_code(errc::reset_by_service);
  send_shut_ = true;
  return lwip_error(tcp_shutdown(pcb_, 0, 1));
}

void TcpPcb::consume(std::size_t n) {
  received_.consume(n);
  if (window_held_) {
    withheld_ += n;
    return;
  }
  reopen_window(n);
}

void TcpPcb::hold_window(bool hold) {
  window_held_ = hold;
  if (!hold) reopen_window(std::exchange(withheld_, 0));
}

std::size_t TcpPcb::send_queued() const {
  return pcb_ == nullptr ? 0 : TCP_SND_BUF - std::min<std::size_t>(pcb_->snd_buf, TCP_SND_BUF);
}

void TcpPcb::reopen_window(std::size_t n) {
  // Reopen the window while the peer may still send. Once its FIN is in and ours is out
  // (LAST_ACK, CLOSING, TIME_WAIT), a window update would only provoke needless ACKs.
  if (pcb_ == nullptr) return;
  if (pcb_->state == LAST_ACK || pcb_->state == CLOSING || pcb_->state == TIME_WAIT) return;
  while (n > 0) {
    const auto chunk = static_cast<u16_t>(std::min<std::size_t>(n, 0xFFFF));
    tcp_recved(pcb_, chunk);
    n -= chunk;
  }
}

void TcpPcb::close() {
  if (pcb_ == nullptr) return;
  detach();
  struct tcp_pcb* pcb = std::exchange(pcb_, nullptr);
  if (tcp_close(pcb) != ERR_OK) {
    aborted_in_callback_ = true;
    tcp_abort(pcb);
  }
}

void TcpPcb::abort() {
  received_.clear();
  if (pcb_ == nullptr) return;
  detach();
  aborted_in_callback_ = true;
  tcp_abort(std::exchange(pcb_, nullptr));
}

void TcpPcb::detach() {
  tcp_ext_arg_set(pcb_, TcpPcbCallbacks::ext_arg_id(), nullptr);
  tcp_arg(pcb_, nullptr);
  tcp_recv(pcb_, nullptr);
  tcp_sent(pcb_, nullptr);
  tcp_err(pcb_, nullptr);
}

}  // namespace libproxy::stack
