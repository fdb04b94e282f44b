// TcpBridge: one proxied TCP connection, a public client socket joined to a virtual connection
// into the VPN. The state machine is drawn at the top of tcp_bridge.cpp.
#pragma once

#include "../stack/tcp_pcb.hpp"
#include "memory_budget.hpp"

#include <libproxy/config.hpp>
#include <libproxy/counters.hpp>
#include <libproxy/source_table.hpp>
#include <libproxy/traffic.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

namespace libproxy::stack {
class VpnInterface;
}

namespace libproxy::proxy {

class TcpBridge;
using BridgeSet = std::unordered_set<std::shared_ptr<TcpBridge>>;

/// What every bridge of one gateway shares. Owned by the gateway's TcpForwarder.
struct BridgeContext {
  stack::VpnInterface& vpn;
  asio::ip::tcp::endpoint service;
  TcpTimeouts timeouts;
  TcpCounters& counters;
  /// The io thread's read buffer: client bytes pass through it straight into lwIP.
  std::span<std::uint8_t> scratch;
  /// The io thread's gather list for client writes (filled and used within one call).
  std::vector<asio::const_buffer>& gather;
  /// Where every connection's bytes count too: its gateway's meter, the proxy's, and those the
  /// gateway was given (an activity's, a VPN's).
  std::vector<TrafficMeter*> meters;
  /// Numbers connections, proxy-wide.
  std::uint64_t& next_connection_id;
  /// The proxy's memory budget and limits, and the gateway's per-source table.
  MemoryBudget& budget;
  const ProxyLimits& limits;
  SourceTable& sources;
};

class TcpBridge final : public std::enable_shared_from_this<TcpBridge>,
                        private stack::TcpPcb::Events {
public:
  /// `owner` holds the bridge until it ends; the bridge then removes itself.
  /// `client_endpoint` is the one the forwarder admitted (and will release) for this client.
  TcpBridge(asio::ip::tcp::socket client, const asio::ip::tcp::endpoint& client_endpoint,
            BridgeContext& context, std::weak_ptr<BridgeSet> owner);

  /// Connects to the service; the client is read only once that succeeded.
  void start();
  /// The gateway or the proxy is going away: reset both sides now.
  void stop();
  /// The memory budget is exceeded and this connection is among the newest: reset both sides.
  void shed();
  /// The bytes this connection holds, as charged to the memory budget.
  std::size_t charged() const { return charged_; }

  std::uint64_t id() const { return id_; }
  const asio::ip::tcp::endpoint& client_endpoint() const { return client_endpoint_; }
  /// "connecting" (to the service), "open", or "closing" (one direction has ended).
  const char* state() const;
  TrafficMeter& meter() { return meter_; }
  const TrafficMeter& meter() const { return meter_; }

private:
  /// One direction of the stream: open, then its sender finished (FIN), then we passed the
  /// FIN on to the receiving side.
  enum class Half { open, eof_seen, shut_sent };
  using Reason = std::uint64_t TcpCounters::*;

  // TcpPcb::Events (the service side)
  void on_connected() override;
  void on_data(std::size_t bytes) override;
  void on_eof() override;
  void on_sent() override;
  void on_closed(std::error_code reason) override;

  // client -> service
  void watch_client_while_connecting();
  void read_client();
  void on_client_readable(const std::error_code& ec);
  void on_client_eof();
  // service -> client
  void schedule_write();
  void write_client();
  // timers and endings
  std::chrono::steady_clock::time_point deadline() const;
  void arm_deadline();
  void on_deadline(const std::error_code& ec);
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }
  void maybe_finish();
  void fail(Reason reason);
  void release();

  // memory: what the connection holds, reported to the budget; window and reads held on overload
  /// Reports what the connection holds now; false if that put its source past its bound (the
  /// connection is then reset).
  bool account();
  void update_window_hold();
  void wait_for_budget();
  void on_budget_room();

  void count_in(std::size_t bytes);
  void count_out(std::size_t bytes);

  asio::ip::tcp::socket client_;
  BridgeContext& context_;
  std::uint64_t id_;
  asio::ip::tcp::endpoint client_endpoint_;
  TrafficMeter meter_;
  std::weak_ptr<BridgeSet> owner_;
  stack::TcpPcb vnet_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point armed_for_;
  Half up_ = Half::open;    // client -> service
  Half down_ = Half::open;  // service -> client
  bool connected_ = false;
  bool reading_ = false;          // an async_wait for client bytes is pending
  bool paused_ = false;           // client reads wait for lwIP send space
  bool writing_ = false;          // waiting for room in the client socket
  bool write_scheduled_ = false;  // a write_client() is posted
  bool timer_armed_ = false;
  bool done_ = false;                // ended; pending handlers only return
  bool waiting_for_budget_ = false;  // registered with the budget to resume after an overload
  bool budget_paused_ = false;       // client reads wait for the overload to end
  std::size_t charged_ = 0;          // what the budget was last told this connection holds
};

}  // namespace libproxy::proxy
