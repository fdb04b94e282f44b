#include "tcp_forwarder.hpp"

#include <cstdio>

namespace libproxy::proxy {

Result<std::shared_ptr<TcpForwarder>> TcpForwarder::start(asio::io_context& io,
                                                          stack::VpnInterface& vpn,
                                                          const TcpGatewayConfig& config,
                                                          Shared shared,
                                                          asio::ip::tcp::acceptor& listening) {
  auto forwarder = std::make_shared<TcpForwarder>(io, vpn, config, shared);
  auto& acceptor = forwarder->acceptor_;
  std::error_code ec;
  if (listening.is_open()) {
    forwarder->bound_ = listening.local_endpoint(ec);
    if (ec) return ec;
    acceptor = std::move(listening);
  } else {
    acceptor.open(config.listen.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(config.listen, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) forwarder->bound_ = acceptor.local_endpoint(ec);
  }
  if (ec) return ec;
  forwarder->accept();
  return forwarder;
}

TcpForwarder::TcpForwarder(asio::io_context& io, stack::VpnInterface& vpn,
                           const TcpGatewayConfig& config, Shared shared)
    : config_(config),
      acceptor_(io),
      backoff_(io),
      sources_(shared.limits.tcp_per_source),
      context_{vpn,
               config.service,
               config.timeouts,
               shared.counters,
               shared.scratch,
               shared.gather,
               {&meter_, &shared.traffic},
               shared.next_connection_id,
               shared.budget,
               shared.limits,
               sources_} {
  for (const auto& meter : config_.meters)
    if (meter) context_.meters.push_back(meter.get());  // config_ keeps them alive
}

void TcpForwarder::list_connections(std::vector<ConnectionInfo>& out) const {
  const auto now = TrafficMeter::Clock::now();
  for (const auto& bridge : *bridges_)
    out.push_back({bridge->id(), "tcp", config_.vpn_id, bound_, bridge->client_endpoint(),
                   config_.service, bridge->state(), bridge->meter().snapshot(now)});
}

void TcpForwarder::sample(std::uint64_t tick, TrafficMeter::Clock::time_point now,
                          TrafficMeter::Clock::duration min_window) {
  meter_.sample(tick, now, min_window);
  for (const auto& bridge : *bridges_) bridge->meter().sample(tick, now, min_window);
}

void TcpForwarder::accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](const std::error_code& ec, asio::ip::tcp::socket client) {
        if (self->stopped_) return;
        if (ec) {
          // Out of descriptors or memory, or a connection that died in the backlog: wait a moment
          // instead of spinning, then go on accepting.
          std::fprintf(stderr, "libproxy: accept on %s failed: %s\n",
                       self->bound_.address().to_string().c_str(), ec.message().c_str());
          self->backoff_.expires_after(std::chrono::milliseconds(100));
          self->backoff_.async_wait([self](const std::error_code& wait_ec) {
            if (!wait_ec && !self->stopped_) self->accept();
          });
          return;
        }
        if (self->bridges_->size() >= self->config_.max_connections) {
          ++self->context_.counters.downstream_cx_overflow;
          std::error_code ignored;
          client.set_option(asio::socket_base::linger(true, 0), ignored);
          client.close(ignored);
          self->accept();
          return;
        }
        std::error_code peer_ec;
        const auto peer = client.remote_endpoint(peer_ec);
        if (peer_ec || !self->admit(peer.address())) {
          std::error_code ignored;
          client.set_option(asio::socket_base::linger(true, 0), ignored);
          client.close(ignored);
          self->accept();
          return;
        }
        self->start_bridge(std::move(client), peer);
        self->accept();
      });
}

// The bridge gets the endpoint that was admitted, to release that one: asking the socket again
// could fail (the client reset meanwhile) and free another source's slot.
void TcpForwarder::start_bridge(asio::ip::tcp::socket client, const asio::ip::tcp::endpoint& peer) {
  auto bridge = std::make_shared<TcpBridge>(std::move(client), peer, context_, bridges_);
  bridges_->insert(bridge);
  bridge->start();
}

bool TcpForwarder::admit(const asio::ip::address& source) {
  auto& c = context_.counters;
  switch (sources_.admit(source)) {
    case SourceTable::Verdict::admitted:
      return true;
    case SourceTable::Verdict::too_many:
      ++c.downstream_cx_source_limit;
      return false;
    case SourceTable::Verdict::too_fast:
      ++c.downstream_cx_source_rate;
      return false;
    case SourceTable::Verdict::table_full:
      ++c.downstream_cx_source_table_full;
      return false;
  }
  return false;
}

void TcpForwarder::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  // Bridges remove themselves from the set later; stop them from a copy.
  const auto bridges = std::exchange(*bridges_, {});
  for (const auto& bridge : bridges) bridge->stop();
}

}  // namespace libproxy::proxy
