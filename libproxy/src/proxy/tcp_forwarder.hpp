// TcpForwarder: one TCP gateway. Accepts public connections and gives each to a TcpBridge.
#pragma once

#include "tcp_bridge.hpp"

#include <libproxy/config.hpp>
#include <libproxy/counters.hpp>
#include <libproxy/proxy.hpp>
#include <libproxy/result.hpp>
#include <libproxy/traffic.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <memory>

namespace libproxy::proxy {

class TcpForwarder final : public std::enable_shared_from_this<TcpForwarder> {
public:
  /// Starts accepting on `listening` if it is open (a socket already bound and listening, handed
  /// over; taken only on success), else binds and listens on config.listen.
  /// What every gateway shares with the proxy.
  struct Shared {
    TcpCounters& counters;
    std::span<std::uint8_t> scratch;
    std::vector<asio::const_buffer>& gather;
    TrafficMeter& traffic;  ///< the whole proxy's
    std::uint64_t& next_connection_id;
    MemoryBudget& budget;
    const ProxyLimits& limits;
  };

  static Result<std::shared_ptr<TcpForwarder>> start(asio::io_context& io, stack::VpnInterface& vpn,
                                                     const TcpGatewayConfig& config, Shared shared,
                                                     asio::ip::tcp::acceptor& listening);
  TcpForwarder(asio::io_context& io, stack::VpnInterface& vpn, const TcpGatewayConfig& config,
               Shared shared);

  const TcpGatewayConfig& config() const { return config_; }
  const asio::ip::tcp::endpoint& bound() const { return bound_; }
  std::size_t connection_count() const { return bridges_->size(); }
  Traffic traffic() const { return meter_.snapshot(); }
  /// Appends a snapshot of each open connection.
  void list_connections(std::vector<ConnectionInfo>& out) const;
  /// Closes a rate window of the gateway's meter and of each connection's.
  void sample(std::uint64_t tick, TrafficMeter::Clock::time_point now,
              TrafficMeter::Clock::duration min_window);
  /// Appends every open connection (for shedding).
  void collect(std::vector<std::shared_ptr<TcpBridge>>& out) const {
    out.insert(out.end(), bridges_->begin(), bridges_->end());
  }
  /// Closes the listening socket (the port is free when this returns) and resets every
  /// connection. Nothing of the forwarder runs afterwards.
  void stop();

private:
  void accept();
  /// Whether a client from `source` may open one more connection (counted if not).
  bool admit(const asio::ip::address& source);
  void start_bridge(asio::ip::tcp::socket client, const asio::ip::tcp::endpoint& peer);

  TcpGatewayConfig config_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  asio::ip::tcp::endpoint bound_;
  TrafficMeter meter_;
  SourceTable sources_;
  BridgeContext context_;
  std::shared_ptr<BridgeSet> bridges_ = std::make_shared<BridgeSet>();
  bool stopped_ = false;
};

}  // namespace libproxy::proxy
