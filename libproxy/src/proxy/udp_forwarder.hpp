// UdpForwarder: one UDP gateway. Datagrams from each client (source address and port) travel in
// their own flow, a UDP pcb in the VPN with its own local port, so that the service's replies
// find their way back to the client that asked.
//
//   client datagram ──▶ flow of its source (opened on first sight, if its IP holds fewer than
//                       max_flows_per_source; at max_flows the one idle longest is evicted if
//                       idle for min_idle_to_evict, else the newcomer is refused)
//                       ──▶ UdpPcb::send (fragmented past the MTU)
//   service datagram ──▶ its flow ──▶ public socket send_to the flow's client (non-blocking;
//                       while the socket is full, a bounded queue; beyond it, dropped)
//   no datagram either way for idle_timeout ──▶ the flow ends
#pragma once

#include "../stack/udp_pcb.hpp"

#include <libproxy/config.hpp>
#include <libproxy/counters.hpp>
#include <libproxy/proxy.hpp>
#include <libproxy/result.hpp>
#include <libproxy/traffic.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <deque>
#include <list>
#include <map>
#include <memory>
#include <vector>

namespace libproxy::stack {
class VpnInterface;
}

namespace libproxy::proxy {

class UdpForwarder final : public std::enable_shared_from_this<UdpForwarder> {
public:
  /// What every gateway shares with the proxy.
  struct Shared {
    UdpCounters& counters;
    TrafficMeter& traffic;  ///< the whole proxy's
    std::uint64_t& next_connection_id;
  };

  /// Starts on `listening` if it is open (a bound socket handed over; taken only on success),
  /// else binds config.listen.
  static Result<std::shared_ptr<UdpForwarder>> start(asio::io_context& io, stack::VpnInterface& vpn,
                                                     const UdpGatewayConfig& config, Shared shared,
                                                     asio::ip::udp::socket& listening);
  UdpForwarder(asio::io_context& io, stack::VpnInterface& vpn, const UdpGatewayConfig& config,
               Shared shared);
  ~UdpForwarder();

  const UdpGatewayConfig& config() const { return config_; }
  const asio::ip::udp::endpoint& bound() const { return bound_; }
  std::size_t flow_count() const { return flows_.size(); }
  Traffic traffic() const { return meter_.snapshot(); }
  void list_flows(std::vector<ConnectionInfo>& out) const;
  void sample(std::uint64_t tick, TrafficMeter::Clock::time_point now,
              TrafficMeter::Clock::duration min_window);
  /// Closes the socket (the port is free when this returns) and ends every flow.
  void stop();

private:
  struct Flow;
  struct Pending {
    asio::ip::udp::endpoint client;
    std::vector<std::uint8_t> datagram;
  };

  void wait_readable();
  void read_datagrams();
  Flow* flow_for(const asio::ip::udp::endpoint& client);
  void end_flow(Flow* flow);
  void to_service(Flow& flow, std::span<const std::uint8_t> datagram);
  void to_client(Flow& flow, std::span<const std::uint8_t> datagram);
  void flush_queue();
  void arm_expiry();
  void expire();

  UdpGatewayConfig config_;
  stack::VpnInterface& vpn_;
  Shared shared_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint bound_;
  asio::steady_timer expiry_;
  TrafficMeter meter_;
  std::vector<TrafficMeter*> meters_;  // the gateway's, the proxy's and the config's
  std::map<asio::ip::udp::endpoint, std::unique_ptr<Flow>> flows_;
  std::list<Flow*> by_activity_;  // least recently active first
  std::deque<Pending> queue_;     // datagrams for clients, waiting for room in the socket
  std::size_t queued_bytes_ = 0;  // charged: payload + queued_datagram_overhead each
  std::map<asio::ip::address, std::size_t> flows_per_source_;
  std::vector<std::uint8_t> buffer_;
  bool writing_ = false;  // waiting for room in the socket
  bool stopped_ = false;
};

}  // namespace libproxy::proxy
