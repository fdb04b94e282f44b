// ProbeService: the Probe API's model, on the io thread. A probe is a public TCP or UDP socket
// holding tokens, each registered by a requestor; the socket answers a requestor with its token
// (probe_sockets.hpp) and is closed when its last token goes, by DELETE or by expiry.
#pragma once

#include "gateway_service.hpp"
#include "probe_sockets.hpp"

#include <asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace proxyd {

struct ProbeToken {
  std::string requestor_id;
  std::string token;
  std::optional<std::chrono::steady_clock::time_point> expires;  ///< none: until deleted
  std::uint64_t served = 0;  ///< times a probe socket answered with it
};

struct ProbeView {
  Protocol protocol;
  asio::ip::tcp::endpoint address;
  std::vector<ProbeToken> tokens;
};

class ProbeService {
public:
  explicit ProbeService(asio::io_context& io, const ProbeLimits& limits = {});
  /// Totals of every probe socket's limits (refusals, rate limits).
  const ProbeCounters& counters() const { return shared_->counters; }
  ~ProbeService();

  /// Opens the probe socket or adds to it. `created` tells which.
  Outcome<ProbeView> put(Protocol protocol, const asio::ip::tcp::endpoint& address,
                         ProbeToken token, bool gateway_there, bool& created);
  std::vector<ProbeView> list();
  Outcome<ProbeView> get(Protocol protocol, const asio::ip::tcp::endpoint& address);
  /// The newest token of `requestor_id` at that probe.
  Outcome<ProbeToken> token(Protocol protocol, const asio::ip::tcp::endpoint& address,
                            const std::string& requestor_id);
  /// Deletes the requestor's tokens (all, or only `token`); unbinds when none is left.
  std::optional<ApiError> remove(Protocol protocol, const asio::ip::tcp::endpoint& address,
                                 const std::string& requestor_id,
                                 const std::optional<std::string>& token);
  bool has(Protocol protocol, const asio::ip::tcp::endpoint& address);

  /// Offers a TCP probe's listening socket to `take` (which moves it away to keep it) without
  /// ever unbinding the port. If it was taken, the probe is gone; if not, it goes on answering.
  void hand_over(const asio::ip::tcp::endpoint& address,
                 const std::function<void(asio::ip::tcp::acceptor&)>& take);
  /// The same for a UDP probe's socket.
  void hand_over_udp(const asio::ip::udp::endpoint& address,
                     const std::function<void(asio::ip::udp::socket&)>& take);

private:
  struct Probe;
  using Key = std::pair<Protocol, asio::ip::tcp::endpoint>;
  std::shared_ptr<Probe> find(const Key& key);  // purges expired tokens first
  void expire(const std::shared_ptr<Probe>& probe);
  void drop(const Key& key);

  asio::io_context& io_;
  std::map<Key, std::shared_ptr<Probe>> probes_;
  std::shared_ptr<ProbeShared> shared_;
};

}  // namespace proxyd
