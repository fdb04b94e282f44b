#include "udp_forwarder.hpp"

#include <libproxy/source_table.hpp>

#include <libproxy/error.hpp>

#include <cstdio>

namespace libproxy::proxy {
namespace {

using Clock = std::chrono::steady_clock;

// Datagrams read per readiness notification, so one busy gateway cannot starve the others.
constexpr int datagrams_per_wakeup = 64;
constexpr std::size_t max_udp_payload = 65507;

}  // namespace

struct UdpForwarder::Flow final : stack::UdpPcb::Receiver {
  Flow(UdpForwarder& owner_, asio::ip::udp::endpoint client_, std::uint64_t id_)
      : owner(owner_), client(std::move(client_)), id(id_), pcb(*this) {}
  void on_datagram(std::span<const std::uint8_t> datagram) override {
    owner.to_client(*this, datagram);
  }

  UdpForwarder& owner;
  asio::ip::udp::endpoint client;
  std::uint64_t id;
  stack::UdpPcb pcb;
  TrafficMeter meter;
  Clock::time_point last_activity = Clock::now();
  std::list<Flow*>::iterator position;  // in by_activity_
};

Result<std::shared_ptr<UdpForwarder>> UdpForwarder::start(asio::io_context& io,
                                                          stack::VpnInterface& vpn,
                                                          const UdpGatewayConfig& config,
                                                          Shared shared,
                                                          asio::ip::udp::socket& listening) {
  if (config.max_flows == 0 || config.max_flows_per_source == 0 || config.max_datagram == 0 ||
      config.max_datagram > max_udp_payload)
    return make_error_code(errc::invalid_gateway_config);
  auto forwarder = std::make_shared<UdpForwarder>(io, vpn, config, shared);
  auto& socket = forwarder->socket_;
  std::error_code ec;
  if (listening.is_open()) {
    forwarder->bound_ = listening.local_endpoint(ec);
    if (ec) return ec;
    listening.cancel(ec);  // the probe's pending receive
    socket = std::move(listening);
  } else {
    socket.open(config.listen.protocol(), ec);
    if (!ec) socket.bind(config.listen, ec);
    if (!ec) forwarder->bound_ = socket.local_endpoint(ec);
  }
  if (!ec) socket.non_blocking(true, ec);
  if (ec) return ec;
  forwarder->wait_readable();
  return forwarder;
}

UdpForwarder::UdpForwarder(asio::io_context& io, stack::VpnInterface& vpn,
                           const UdpGatewayConfig& config, Shared shared)
    : config_(config),
      vpn_(vpn),
      shared_(shared),
      socket_(io),
      expiry_(io),
      meters_{&meter_, &shared.traffic},
      buffer_(max_udp_payload + 1) {
  for (const auto& meter : config_.meters)
    if (meter) meters_.push_back(meter.get());
}

UdpForwarder::~UdpForwarder() { stop(); }

void UdpForwarder::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  socket_.close(ignored);
  expiry_.cancel();
  shared_.counters.client_bound_bytes_queued -= queued_bytes_;
  queue_.clear();
  queued_bytes_ = 0;
  shared_.counters.flows_active -= flows_.size();
  by_activity_.clear();
  flows_per_source_.clear();
  flows_.clear();  // removes every flow's pcb
}

void UdpForwarder::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const std::error_code& ec) {
                       if (ec || self->stopped_) return;
                       self->read_datagrams();
                     });
}

void UdpForwarder::read_datagrams() {
  for (int i = 0; i < datagrams_per_wakeup && !stopped_; ++i) {
    asio::ip::udp::endpoint client;
    std::error_code ec;
    const std::size_t n = socket_.receive_from(asio::buffer(buffer_), client, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) continue;  // an ICMP error from an earlier send (ECONNREFUSED): not fatal
    if (n > config_.max_datagram) {
      ++shared_.counters.datagrams_too_large;
      continue;
    }
    Flow* flow = flow_for(client);
    if (flow != nullptr) to_service(*flow, {buffer_.data(), n});
  }
  if (!stopped_) wait_readable();
}

UdpForwarder::Flow* UdpForwarder::flow_for(const asio::ip::udp::endpoint& client) {
  if (const auto it = flows_.find(client); it != flows_.end()) return it->second.get();
  const auto source = libproxy::source_key(client.address());  // IPv6: its /64
  auto& from_source = flows_per_source_[source];
  if (from_source >= config_.max_flows_per_source) {
    ++shared_.counters.flows_source_limit;
    return nullptr;
  }
  if (flows_.size() >= config_.max_flows) {
    // Flows in use stay: a flood of new sources (spoofing costs nothing) may only take the
    // places of flows that have been quiet for a while.
    Flow* idlest = by_activity_.front();
    if (Clock::now() - idlest->last_activity < config_.min_idle_to_evict) {
      ++shared_.counters.flows_refused;
      if (from_source == 0) flows_per_source_.erase(source);
      return nullptr;
    }
    ++shared_.counters.flows_evicted;
    end_flow(idlest);
  }
  auto flow = std::make_unique<Flow>(*this, client, ++shared_.next_connection_id);
  if (flow->pcb.open(vpn_, config_.service)) {
    ++shared_.counters.flows_failed;
    if (flows_per_source_[source] == 0) flows_per_source_.erase(source);
    return nullptr;
  }
  ++flows_per_source_[source];
  ++shared_.counters.flows_total;
  ++shared_.counters.flows_active;
  Flow* raw = flow.get();
  raw->position = by_activity_.insert(by_activity_.end(), raw);
  flows_.emplace(client, std::move(flow));
  if (flows_.size() == 1) arm_expiry();
  return raw;
}

void UdpForwarder::end_flow(Flow* flow) {
  --shared_.counters.flows_active;
  if (const auto it = flows_per_source_.find(libproxy::source_key(flow->client.address()));
      it != flows_per_source_.end() && --it->second == 0)
    flows_per_source_.erase(it);
  by_activity_.erase(flow->position);
  flows_.erase(flow->client);  // removes the pcb
}

void UdpForwarder::to_service(Flow& flow, std::span<const std::uint8_t> datagram) {
  if (flow.pcb.send(datagram)) {
    ++shared_.counters.datagrams_dropped;
    return;
  }
  ++shared_.counters.datagrams_to_service;
  shared_.counters.bytes_to_service += datagram.size();
  flow.meter.add_in(datagram.size());
  for (auto* meter : meters_) meter->add_in(datagram.size());
  flow.last_activity = Clock::now();
  by_activity_.splice(by_activity_.end(), by_activity_, flow.position);
}

void UdpForwarder::to_client(Flow& flow, std::span<const std::uint8_t> datagram) {
  if (stopped_) return;
  if (datagram.size() > config_.max_datagram) {
    ++shared_.counters.datagrams_too_large;
    return;
  }
  flow.last_activity = Clock::now();
  by_activity_.splice(by_activity_.end(), by_activity_, flow.position);
  const auto sent = [&](std::size_t bytes) {
    ++shared_.counters.datagrams_to_client;
    shared_.counters.bytes_to_client += bytes;
    flow.meter.add_out(bytes);
    for (auto* meter : meters_) meter->add_out(bytes);
  };
  if (queue_.empty()) {  // datagrams leave in order: straight out only behind an empty queue
    std::error_code ec;
    socket_.send_to(asio::buffer(datagram.data(), datagram.size()), flow.client, 0, ec);
    if (!ec) return sent(datagram.size());
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      ++shared_.counters.datagrams_dropped;
      return;
    }
  }
  // Charged at their payload plus a fixed overhead, so that empty datagrams count too.
  const std::size_t charge = datagram.size() + UdpGatewayConfig::queued_datagram_overhead;
  if (queued_bytes_ + charge > config_.max_queued_bytes) {
    ++shared_.counters.datagrams_dropped;
    return;
  }
  // Counted as sent once it leaves the queue (by then the flow may be gone: the gateway's
  // meters still count it).
  queue_.push_back({flow.client, {datagram.begin(), datagram.end()}});
  queued_bytes_ += charge;
  shared_.counters.client_bound_bytes_queued += charge;
  if (!writing_) flush_queue();
}

void UdpForwarder::flush_queue() {
  while (!queue_.empty() && !stopped_) {
    auto& next = queue_.front();
    std::error_code ec;
    socket_.send_to(asio::buffer(next.datagram), next.client, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      writing_ = true;
      socket_.async_wait(asio::socket_base::wait_write,
                         [self = shared_from_this()](const std::error_code& wait_ec) {
                           self->writing_ = false;
                           if (!wait_ec && !self->stopped_) self->flush_queue();
                         });
      return;
    }
    const std::size_t bytes = next.datagram.size();
    if (ec) {
      ++shared_.counters.datagrams_dropped;
    } else {
      ++shared_.counters.datagrams_to_client;
      shared_.counters.bytes_to_client += bytes;
      for (auto* meter : meters_) meter->add_out(bytes);
      if (const auto it = flows_.find(next.client); it != flows_.end())
        it->second->meter.add_out(bytes);
    }
    queued_bytes_ -= bytes + UdpGatewayConfig::queued_datagram_overhead;
    shared_.counters.client_bound_bytes_queued -=
        bytes + UdpGatewayConfig::queued_datagram_overhead;
    queue_.pop_front();
  }
}

void UdpForwarder::arm_expiry() {
  if (by_activity_.empty() || stopped_) return;
  expiry_.expires_at(by_activity_.front()->last_activity + config_.idle_timeout);
  expiry_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (!ec && !self->stopped_) self->expire();
  });
}

void UdpForwarder::expire() {
  const auto now = Clock::now();
  while (!by_activity_.empty() &&
         by_activity_.front()->last_activity + config_.idle_timeout <= now) {
    ++shared_.counters.flows_expired;
    end_flow(by_activity_.front());
  }
  arm_expiry();
}

void UdpForwarder::list_flows(std::vector<ConnectionInfo>& out) const {
  const auto now = TrafficMeter::Clock::now();
  for (const auto& [client, flow] : flows_) {
    ConnectionInfo info;
    info.id = flow->id;
    info.protocol = "udp";
    info.vpn_id = config_.vpn_id;
    info.gateway = {bound_.address(), bound_.port()};
    info.client = {client.address(), client.port()};
    info.service = {config_.service.address(), config_.service.port()};
    info.state = "open";
    info.traffic = flow->meter.snapshot(now);
    out.push_back(std::move(info));
  }
}

void UdpForwarder::sample(std::uint64_t tick, TrafficMeter::Clock::time_point now,
                          TrafficMeter::Clock::duration min_window) {
  meter_.sample(tick, now, min_window);
  for (const auto& [client, flow] : flows_) flow->meter.sample(tick, now, min_window);
}

}  // namespace libproxy::proxy
