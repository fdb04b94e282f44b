#include "management_server.hpp"

#include "api_input.hpp"
#include "api_support.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <asio/post.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <regex>

namespace proxyd {
namespace {

using namespace api;

void write_gateway(Writer& w, const Gateway& g) {
  w.StartObject();
  w.Key("protocol");
  w.String(to_string(g.protocol));
  w.Key("address");
  w.String(to_string(g.address).c_str());
  w.Key("requestorId");
  w.String(g.entry.requestor_id.c_str());
  w.Key("activityId");
  w.String(g.entry.activity_id.c_str());
  w.Key("vpnId");
  w.String(g.entry.vpn_id.c_str());
  w.Key("remoteId");
  w.String(g.entry.remote_id.c_str());
  w.Key("remoteAddr");
  w.String(to_string(g.entry.remote_addr).c_str());
  w.Key("localAddr");
  w.String(g.entry.local_addr ? to_string(*g.entry.local_addr).c_str() : "");
  w.Key("vpnLink");
  w.String(g.vpn_link.c_str());
  w.EndObject();
}

// {proto}/{addr} from the path.
std::variant<std::pair<Protocol, asio::ip::tcp::endpoint>, ApiError> parse_target(
    const httplib::Request& req, const ManagementOptions& options) {
  return api::parse_target(req.matches[1].str(), req.matches[2].str(),
                           options.default_public_address);
}

void write_token(Writer& w, const ProbeToken& t) {
  w.StartObject();
  w.Key("requestorId");
  w.String(t.requestor_id.c_str());
  w.Key("token");
  w.String(t.token.c_str());
  w.Key("served");
  w.Uint64(t.served);
  w.Key("expiresInSeconds");
  if (t.expires) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(
        *t.expires - std::chrono::steady_clock::now());
    w.Int64(std::max<std::int64_t>(0, left.count()));
  } else {
    w.Null();
  }
  w.EndObject();
}

void write_tokens(Writer& w, const std::vector<ProbeToken>& tokens) {
  w.StartArray();
  for (const auto& t : tokens) write_token(w, t);
  w.EndArray();
}

void write_probe(Writer& w, const ProbeView& p) {
  w.StartObject();
  w.Key("protocol");
  w.String(to_string(p.protocol));
  w.Key("address");
  w.String(to_string(p.address).c_str());
  w.Key("tokens");
  write_tokens(w, p.tokens);
  w.EndObject();
}

// "application/json", in any case, with or without parameters (charset=utf-8).
bool is_json(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type == json_type;
}

}  // namespace

// httplib's Server with process_request() (protected) callable: the front hands it a request
// that is already complete, through RequestStream, instead of letting httplib read a socket.
class RoutedServer : public httplib::Server {
public:
  using httplib::Server::process_request;
};

namespace {

// One complete request read from memory; the response written to the connection's socket.
class RequestStream : public httplib::Stream {
public:
  RequestStream(int fd, const std::string& request, std::chrono::milliseconds write_timeout)
      : fd_(fd), request_(request), write_timeout_(write_timeout) {}
  bool is_readable() const override { return position_ < request_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const auto n = std::min(size, request_.size() - position_);
    std::memcpy(ptr, request_.data() + position_, n);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    // httplib answers "Expect: 100-continue" first; the front did already, or the body was
    // there before it had to.
    static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
    const bool first = !written_;
    written_ = true;
    if (first && std::string_view(ptr, size) == go_on) return static_cast<ssize_t>(size);
    if (fd_ < 0) {
      in_memory.append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    // One deadline for the whole response, from its first write: a client that never reads
    // holds a worker for write_timeout once, not once per write call.
    if (!deadline_) deadline_ = std::chrono::steady_clock::now() + write_timeout_;
    return ManagementFront::write_all(fd_, {ptr, size}, *deadline_) ? static_cast<ssize_t>(size)
                                                                    : -1;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(&getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(&getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

  std::string in_memory;  ///< the response, without a socket (fd -1)

private:
  void address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    char text[INET6_ADDRSTRLEN] = "";
    port = 0;
    if (fd_ < 0 || get(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return;
    if (storage.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
      inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (storage.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    ip = text;
  }

  int fd_;
  const std::string& request_;
  std::size_t position_ = 0;
  bool written_ = false;
  std::chrono::milliseconds write_timeout_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace

ManagementServer::ManagementServer(asio::io_context& io, libproxy::Proxy& proxy,
                                   GatewayService& gateways, ProbeService& probes,
                                   ManagementOptions options)
    : io_(io),
      proxy_(proxy),
      gateways_(gateways),
      probes_(probes),
      options_(std::move(options)),
      server_(std::make_unique<RoutedServer>()),
      front_(options_.limits) {}

ManagementServer::~ManagementServer() { stop(); }

bool ManagementServer::start(std::string& error) {
  std::error_code ec;
  const auto host = asio::ip::make_address(options_.host, ec);
  if (ec) {
    error = fmt::format("invalid API address '{}'", options_.host);
    return false;
  }
  if (!host.is_loopback() && options_.token.empty()) {
    error = fmt::format("refusing to serve the API on {} without a bearer token (--api-token)",
                        options_.host);
    return false;
  }
  add_routes();
  if (!front_.bind(options_.host, options_.port, error)) return false;
  port_ = front_.port();
  front_.start([this](int fd, const std::string& request) {
    RequestStream stream(fd, request, options_.limits.request_timeout);
    bool closed = false;
    server_->process_request(stream, true, closed, nullptr);
  });
  return true;
}

std::string ManagementServer::serve_in_memory(const std::string& request) {
  if (routes_.empty()) add_routes();
  RequestStream stream(-1, request, options_.limits.request_timeout);
  bool closed = false;
  server_->process_request(stream, true, closed, nullptr);
  return std::move(stream.in_memory);
}

void ManagementServer::stop() {
  stopping_ = true;  // handlers waiting for the io thread give up at once
  front_.stop();
}

void ManagementServer::add_routes() {
  auto& s = *server_;
  s.set_payload_max_length(options_.limits.max_body_bytes);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!options_.token.empty() && !equal_in_constant_time(req.get_header_value("Authorization"),
                                                           "Bearer " + options_.token)) {
      ++front_.counters().rejected_unauthorized;
      send_error(res, {401, "unauthorized", "a valid 'Authorization: Bearer <token>' is required"});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Whatever httplib answers by itself (no route, body too large) gets a JSON error too.
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      send_error(res, {413, "body_too_large",
                       fmt::format("the body is over {} bytes", options_.limits.max_body_bytes)});
    else if (res.status == 404)
      send_error(res, {404, "no_route", fmt::format("no route {} {}", req.method, req.path)});
    else
      send_error(res, {res.status, "error", fmt::format("HTTP status {}", res.status)});
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, {500, "internal", "internal error"});
  });

  add_gateway_routes();
  add_probe_routes();

  add_status_routes();
}

void ManagementServer::route(
    const char* method, const std::string& path,
    std::function<void(const httplib::Request&, httplib::Response&)> handler) {
  routes_.emplace_back(method, path);
  // "{name}" matches one path segment; a trailing "/" may be left out.
  std::string pattern = std::regex_replace(path, std::regex(R"(\{[A-Za-z_]+\})"), "([^/]+)");
  if (pattern.back() == '/') pattern += '?';
  auto& s = *server_;
  if (std::string_view(method) == "GET")
    s.Get(pattern, std::move(handler));
  else if (std::string_view(method) == "POST")
    s.Post(pattern, std::move(handler));
  else if (std::string_view(method) == "PUT")
    s.Put(pattern, std::move(handler));
  else
    s.Delete(pattern, std::move(handler));
}

void ManagementServer::add_gateway_routes() {
  route("GET", "/gateway-api/v1/", [this](const httplib::Request&, httplib::Response& res) {
    const auto gateways = on_io(io_, stopping_, [g = &gateways_] { return g->list(); });
    if (!gateways) return send_error(res, io_busy);
    send_json(res, 200, [&](Writer& w) {
      w.StartObject();
      for (const auto& g : *gateways) {
        w.Key(fmt::format("{}/{}", to_string(g.protocol), to_string(g.address)).c_str());
        w.StartArray();
        write_gateway(w, g);
        w.EndArray();
      }
      w.EndObject();
    });
  });

  const char* item = "/gateway-api/v1/{proto}/{addr}";
  route("POST", item, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    if (!is_json(req))
      return send_error(res, {415, "unsupported_media_type", "the body must be application/json"});
    auto entry = parse_entry(req.body);
    if (auto* error = std::get_if<ApiError>(&entry)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto added =
        on_io(io_, stopping_,
              [g = &gateways_, protocol = protocol, address = address,
               entry = std::get<GatewayEntry>(entry)] { return g->add(protocol, address, entry); });
    if (!added) return send_error(res, io_busy);
    if (auto* error = std::get_if<ApiError>(&*added)) return send_error(res, *error);
    send_json(res, 201, [&](Writer& w) { write_gateway(w, std::get<Gateway>(*added)); });
  });
  route("GET", item, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto found =
        on_io(io_, stopping_, [g = &gateways_, protocol = protocol, address = address] {
          return g->get(protocol, address);
        });
    if (!found) return send_error(res, io_busy);
    if (auto* error = std::get_if<ApiError>(&*found)) return send_error(res, *error);
    send_json(res, 200, [&](Writer& w) { write_gateway(w, std::get<Gateway>(*found)); });
  });
  route("DELETE", item, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto removed =
        on_io(io_, stopping_, [g = &gateways_, protocol = protocol, address = address] {
          return g->remove(protocol, address);
        });
    if (!removed) return send_error(res, io_busy);
    if (*removed) return send_error(res, **removed);
    res.status = 204;
  });
}

}  // namespace proxyd

namespace proxyd {

void ManagementServer::add_probe_routes() {
  route("GET", "/probe-api/v1/", [this](const httplib::Request&, httplib::Response& res) {
    const auto probes = on_io(io_, stopping_, [p = &probes_] { return p->list(); });
    if (!probes) return send_error(res, io_busy);
    send_json(res, 200, [&](Writer& w) {
      w.StartArray();
      for (const auto& probe : *probes) write_probe(w, probe);
      w.EndArray();
    });
  });

  const char* item = "/probe-api/v1/{proto}/{addr}";
  route("PUT", item, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    if (!is_json(req))
      return send_error(res, {415, "unsupported_media_type", "the body must be application/json"});
    auto token = parse_probe_token(req.body);
    if (auto* error = std::get_if<ApiError>(&token)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto put =
        on_io(io_, stopping_,
              [p = &probes_, g = &gateways_, protocol = protocol, address = address,
               token = std::get<ProbeToken>(token)] {
                bool created = false;
                auto outcome = p->put(protocol, address, token, g->has(protocol, address), created);
                return std::pair{std::move(outcome), created};
              });
    if (!put) return send_error(res, io_busy);
    if (auto* error = std::get_if<ApiError>(&put->first)) return send_error(res, *error);
    send_json(res, put->second ? 201 : 200,
              [&](Writer& w) { write_probe(w, std::get<ProbeView>(put->first)); });
  });
  route("GET", item, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto found =
        on_io(io_, stopping_, [p = &probes_, protocol = protocol, address = address] {
          return p->get(protocol, address);
        });
    if (!found) return send_error(res, io_busy);
    if (auto* error = std::get_if<ApiError>(&*found)) return send_error(res, *error);
    send_json(res, 200, [&](Writer& w) { write_tokens(w, std::get<ProbeView>(*found).tokens); });
  });

  const char* by_requestor = "/probe-api/v1/{proto}/{addr}/{requestorId}";
  route("GET", by_requestor, [this](const httplib::Request& req, httplib::Response& res) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto found = on_io(
        io_, stopping_,
        [p = &probes_, protocol = protocol, address = address, requestor = req.matches[3].str()] {
          return p->token(protocol, address, requestor);
        });
    if (!found) return send_error(res, io_busy);
    if (auto* error = std::get_if<ApiError>(&*found)) return send_error(res, *error);
    send_json(res, 200, [&](Writer& w) { write_token(w, std::get<ProbeToken>(*found)); });
  });

  const auto remove = [this](const httplib::Request& req, httplib::Response& res,
                             std::optional<std::string> token) {
    auto target = parse_target(req, options_);
    if (auto* error = std::get_if<ApiError>(&target)) return send_error(res, *error);
    const auto [protocol, address] = std::get<0>(target);
    const auto removed = on_io(
        io_, stopping_,
        [p = &probes_, protocol = protocol, address = address, requestor = req.matches[3].str(),
         token] { return p->remove(protocol, address, requestor, token); });
    if (!removed) return send_error(res, io_busy);
    if (*removed) return send_error(res, **removed);
    res.status = 204;
  };
  route("DELETE", by_requestor, [remove](const httplib::Request& req, httplib::Response& res) {
    remove(req, res, std::nullopt);
  });
  route("DELETE", "/probe-api/v1/{proto}/{addr}/{requestorId}/{token}",
        [remove](const httplib::Request& req, httplib::Response& res) {
          remove(req, res, req.matches[4].str());
        });
}

}  // namespace proxyd
