// TcpBridge: one client socket (host side) joined to one lwIP pcb (vnet side).
//
//  start ──▶ [connecting] ── service accepts ──▶ [relaying] ── both halves shut_sent ──▶ done
//                 │ refused / timeout / client left                 │ reset, timeout, stop
//                 ▼                                                 ▼
//          reset client (RST) ─────────────────────────────▶ reset both sides ──▶ done
//
//  Each direction is a Half: open ──▶ eof_seen ──▶ shut_sent
//   client → service   client readable ──▶ read ≤ send_space() ──▶ tcp_write + tcp_output
//                      (reads pause while lwIP's send buffer is short; on_sent resumes them)
//                      client EOF ──▶ tcp_shutdown(tx) ──▶ shut_sent
//   service → client   on_data (pbufs queued) ──▶ write_some ──▶ consume(n) = tcp_recved(n)
//                      (lwIP's window reopens only once the client socket took the bytes)
//                      on_eof ──▶ queue drained ──▶ client.shutdown(send) ──▶ shut_sent
//
//  Memory: what the connection holds (service bytes charged per pbuf, plus lwIP's send buffer)
//  is reported to the MemoryBudget. Past half of max_connection_buffer, or while the budget is
//  overloaded, consumed bytes do not reopen lwIP's window; past all of it the connection is
//  reset (cx_buffer_limit). While overloaded the client is not read either. A connection whose
//  source (all its connections together) holds over max_buffer_per_source when it is charged
//  more is reset (cx_source_buffer_limit).
//
//  While connecting the client is not read, only watched: if it hangs up first, the virtual
//  connection is aborted. Without activity the bridge is reset after the idle timeout; once
//  either half closed, the shorter linger timeout applies instead.
#include "tcp_bridge.hpp"

#include <libproxy/error.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace libproxy::proxy {
namespace {

// Read the client only when lwIP can take at least this much, and once paused, resume only
// when a good part of the send buffer is free again (hysteresis against tiny reads).
constexpr std::size_t min_read = 4 * 1024;
constexpr std::size_t resume_space = 64 * 1024;
// Reads per readiness notification, so one busy client cannot starve the others.
constexpr int reads_per_wakeup = 4;
// Client writes gather at most this many pbufs (Asio's iovec limit).
constexpr std::size_t max_write_buffers = 64;

using clock = std::chrono::steady_clock;

}  // namespace

// The endpoint comes from the forwarder: asking the socket again could fail (the client reset
// meanwhile) and release() would then free another source's slot.
TcpBridge::TcpBridge(asio::ip::tcp::socket client, const asio::ip::tcp::endpoint& client_endpoint,
                     BridgeContext& context, std::weak_ptr<BridgeSet> owner)
    : client_(std::move(client)),
      context_(context),
      id_(++context.next_connection_id),
      client_endpoint_(client_endpoint),
      owner_(std::move(owner)),
      vnet_(*this),
      timer_(client_.get_executor()) {}

const char* TcpBridge::state() const {
  if (!connected_) return "connecting";
  return up_ == Half::open && down_ == Half::open ? "open" : "closing";
}

// Bytes are counted where they move, on every read and write: the meters show live numbers.
void TcpBridge::count_in(std::size_t bytes) {
  context_.counters.bytes_to_service += bytes;
  meter_.add_in(bytes);
  for (auto* meter : context_.meters) meter->add_in(bytes);
}

void TcpBridge::count_out(std::size_t bytes) {
  context_.counters.bytes_to_client += bytes;
  meter_.add_out(bytes);
  for (auto* meter : context_.meters) meter->add_out(bytes);
}

void TcpBridge::start() {
  ++context_.counters.downstream_cx_total;
  ++context_.counters.cx_active;
  std::error_code ignored;
  client_.set_option(asio::ip::tcp::no_delay(true), ignored);
  client_.non_blocking(true, ignored);
  started_ = clock::now();
  touch();
  if (vnet_.connect(context_.vpn, context_.service)) {
    fail(&TcpCounters::upstream_cx_connect_fail);
    return;
  }
  arm_deadline();
  watch_client_while_connecting();
}

void TcpBridge::stop() { fail(&TcpCounters::cx_closed_by_proxy); }

void TcpBridge::shed() { fail(&TcpCounters::cx_shed); }

// ---- memory ------------------------------------------------------------------------------------

bool TcpBridge::account() {
  const std::size_t now = done_ ? 0 : vnet_.received().charged() + vnet_.send_queued();
  const auto& source = client_endpoint_.address();
  context_.budget.charge(source,
                         static_cast<std::ptrdiff_t>(now) - static_cast<std::ptrdiff_t>(charged_));
  const bool grew = now > charged_;
  charged_ = now;
  if (grew && context_.budget.source_over_bound(source)) {
    fail(&TcpCounters::cx_source_buffer_limit);
    return false;
  }
  return true;
}

// The window stays closed while the connection holds over half its bound or the process is
// over its high watermark; it reopens by everything withheld once neither holds.
void TcpBridge::update_window_hold() {
  const bool over_own = vnet_.received().charged() > context_.limits.max_connection_buffer / 2;
  const bool hold = over_own || context_.budget.overloaded();
  if (hold && !vnet_.window_held()) ++context_.counters.cx_window_held;
  vnet_.hold_window(hold);
  if (hold && !over_own) wait_for_budget();
}

void TcpBridge::wait_for_budget() {
  if (waiting_for_budget_) return;
  waiting_for_budget_ = true;
  context_.budget.wait_for_room([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->on_budget_room();
  });
}

void TcpBridge::on_budget_room() {
  waiting_for_budget_ = false;
  if (done_) return;
  update_window_hold();
  if (budget_paused_ && !context_.budget.overloaded()) {
    budget_paused_ = false;
    read_client();
  }
}

// ---- the service side --------------------------------------------------------------------------

void TcpBridge::on_connected() {
  connected_ = true;
  touch();
  // Most clients have sent their request by now: read it at once, so it leaves with the
  // handshake's last ACK rather than one readiness wait later.
  on_client_readable({});
}

void TcpBridge::on_data(std::size_t bytes) {
  auto& c = context_.counters;
  c.client_bound_bytes_buffered += bytes;
  c.client_bound_bytes_buffered_peak =
      std::max(c.client_bound_bytes_buffered_peak, c.client_bound_bytes_buffered);
  touch();
  // lwIP offered this window before we could close it (tiny segments weigh far more than
  // their bytes): past the bound the connection goes, rather than the process's memory.
  if (vnet_.received().charged() > context_.limits.max_connection_buffer)
    return fail(&TcpCounters::cx_buffer_limit);
  if (!account()) return;
  update_window_hold();
  schedule_write();
}

void TcpBridge::on_eof() {
  down_ = Half::eof_seen;
  arm_deadline();
  schedule_write();
}

void TcpBridge::on_sent() {
  touch();
  if (!account()) return;
  if (paused_ && vnet_.send_space() >= std::min(resume_space, stack::TcpPcb::send_buffer_size())) {
    paused_ = false;
    read_client();
  }
}

void TcpBridge::on_closed(std::error_code reason) {
  if (!reason) {
    // Both FINs were exchanged; what is still queued goes on to the client.
    maybe_finish();
    return;
  }
  if (!connected_)
    fail(reason == errc::connect_timeout ? &TcpCounters::upstream_cx_connect_timeout
                                         : &TcpCounters::upstream_cx_connect_fail);
  else
    fail(&TcpCounters::upstream_cx_reset);
}

// ---- client -> service -------------------------------------------------------------------------

void TcpBridge::watch_client_while_connecting() {
  client_.async_wait(
      asio::socket_base::wait_read, [self = shared_from_this()](const std::error_code& ec) {
        if (self->done_ || self->connected_ || ec) return;
        char byte;
        const ssize_t n = ::recv(self->client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return;  // a request waits; it is read once connected
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          self->watch_client_while_connecting();
          return;
        }
        // The client hung up (or reset) before the service answered.
        self->fail(&TcpCounters::downstream_cx_abandoned);
      });
}

void TcpBridge::read_client() {
  if (done_ || up_ != Half::open || reading_ || budget_paused_) return;
  if (context_.budget.overloaded()) {
    budget_paused_ = true;
    wait_for_budget();
    return;
  }
  if (vnet_.send_space() < min_read) {
    paused_ = true;
    return;
  }
  reading_ = true;
  client_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const std::error_code& ec) {
                       self->reading_ = false;
                       self->on_client_readable(ec);
                     });
}

void TcpBridge::on_client_readable(const std::error_code& ec) {
  if (done_) return;
  if (ec) {
    fail(&TcpCounters::downstream_cx_reset);
    return;
  }
  for (int round = 0; round < reads_per_wakeup; ++round) {
    if (context_.budget.overloaded()) break;  // read_client() below waits for room
    const std::size_t space = vnet_.send_space();
    if (space < min_read) {
      paused_ = true;
      return;
    }
    const std::size_t want = std::min(space, context_.scratch.size());
    std::error_code read_ec;
    const std::size_t n = client_.read_some(asio::buffer(context_.scratch.data(), want), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) break;
    if (read_ec == asio::error::eof) {
      on_client_eof();
      return;
    }
    if (read_ec) {
      fail(&TcpCounters::downstream_cx_reset);
      return;
    }
    if (vnet_.send({context_.scratch.data(), n})) {
      fail(&TcpCounters::upstream_cx_reset);
      return;
    }
    count_in(n);
    touch();
    if (!account()) return;
  }
  read_client();
}

void TcpBridge::on_client_eof() {
  up_ = Half::eof_seen;
  if (vnet_.alive() && vnet_.shutdown_send()) {
    fail(&TcpCounters::upstream_cx_reset);
    return;
  }
  up_ = Half::shut_sent;
  arm_deadline();
  maybe_finish();
}

// ---- service -> client -------------------------------------------------------------------------

// Writes once the current io turn is over: a TAP link delivers up to 64 frames per turn, and
// their segments then leave in one gathering write, with one window update to the service.
void TcpBridge::schedule_write() {
  if (write_scheduled_ || writing_ || done_) return;
  write_scheduled_ = true;
  asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->write_scheduled_ = false;
    self->write_client();
  });
}

// Writes what the client socket takes now, counting each byte as it enters the kernel (so the
// meters are exact at any moment), and waits for room only when the socket is full.
void TcpBridge::write_client() {
  if (done_ || writing_) return;
  for (;;) {
    auto& received = vnet_.received();
    if (received.empty()) {
      if (down_ == Half::eof_seen) {
        std::error_code ignored;
        client_.shutdown(asio::socket_base::shutdown_send, ignored);
        down_ = Half::shut_sent;
        arm_deadline();
        maybe_finish();
      }
      return;
    }
    auto& gather = context_.gather;
    gather.resize(max_write_buffers);
    gather.resize(received.gather(gather));
    std::error_code ec;
    const std::size_t bytes = client_.write_some(gather, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      writing_ = true;
      client_.async_wait(asio::socket_base::wait_write,
                         [self = shared_from_this()](const std::error_code& wait_ec) {
                           self->writing_ = false;
                           if (self->done_) return;
                           if (wait_ec) return self->fail(&TcpCounters::downstream_cx_reset);
                           self->write_client();
                         });
      return;
    }
    if (ec) return fail(&TcpCounters::downstream_cx_reset);
    context_.counters.client_bound_bytes_buffered -= bytes;
    count_out(bytes);
    vnet_.consume(bytes);  // reopens lwIP's window by what the client took (unless held)
    update_window_hold();  // ... and by what was withheld, once under the bounds again
    if (!account()) return;
    touch();
    if (done_) return;
  }
}

// ---- timers and endings ------------------------------------------------------------------------

clock::time_point TcpBridge::deadline() const {
  if (!connected_) return started_ + context_.timeouts.connect;
  const bool half_closed = up_ != Half::open || down_ != Half::open;
  return last_activity_ + (half_closed ? context_.timeouts.linger : context_.timeouts.idle);
}

void TcpBridge::arm_deadline() {
  const auto due = deadline();
  if (timer_armed_ && due >= armed_for_) return;  // the pending wait re-checks when it fires
  timer_armed_ = true;
  armed_for_ = due;
  timer_.expires_at(due);
  timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (!ec) self->on_deadline(ec);
  });
}

void TcpBridge::on_deadline(const std::error_code&) {
  if (done_) return;
  timer_armed_ = false;
  if (clock::now() < deadline()) {  // there was activity since the timer was set
    arm_deadline();
    return;
  }
  if (!connected_)
    fail(&TcpCounters::upstream_cx_connect_timeout);
  else if (up_ != Half::open || down_ != Half::open)
    fail(&TcpCounters::cx_linger_timeout);
  else
    fail(&TcpCounters::cx_idle_timeout);
}

void TcpBridge::maybe_finish() {
  if (done_ || up_ != Half::shut_sent || down_ != Half::shut_sent || writing_) return;
  done_ = true;
  timer_.cancel();
  vnet_.hold_window(false);
  vnet_.close();  // lwIP completes the close (LAST_ACK or TIME_WAIT) on its own
  std::error_code ignored;
  client_.close(ignored);
  account();  // done_: nothing is held any more
  ++context_.counters.downstream_cx_completed;
  --context_.counters.cx_active;
  release();
}

void TcpBridge::fail(Reason reason) {
  if (done_) return;
  done_ = true;
  auto& c = context_.counters;
  ++(c.*reason);
  --c.cx_active;
  c.client_bound_bytes_buffered -= vnet_.received().size();
  timer_.cancel();
  vnet_.abort();  // RST to the service, if the virtual connection still exists
  account();      // done_: nothing is held any more
  // SO_LINGER {1, 0}: close() sends RST, so the client sees a reset, not an orderly end.
  std::error_code ignored;
  client_.set_option(asio::socket_base::linger(true, 0), ignored);
  client_.close(ignored);
  release();
}

void TcpBridge::release() {
  context_.sources.release(client_endpoint_.address());
  // Never destroy the bridge inside its own callback: remove it from its set later.
  asio::post(timer_.get_executor(), [owner = owner_, self = shared_from_this()] {
    if (auto set = owner.lock()) set->erase(self);
  });
}

}  // namespace libproxy::proxy
