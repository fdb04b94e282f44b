#include "probe_service.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace proxyd {
namespace {

using clock = std::chrono::steady_clock;

bool expired(const ProbeToken& token, clock::time_point now) {
  return token.expires && *token.expires <= now;
}

}  // namespace

struct ProbeService::Probe {
  explicit Probe(asio::io_context& io) : timer(io) {}
  void close() {
    timer.cancel();
    if (tcp) tcp->close();
    if (udp) udp->close();
  }
  /// Drops expired tokens; returns whether any is left.
  bool purge() {
    const auto now = clock::now();
    std::erase_if(tokens, [&](const ProbeToken& t) { return expired(t, now); });
    return !tokens.empty();
  }

  Key key;
  std::vector<ProbeToken> tokens;  // oldest first
  std::shared_ptr<TcpProbeServer> tcp;
  std::shared_ptr<UdpProbeServer> udp;
  asio::steady_timer timer;  // fires at the earliest expiry
};

ProbeService::ProbeService(asio::io_context& io, const ProbeLimits& limits)
    : io_(io), shared_(std::make_shared<ProbeShared>(limits)) {}

ProbeService::~ProbeService() {
  for (auto& [key, probe] : probes_) probe->close();
}

std::shared_ptr<ProbeService::Probe> ProbeService::find(const Key& key) {
  const auto it = probes_.find(key);
  if (it == probes_.end()) return nullptr;
  if (!it->second->purge()) {
    drop(key);
    return nullptr;
  }
  return it->second;
}

void ProbeService::drop(const Key& key) {
  const auto it = probes_.find(key);
  if (it == probes_.end()) return;
  it->second->close();
  probes_.erase(it);
}

void ProbeService::expire(const std::shared_ptr<Probe>& probe) {
  std::optional<clock::time_point> next;
  for (const auto& t : probe->tokens)
    if (t.expires && (!next || *t.expires < *next)) next = t.expires;
  if (!next) return;
  probe->timer.expires_at(*next);
  // `this` is touched only once the probe is locked: probes live only in probes_, which this
  // service owns, so a live probe means a live service, even when a completed wait outran
  // cancel().
  probe->timer.async_wait([this, weak = std::weak_ptr<Probe>(probe)](const std::error_code& ec) {
    const auto p = weak.lock();
    if (ec || !p) return;
    if (find(p->key)) expire(p);  // find() purges, and drops the probe when it is empty
  });
}

Outcome<ProbeView> ProbeService::put(Protocol protocol, const asio::ip::tcp::endpoint& address,
                                     ProbeToken token, bool gateway_there, bool& created) {
  created = false;
  const Key key{protocol, address};
  if (gateway_there)
    return ApiError{
        409, "gateway_exists",
        fmt::format("a gateway listens on {}/{}", to_string(protocol), to_string(address))};
  auto probe = find(key);
  if (!probe) {
    probe = std::make_shared<Probe>(io_);
    probe->key = key;
    // The sockets look tokens up through a weak reference: they may outlive the probe briefly.
    TokenLookup lookup = [weak = std::weak_ptr<Probe>(probe)](
                             const std::string& requestor) -> std::optional<std::string> {
      const auto p = weak.lock();
      if (!p) return std::nullopt;
      const auto now = clock::now();
      for (auto it = p->tokens.rbegin(); it != p->tokens.rend(); ++it)
        if (it->requestor_id == requestor && !expired(*it, now)) {
          ++it->served;
          return it->token;
        }
      return std::nullopt;
    };
    std::error_code ec;
    if (protocol == Protocol::tcp)
      probe->tcp = TcpProbeServer::open(io_, address, lookup, ec, shared_);
    else
      probe->udp =
          UdpProbeServer::open(io_, {address.address(), address.port()}, lookup, ec, shared_);
    if (ec) return bind_failure(address, ec, "probe");
    probes_.emplace(key, probe);
    created = true;
  }
  // The same requestor and token again refreshes its expiry instead of adding a duplicate.
  auto& tokens = probe->tokens;
  std::erase_if(tokens, [&](const ProbeToken& t) {
    return t.requestor_id == token.requestor_id && t.token == token.token;
  });
  tokens.push_back(std::move(token));
  expire(probe);
  return ProbeView{protocol, address, tokens};
}

std::vector<ProbeView> ProbeService::list() {
  std::vector<ProbeView> out;
  std::vector<Key> keys;
  for (const auto& [key, probe] : probes_) keys.push_back(key);
  for (const auto& key : keys)
    if (const auto probe = find(key)) out.push_back({key.first, key.second, probe->tokens});
  return out;
}

Outcome<ProbeView> ProbeService::get(Protocol protocol, const asio::ip::tcp::endpoint& address) {
  const auto probe = find({protocol, address});
  if (!probe)
    return ApiError{404, "not_found",
                    fmt::format("no probe on {}/{}", to_string(protocol), to_string(address))};
  return ProbeView{protocol, address, probe->tokens};
}

Outcome<ProbeToken> ProbeService::token(Protocol protocol, const asio::ip::tcp::endpoint& address,
                                        const std::string& requestor_id) {
  if (const auto probe = find({protocol, address}))
    for (auto it = probe->tokens.rbegin(); it != probe->tokens.rend(); ++it)
      if (it->requestor_id == requestor_id) return *it;
  return ApiError{404, "not_found",
                  fmt::format("no token of requestor {} on {}/{}", requestor_id,
                              to_string(protocol), to_string(address))};
}

std::optional<ApiError> ProbeService::remove(Protocol protocol,
                                             const asio::ip::tcp::endpoint& address,
                                             const std::string& requestor_id,
                                             const std::optional<std::string>& token) {
  const Key key{protocol, address};
  const auto probe = find(key);
  const auto matches = [&](const ProbeToken& t) {
    return t.requestor_id == requestor_id && (!token || t.token == *token);
  };
  if (!probe || std::none_of(probe->tokens.begin(), probe->tokens.end(), matches))
    return ApiError{404, "not_found",
                    fmt::format("no such token of requestor {} on {}/{}", requestor_id,
                                to_string(protocol), to_string(address))};
  std::erase_if(probe->tokens, matches);
  if (probe->tokens.empty()) drop(key);
  return std::nullopt;
}

bool ProbeService::has(Protocol protocol, const asio::ip::tcp::endpoint& address) {
  return find({protocol, address}) != nullptr;
}

void ProbeService::hand_over(const asio::ip::tcp::endpoint& address,
                             const std::function<void(asio::ip::tcp::acceptor&)>& take) {
  const Key key{Protocol::tcp, address};
  const auto probe = find(key);
  if (!probe || !probe->tcp) return;
  auto& acceptor = probe->tcp->pause();
  take(acceptor);
  if (acceptor.is_open()) {
    probe->tcp->resume();  // not taken: the probe goes on
    return;
  }
  probe->timer.cancel();
  probes_.erase(key);  // its socket lives on in the gateway
}

void ProbeService::hand_over_udp(const asio::ip::udp::endpoint& address,
                                 const std::function<void(asio::ip::udp::socket&)>& take) {
  const Key key{Protocol::udp, {address.address(), address.port()}};
  const auto probe = find(key);
  if (!probe || !probe->udp) return;
  auto& socket = probe->udp->pause();
  take(socket);
  if (socket.is_open()) {
    probe->udp->resume();  // not taken: the probe goes on
    return;
  }
  probe->timer.cancel();
  probes_.erase(key);  // its socket lives on in the gateway
}

}  // namespace proxyd
