// What the management API's route handlers share: JSON replies and errors, and running work on
// the io thread from an HTTP thread.
#pragma once

#include "gateway_service.hpp"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <libproxy/traffic.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <type_traits>

namespace proxyd::api {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline constexpr const char* json_type = "application/json";
// How long a handler waits for the io thread before answering 503.
inline constexpr auto io_timeout = std::chrono::seconds(10);

inline void send_error(httplib::Response& res, const ApiError& error) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.String(error.code.c_str());
  w.Key("message");
  w.String(error.message.c_str());
  w.EndObject();
  w.EndObject();
  res.status = error.status;
  res.set_content(buffer.GetString(), json_type);
}

template <class Fill>
void send_json(httplib::Response& res, int status, Fill&& fill) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  fill(w);
  res.status = status;
  res.set_content(buffer.GetString(), json_type);
}

// Runs f() on the io thread and waits for its value. If the io thread does not start it in
// time (or the server is stopping), f is called off and nullopt returned: a 503 then really
// changed nothing. Once f runs, its result is awaited. f owns what it uses.
template <class F>
auto on_io(asio::io_context& io, const std::atomic<bool>& stopping, F f)
    -> std::optional<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  enum : int { pending, running, called_off };
  struct Shared {
    std::atomic<int> state{pending};
    std::promise<R> promise;
  };
  auto shared = std::make_shared<Shared>();
  auto result = shared->promise.get_future();
  asio::post(io, [shared, f = std::move(f)]() mutable {
    int expected = pending;
    if (!shared->state.compare_exchange_strong(expected, running)) return;
    try {
      shared->promise.set_value(f());
    } catch (...) {
      shared->promise.set_exception(std::current_exception());
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + io_timeout;
  while (result.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (!stopping && std::chrono::steady_clock::now() < deadline) continue;
    int expected = pending;
    if (shared->state.compare_exchange_strong(expected, called_off)) return std::nullopt;
    result.wait();  // it is running already, and short
  }
  return result.get();
}

inline const ApiError io_busy{503, "busy", "the proxy did not answer in time; try again"};

inline void write_rates(Writer& w, const char* key, double current, double average, double max) {
  w.Key(key);
  w.StartObject();
  w.Key("current");
  w.Double(current);
  w.Key("average");
  w.Double(average);
  w.Key("max");
  w.Double(max);
  w.EndObject();
}

// Bytes and rates: "received"/"inbound" is what public clients sent (forwarded into the VPN),
// "sent"/"outbound" what they were sent (the services' answers). Rates are bytes per second.
inline void write_bandwidth(Writer& w, const libproxy::Traffic& t, double window_seconds) {
  w.StartObject();
  w.Key("bytesReceived");
  w.Uint64(t.bytes_in);
  w.Key("bytesSent");
  w.Uint64(t.bytes_out);
  write_rates(w, "inbound", t.current_in, t.average_in, t.max_in);
  write_rates(w, "outbound", t.current_out, t.average_out, t.max_out);
  w.Key("windowSeconds");
  w.Double(window_seconds);
  w.Key("seconds");
  w.Double(t.seconds);
  w.EndObject();
}

}  // namespace proxyd::api
