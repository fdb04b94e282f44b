// TcpPcb: RAII around one lwIP TCP pcb that connects into a VPN, and ReceiveQueue, the bytes it
// received and the application has not yet delivered.
//
// Lifetime rules (../shared/notes/lwip.md §3): lwIP may free a pcb with a callback (err) or
// without one (TIME_WAIT expiry), so an ext-arg "destroyed" hook nulls our pointer on every
// free and we never touch a pcb after it; tcp_abort() calls the err callback synchronously, so
// every callback is detached before we close or abort; a callback in which we aborted returns
// ERR_ABRT and no other callback does.
#pragma once

#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <system_error>

struct pbuf;
struct tcp_pcb;

namespace libproxy::stack {

class VpnInterface;

/// Received segments, in order, until the application has delivered them.
class ReceiveQueue {
public:
  ReceiveQueue() = default;
  ~ReceiveQueue() { clear(); }
  ReceiveQueue(const ReceiveQueue&) = delete;
  ReceiveQueue& operator=(const ReceiveQueue&) = delete;

  std::size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  /// What the held bytes cost: their payload plus pbuf_overhead per pbuf, about the allocation
  /// of a small segment's frame (so a service's 1-byte segments count at their real weight).
  std::size_t charged() const { return bytes_ + pbufs_ * pbuf_overhead; }
  static constexpr std::size_t pbuf_overhead = 128;
  /// Points `out` at the first bytes (at most out.size() pieces); returns how many it filled.
  std::size_t gather(std::span<asio::const_buffer> out) const;
  /// Drops the first `n` bytes (n <= size()).
  void consume(std::size_t n);
  /// Drops everything.
  void clear();
  /// Takes ownership of a received pbuf chain.
  void push(struct pbuf* chain);

private:
  std::deque<struct pbuf*> chains_;
  std::size_t bytes_ = 0;
  std::size_t pbufs_ = 0;
};

class TcpPcb {
public:
  /// What the pcb reports; every call comes from inside lwIP, on the io thread. None of them may
  /// destroy the TcpPcb.
  class Events {
  public:
    virtual void on_connected() = 0;
    /// `bytes` more are in received().
    virtual void on_data(std::size_t bytes) = 0;
    /// The peer sent FIN; everything it sent is in received().
    virtual void on_eof() = 0;
    /// The peer acknowledged data: send_space() grew.
    virtual void on_sent() = 0;
    /// lwIP freed the pcb: an empty code after a graceful close in both directions, else why.
    virtual void on_closed(std::error_code reason) = 0;

  protected:
    ~Events() = default;
  };

  explicit TcpPcb(Events& events) : events_(events) {}
  /// Aborts the connection (RST) if it is still open.
  ~TcpPcb();
  TcpPcb(const TcpPcb&) = delete;
  TcpPcb& operator=(const TcpPcb&) = delete;

  /// Opens a connection from `vpn`'s address to `remote`, bound to `vpn`'s netif.
  std::error_code connect(VpnInterface& vpn, const asio::ip::tcp::endpoint& remote);

  /// True until lwIP freed the pcb or we closed or aborted it.
  bool alive() const { return pcb_ != nullptr; }
  /// Bytes send() accepts now (0 before the connection is established or after shutdown).
  std::size_t send_space() const;
  /// The send buffer's full size.
  static std::size_t send_buffer_size();
  /// Queues `data` (at most send_space() bytes) and pushes it out.
  std::error_code send(std::span<const std::uint8_t> data);
  /// Sends FIN after the queued data (half-close); receiving goes on.
  std::error_code shutdown_send();

  ReceiveQueue& received() { return received_; }
  /// The application delivered the first `n` received bytes: free them and reopen the window
  /// (unless it is held).
  void consume(std::size_t n);
  /// While held, consume() frees bytes but lwIP's window stays closed by them; unholding reopens
  /// it by everything withheld.
  void hold_window(bool hold);
  bool window_held() const { return window_held_; }
  /// Bytes in lwIP's send buffer (queued or not yet acknowledged).
  std::size_t send_queued() const;

  /// Ends a connection that is finished in both directions; lwIP completes the close alone.
  void close();
  /// Resets the connection (RST) and frees the pcb at once.
  void abort();

private:
  friend struct TcpPcbCallbacks;  // lwIP's C callbacks, in tcp_pcb.cpp
  void detach();
  std::error_code write(std::span<const std::uint8_t> data);  // tcp_write, in pieces of 64 KiB
  void reopen_window(std::size_t n);

  Events& events_;
  struct tcp_pcb* pcb_ = nullptr;
  ReceiveQueue received_;
  bool connected_ = false;
  bool send_shut_ = false;  // our FIN is queued
  bool aborted_in_callback_ = false;
  bool window_held_ = false;
  std::size_t withheld_ = 0;  // consumed bytes not yet passed to tcp_recved
};

}  // namespace libproxy::stack
