// The GSB client's connection state machine:
//
//            start()                connected: send Hello,
//   stopped ─────────► connecting ──────────────────────────► connected
//      ▲                 │    ▲      register every binding      │
//      │ stop()          │    │                                  │ socket error, EOF, bad frame,
//      │ (any state)     │    └──────── backoff ◄────────────────┘ second Hello, queue overflow
//      └─────────────────┘  failure ──►  (timer: min, 2×, … max)
//
// Each connection attempt has a generation number; a completion from an older one is ignored.
// Replies to Register and Unregister carry no id: they are matched to requests in order, one
// queue per kind, as the Rust client does. A 409 right after a reconnect may be the previous
// connection's registration, not cleaned up yet: the register is retried until it succeeds.
#include "bus_url.hpp"
#include "protocol.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_client.hpp>

#include <asio/connect.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <cstdlib>
#include <deque>
#include <map>
#include <random>

namespace libproxy {
namespace {

constexpr std::size_t read_chunk = 64 * 1024;

std::string random_instance_id() {
  std::random_device device;
  std::string id(16, '\0');
  for (auto& byte : id) byte = static_cast<char>(device() & 0xFF);
  id[6] = static_cast<char>((id[6] & 0x0F) | 0x40);  // UUID version 4, as the Rust client sends
  id[8] = static_cast<char>((id[8] & 0x3F) | 0x80);
  return id;
}

// A bound address serves `address` and everything under it ("a/b" serves "a/b/c", not "a/bc").
bool serves(const std::string& bound, std::string_view called) {
  return called.starts_with(bound) &&
         (called.size() == bound.size() || called[bound.size()] == '/' || bound.ends_with('/'));
}

}  // namespace

std::string gsb_url_from_environment() {
  for (const char* name : {"YAGNA_GSB_URL", "GSB_URL"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "unix:/tmp/yagna.sock";
}

const char* to_string(GsbState state) {
  switch (state) {
    case GsbState::stopped:
      return "stopped";
    case GsbState::connecting:
      return "connecting";
    case GsbState::connected:
      return "connected";
    case GsbState::backoff:
      return "backoff";
  }
  return "unknown";
}

struct GsbClient::Impl : std::enable_shared_from_this<Impl> {
  struct Binding {
    Handler handler;
    bool registered = false;
  };
  struct PendingCall {
    CallDone done;
    std::unique_ptr<asio::steady_timer> timer;
    std::string data;  // PARTIAL replies so far
  };
  using Socket = asio::generic::stream_protocol::socket;

  Impl(asio::io_context& io_context, GsbClientConfig cfg, gsb::BusUrl bus_url)
      : io(io_context),
        config(std::move(cfg)),
        url(std::move(bus_url)),
        socket(io),
        resolver(io),
        retry_timer(io),
        reader(config.max_frame_bytes),
        read_buffer(read_chunk) {}

  asio::io_context& io;
  GsbClientConfig config;
  gsb::BusUrl url;
  Socket socket;
  asio::ip::tcp::resolver resolver;
  asio::steady_timer retry_timer;
  GsbState state = GsbState::stopped;
  std::uint64_t generation = 0;
  std::chrono::milliseconds backoff{0};
  std::string last_error;
  GsbCounters counters;
  std::vector<StateHandler> state_handlers;

  std::map<std::string, std::shared_ptr<Binding>, std::less<>> bindings;
  std::deque<std::string> register_queue;    // addresses whose RegisterReply is due, in order
  std::deque<std::string> unregister_queue;  // the same for UnregisterReply
  std::map<std::string, PendingCall, std::less<>> calls;
  std::uint64_t next_request_id = 1;

  gsb::FrameReader reader;
  std::vector<std::uint8_t> read_buffer;
  bool peer_hello = false;

  std::string queued;                     // frames not handed to the socket yet
  std::deque<std::size_t> queued_frames;  // their sizes, for unbatched writes
  std::string in_flight;                  // the bytes of the write in progress
  std::size_t in_flight_frames = 0;
  bool writing = false;
  bool flush_posted = false;

  // --- connecting ----------------------------------------------------------------------------

  void connect() {
    state = GsbState::connecting;
    const auto gen = ++generation;
    std::error_code ec;
    if (url.is_unix) {
      const asio::local::stream_protocol::endpoint endpoint(url.path);
      socket.open(asio::generic::stream_protocol(AF_UNIX, 0), ec);
      if (ec) return fail(ec, "cannot open a socket");
      socket.async_connect(endpoint, [self = shared_from_this(), gen](std::error_code error) {
        if (gen == self->generation) self->on_connect(error);
      });
      return;
    }
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self = shared_from_this(), gen](std::error_code error,
                                         asio::ip::tcp::resolver::results_type results) {
          if (gen != self->generation) return;
          if (error || results.empty()) return self->fail(error, "cannot resolve the bus host");
          std::vector<asio::ip::tcp::endpoint> endpoints;
          for (const auto& entry : results) endpoints.push_back(entry.endpoint());
          self->connect_tcp(std::move(endpoints), 0, gen);
        });
  }

  void connect_tcp(std::vector<asio::ip::tcp::endpoint> endpoints, std::size_t index,
                   std::uint64_t gen) {
    std::error_code ec;
    socket.close(ec);
    const auto& endpoint = endpoints[index];
    socket.open(asio::generic::stream_protocol(endpoint.protocol().family(), IPPROTO_TCP), ec);
    if (ec) return fail(ec, "cannot open a socket");
    socket.async_connect(endpoint,
                         [self = shared_from_this(), endpoints, index, gen](std::error_code error) {
                           if (gen != self->generation) return;
                           if (error && index + 1 < endpoints.size())
                             return self->connect_tcp(endpoints, index + 1, gen);
                           self->on_connect(error);
                         });
  }

  void on_connect(std::error_code ec) {
    if (ec) return fail(ec, "cannot connect");
    if (!url.is_unix) {
      std::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    state = GsbState::connected;
    ++counters.connects;
    backoff = std::chrono::milliseconds(0);
    last_error.clear();
    reader = gsb::FrameReader{config.max_frame_bytes};
    peer_hello = false;
    send(gsb::Hello{config.name, config.version, random_instance_id()});
    for (auto& [address, binding] : bindings) send_register(address);
    read();
    notify(true);
  }

  // Ends the current connection (or attempt) and schedules the next one.
  void fail(std::error_code ec, const std::string& what) {
    if (state == GsbState::stopped) return;
    const bool was_connected = state == GsbState::connected;
    last_error = ec ? what + ": " + ec.message() : what;
    ++counters.disconnects;
    reset_connection();
    state = GsbState::backoff;
    backoff =
        backoff.count() == 0 ? config.reconnect_min : std::min(backoff * 2, config.reconnect_max);
    const auto gen = ++generation;
    retry_timer.expires_after(backoff);
    retry_timer.async_wait([self = shared_from_this(), gen](std::error_code error) {
      if (!error && gen == self->generation) self->connect();
    });
    if (was_connected) notify(false);
  }

  // Closes the socket and forgets everything that belonged to the connection.
  void reset_connection() {
    std::error_code ignored;
    resolver.cancel();
    socket.close(ignored);
    queued.clear();
    queued_frames.clear();
    in_flight.clear();
    writing = false;
    flush_posted = false;
    register_queue.clear();
    unregister_queue.clear();
    for (auto& [address, binding] : bindings) binding->registered = false;
    auto failed = std::move(calls);
    calls.clear();
    for (auto& [id, call] : failed) {
      call.timer->cancel();
      asio::post(io, [done = std::move(call.done)] { done(errc::gsb_disconnected, {}); });
    }
  }

  void stop() {
    if (state == GsbState::stopped) return;
    const bool was_connected = state == GsbState::connected;
    ++generation;
    retry_timer.cancel();
    reset_connection();
    state = GsbState::stopped;
    if (was_connected) notify(false);
  }

  void notify(bool connected) {
    const auto handlers = state_handlers;  // a handler may add another
    for (const auto& handler : handlers) handler(connected);
  }

  // --- reading -------------------------------------------------------------------------------

  void read() {
    const auto gen = generation;
    socket.async_read_some(asio::buffer(read_buffer),
                           [self = shared_from_this(), gen](std::error_code ec, std::size_t n) {
                             if (gen != self->generation) return;
                             if (ec) return self->fail(ec, "connection lost");
                             self->on_read(n, gen);
                           });
  }

  void on_read(std::size_t n, std::uint64_t gen) {
    counters.bytes_received += n;
    reader.append({read_buffer.data(), n});
    for (;;) {
      std::error_code ec;
      const auto skipped = reader.frames_skipped();
      auto packet = reader.next(ec);
      counters.frames_oversize += reader.frames_skipped() - skipped;
      if (ec) return fail(ec, "bad frame from the bus");
      if (!packet) break;
      ++counters.frames_received;
      if (!dispatch(*packet)) return;
      if (gen != generation) return;  // a handler stopped or broke the connection
    }
    read();
  }

  // Acts on one packet; false when it ended the connection.
  bool dispatch(gsb::Packet& packet) {
    if (auto* request = std::get_if<gsb::CallRequest>(&packet)) {
      serve(*request);
    } else if (auto* reply = std::get_if<gsb::CallReply>(&packet)) {
      complete(*reply);
    } else if (std::holds_alternative<gsb::Ping>(packet)) {
      send(gsb::Pong{});
    } else if (std::holds_alternative<gsb::Pong>(packet)) {
      // an answer to nothing we sent; harmless
    } else if (std::holds_alternative<gsb::Hello>(packet)) {
      if (peer_hello) {
        fail({}, "the bus sent a second Hello");
        return false;
      }
      peer_hello = true;
    } else if (auto* registered = std::get_if<gsb::RegisterReply>(&packet)) {
      if (register_queue.empty()) {
        fail({}, "a RegisterReply for no request");
        return false;
      }
      const std::string address = std::move(register_queue.front());
      register_queue.pop_front();
      on_registered(address, *registered);
    } else if (std::holds_alternative<gsb::UnregisterReply>(packet)) {
      if (unregister_queue.empty()) {
        fail({}, "an UnregisterReply for no request");
        return false;
      }
      unregister_queue.pop_front();
    } else if (std::holds_alternative<gsb::Unsupported>(packet)) {
      // broadcasts and subscriptions: the proxy uses none
    } else {
      fail({}, "the bus sent a request only clients send");
      return false;
    }
    return true;
  }

  void serve(const gsb::CallRequest& request) {
    std::shared_ptr<Binding> binding;
    if (const auto exact = bindings.find(request.address); exact != bindings.end()) {
      binding = exact->second;  // the usual case: a VPN's raw address
    } else {
      std::size_t best = 0;  // else the longest bound prefix, as the router routes
      for (const auto& [address, candidate] : bindings) {
        if (address.size() >= best && serves(address, request.address)) {
          binding = candidate;
          best = address.size();
        }
      }
    }
    if (!binding) {
      ++counters.calls_unroutable;
      if (!request.no_reply)
        send(gsb::CallReply{request.request_id, 400, gsb::CallReply::full,
                            "endpoint address not found"});
      return;
    }
    const GsbIncoming incoming{
        request.caller,
        request.address,
        {reinterpret_cast<const std::uint8_t*>(request.data.data()), request.data.size()},
        !request.no_reply};
    const auto gen = generation;
    GsbReply reply = binding->handler(incoming);
    if (request.no_reply || gen != generation || state != GsbState::connected) return;
    if (queue_full()) {  // callers that do not read their replies cannot grow our queue
      ++counters.replies_dropped;
      return;
    }
    send(gsb::CallReply{request.request_id, reply.code, gsb::CallReply::full,
                        std::move(reply.data)});
  }

  void complete(gsb::CallReply& reply) {
    const auto it = calls.find(reply.request_id);
    if (it == calls.end()) return;  // timed out already
    it->second.data += reply.data;
    if (reply.reply_type == gsb::CallReply::partial) return;
    auto call = std::move(it->second);
    calls.erase(it);
    call.timer->cancel();
    const std::error_code ec = reply.code == 0 ? std::error_code{} : errc::gsb_call_failed;
    call.done(ec, std::move(call.data));
  }

  void send_register(const std::string& address) {
    register_queue.push_back(address);
    send(gsb::RegisterRequest{address});
  }

  void on_registered(const std::string& address, const gsb::RegisterReply& reply) {
    const auto it = bindings.find(address);
    if (it == bindings.end()) {  // unbound while the request was on its way
      if (reply.code == 0) {
        unregister_queue.push_back(address);
        send(gsb::UnregisterRequest{address});
      }
      return;
    }
    if (reply.code == 0) {
      it->second->registered = true;
      return;
    }
    last_error = "cannot register " + address + ": code " + std::to_string(reply.code) +
                 (reply.message.empty() ? "" : " (" + reply.message + ")");
    if (reply.code != 409) return;  // 400: a bad address; retrying will not help
    // Held by someone: perhaps our previous connection, until the router cleans it up.
    auto timer = std::make_shared<asio::steady_timer>(io, config.reconnect_max);
    timer->async_wait(
        [self = shared_from_this(), timer, address, gen = generation](std::error_code ec) {
          if (ec || gen != self->generation) return;
          const auto again = self->bindings.find(address);
          if (again != self->bindings.end() && !again->second->registered)
            self->send_register(address);
        });
  }

  // --- writing -------------------------------------------------------------------------------

  void send(const gsb::Packet& packet) {
    const std::size_t before = queued.size();
    gsb::append_frame(queued, packet);
    queued_frames.push_back(queued.size() - before);
    schedule_flush();
  }

  void schedule_flush() {
    if (writing || flush_posted) return;
    flush_posted = true;
    // Runs after the handlers already queued: everything they send leaves in one write.
    asio::post(io, [self = shared_from_this(), gen = generation] {
      if (gen != self->generation) return;
      self->flush_posted = false;
      self->flush();
    });
  }

  void flush() {
    if (writing || queued.empty() || state != GsbState::connected) return;
    if (config.batch_writes) {
      in_flight.swap(queued);
      queued.clear();
      in_flight_frames = queued_frames.size();
      queued_frames.clear();
    } else {
      const std::size_t size = queued_frames.front();
      queued_frames.pop_front();
      in_flight.assign(queued, 0, size);
      queued.erase(0, size);
      in_flight_frames = 1;
    }
    writing = true;
    const auto gen = generation;
    asio::async_write(socket, asio::buffer(in_flight),
                      [self = shared_from_this(), gen](std::error_code ec, std::size_t n) {
                        if (gen != self->generation) return;
                        self->writing = false;
                        if (ec) return self->fail(ec, "cannot write to the bus");
                        ++self->counters.writes;
                        self->counters.bytes_sent += n;
                        self->counters.frames_sent += self->in_flight_frames;
                        self->in_flight.clear();
                        self->flush();
                      });
  }

  bool queue_full() const { return queued.size() + in_flight.size() > config.max_queued_bytes; }

  bool push(std::string_view caller, std::string_view address, std::span<const std::uint8_t> data) {
    if (state != GsbState::connected || queue_full()) {
      ++counters.pushes_dropped;
      return false;
    }
    const std::size_t before = queued.size();
    gsb::append_call_request(queued, caller, address, std::to_string(next_request_id++), data,
                             true);
    queued_frames.push_back(queued.size() - before);
    schedule_flush();
    return true;
  }

  void call(std::string_view caller, std::string_view address, std::string data, CallDone done,
            std::chrono::milliseconds timeout) {
    if (state != GsbState::connected) {
      asio::post(io, [done = std::move(done)] { done(errc::gsb_not_connected, {}); });
      return;
    }
    const std::string id = std::to_string(next_request_id++);
    auto timer = std::make_unique<asio::steady_timer>(io, timeout);
    timer->async_wait([self = shared_from_this(), id](std::error_code ec) {
      if (ec) return;
      const auto it = self->calls.find(id);
      if (it == self->calls.end()) return;
      auto expired = std::move(it->second.done);
      self->calls.erase(it);
      ++self->counters.calls_timed_out;
      expired(errc::gsb_call_timeout, {});
    });
    calls.emplace(id, PendingCall{std::move(done), std::move(timer), {}});
    send(gsb::CallRequest{std::string(caller), std::string(address), id, std::move(data), false});
  }
};

Result<std::unique_ptr<GsbClient>> GsbClient::create(asio::io_context& io, GsbClientConfig config) {
  auto url = gsb::parse_bus_url(config.url);
  if (!url) return std::error_code(errc::gsb_bad_url);
  return std::unique_ptr<GsbClient>(
      new GsbClient(std::make_shared<Impl>(io, std::move(config), std::move(*url))));
}

GsbClient::GsbClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

GsbClient::~GsbClient() {
  // Nobody is left to hear about the end: drop callbacks rather than run them later.
  impl_->state_handlers.clear();
  for (auto& [id, call] : impl_->calls) call.timer->cancel();
  impl_->calls.clear();
  impl_->stop();
}

void GsbClient::start() {
  if (impl_->state == GsbState::stopped) impl_->connect();
}

void GsbClient::stop() { impl_->stop(); }

std::error_code GsbClient::bind(const std::string& address, Handler handler) {
  if (impl_->bindings.count(address) != 0) return errc::gsb_address_bound;
  impl_->bindings.emplace(address,
                          std::make_shared<Impl::Binding>(Impl::Binding{std::move(handler)}));
  if (impl_->state == GsbState::connected) impl_->send_register(address);
  return {};
}

void GsbClient::unbind(const std::string& address) {
  const auto it = impl_->bindings.find(address);
  if (it == impl_->bindings.end()) return;
  const bool registered = it->second->registered;
  impl_->bindings.erase(it);
  // Not yet registered: on_registered() unregisters it when the reply comes.
  if (registered && impl_->state == GsbState::connected) {
    impl_->unregister_queue.push_back(address);
    impl_->send(gsb::UnregisterRequest{address});
  }
}

bool GsbClient::push(std::string_view caller, std::string_view address,
                     std::span<const std::uint8_t> data) {
  return impl_->push(caller, address, data);
}

void GsbClient::call(std::string_view caller, std::string_view address, std::string data,
                     CallDone done, std::optional<std::chrono::milliseconds> timeout) {
  impl_->call(caller, address, std::move(data), std::move(done),
              timeout.value_or(impl_->config.call_timeout));
}

void GsbClient::on_state(StateHandler handler) {
  impl_->state_handlers.push_back(std::move(handler));
}

bool GsbClient::connected() const { return impl_->state == GsbState::connected; }

bool GsbClient::registered(const std::string& address) const {
  const auto it = impl_->bindings.find(address);
  return it != impl_->bindings.end() && it->second->registered &&
         impl_->state == GsbState::connected;
}

std::size_t GsbClient::queued_bytes() const {
  return impl_->queued.size() + impl_->in_flight.size();
}

GsbStatus GsbClient::status() const {
  GsbStatus status;
  status.url = impl_->config.url;
  status.state = impl_->state;
  status.last_error = impl_->last_error;
  for (const auto& [address, binding] : impl_->bindings)
    status.bindings.push_back({address, binding->registered});
  status.counters = impl_->counters;
  return status;
}

}  // namespace libproxy
