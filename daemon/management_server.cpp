#include "management_server.hpp"

#include "api_support.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <future>
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

std::optional<Protocol> parse_protocol(const std::string& text) {
  if (text == "tcp") return Protocol::tcp;
  if (text == "udp") return Protocol::udp;
  return std::nullopt;
}

// {proto}/{addr} from the path; an error when either is malformed. Port 0 is refused.
std::variant<std::pair<Protocol, asio::ip::tcp::endpoint>, ApiError> parse_target(
    const httplib::Request& req, const ManagementOptions& options) {
  const auto protocol = parse_protocol(req.matches[1]);
  if (!protocol)
    return ApiError{
        400, "bad_protocol",
        fmt::format("unknown protocol '{}' (expected tcp or udp)", req.matches[1].str())};
  try {
    const auto address = parse_endpoint(req.matches[2].str(), options.default_public_address);
    if (address.port() == 0) return ApiError{400, "bad_address", "port 0 is not allowed"};
    return std::pair{*protocol, address};
  } catch (const std::invalid_argument& e) {
    return ApiError{400, "bad_address", e.what()};
  }
}

// A JSON string's full bytes (RapidJSON strings may hold NULs, which C strings would cut).
std::string str(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// A string member by its camelCase name or GAP-22's capitalised one.
const rapidjson::Value* member(const rapidjson::Value& object, const char* camel) {
  std::string capitalised = camel;
  capitalised[0] = static_cast<char>(std::toupper(capitalised[0]));
  for (const auto& name : {std::string(camel), capitalised}) {
    const auto it = object.FindMember(name.c_str());
    if (it != object.MemberEnd()) return &it->value;
  }
  return nullptr;
}

std::variant<GatewayEntry, ApiError> parse_entry(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return ApiError{400, "bad_json", "the body is not valid JSON"};
  if (!doc.IsObject()) return ApiError{400, "bad_json", "the body must be a JSON object"};
  GatewayEntry entry;
  for (auto [name, target] :
       {std::pair{"requestorId", &entry.requestor_id}, std::pair{"activityId", &entry.activity_id},
        std::pair{"vpnId", &entry.vpn_id}, std::pair{"remoteId", &entry.remote_id}}) {
    const auto* value = member(doc, name);
    if (value == nullptr || !value->IsString() || value->GetStringLength() == 0 ||
        value->GetStringLength() > 256)
      return ApiError{400, "bad_field",
                      fmt::format("{} must be a non-empty string of at most 256 bytes", name)};
    *target = str(*value);
    if (target->find('\0') != std::string::npos)
      return ApiError{400, "bad_field", fmt::format("{} must not hold NUL characters", name)};
  }
  if (entry.vpn_id.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
          "-_.") != std::string::npos)
    return ApiError{400, "bad_field", "vpnId may hold letters, digits, '-', '_' and '.' only"};
  const auto* remote = member(doc, "remoteAddr");
  if (remote == nullptr || !remote->IsString())
    return ApiError{400, "bad_field", "remoteAddr must be a string IPV4:PORT"};
  try {
    entry.remote_addr = parse_endpoint(str(*remote), asio::ip::address_v4::any());
  } catch (const std::invalid_argument& e) {
    return ApiError{400, "bad_field", fmt::format("remoteAddr: {}", e.what())};
  }
  const auto remote_ip = entry.remote_addr.address();
  if (!remote_ip.is_v4() || remote_ip.is_unspecified() || remote_ip.is_multicast() ||
      remote_ip.to_v4() == asio::ip::address_v4::broadcast() || entry.remote_addr.port() == 0)
    return ApiError{400, "bad_field",
                    "remoteAddr must be a unicast IPV4:PORT with a non-zero port"};
  if (const auto* local = member(doc, "localAddr"); local != nullptr && !local->IsNull()) {
    if (!local->IsString())
      return ApiError{400, "bad_field", "localAddr must be a string A.B.C.D/LEN"};
    try {
      entry.local_addr = parse_cidr(str(*local));
    } catch (const std::invalid_argument& e) {
      return ApiError{400, "bad_field", fmt::format("localAddr: {}", e.what())};
    }
  }
  return entry;
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

// Printable ASCII, 1..max bytes, without spaces or the characters that end a URL path segment
// ('/', '?', '#'): requestor ids and tokens travel in API paths, probe URLs and datagrams.
bool valid_id(const std::string& text, std::size_t max) {
  return !text.empty() && text.size() <= max && std::all_of(text.begin(), text.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '/' && c != '?' && c != '#';
  });
}

std::variant<ProbeToken, ApiError> parse_probe_token(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return ApiError{400, "bad_json", "the body is not valid JSON"};
  if (!doc.IsObject()) return ApiError{400, "bad_json", "the body must be a JSON object"};
  ProbeToken token;
  const auto* requestor = member(doc, "requestorId");
  if (requestor == nullptr || !requestor->IsString() ||
      !valid_id(token.requestor_id = str(*requestor), 256))
    return ApiError{400, "bad_field",
                    "requestorId must be 1..256 printable ASCII characters, without spaces, "
                    "'/', '?' or '#'"};
  const auto* value = member(doc, "token");
  if (value == nullptr || !value->IsString() || !valid_id(token.token = str(*value), 512))
    return ApiError{400, "bad_field",
                    "token must be 1..512 printable ASCII characters, without spaces, '/', '?' "
                    "or '#'"};
  if (const auto* ttl = member(doc, "ttl"); ttl != nullptr && !ttl->IsNull()) {
    if (!ttl->IsInt64() || ttl->GetInt64() < 1 || ttl->GetInt64() > 7 * 24 * 3600)
      return ApiError{400, "bad_field", "ttl must be a whole number of seconds, 1..604800"};
    token.expires = std::chrono::steady_clock::now() + std::chrono::seconds(ttl->GetInt64());
  }
  return token;
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

ManagementServer::ManagementServer(asio::io_context& io, libproxy::Proxy& proxy,
                                   GatewayService& gateways, ProbeService& probes,
                                   ManagementOptions options)
    : io_(io),
      proxy_(proxy),
      gateways_(gateways),
      probes_(probes),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {}

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
  // httplib sets SO_REUSEPORT, which lets a second daemon bind a port this one serves (and
  // take half its requests). Only SO_REUSEADDR: a port in use is an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const bool bound = options_.port == 0
                         ? (port_ = server_->bind_to_any_port(options_.host)) > 0
                         : server_->bind_to_port(options_.host, port_ = options_.port);
  if (!bound) {
    error = fmt::format("cannot bind the API to {}:{} (in use, or not an address of this machine)",
                        options_.host, options_.port);
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the server runs: wait for that, so stop() always works.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void ManagementServer::stop() {
  stopping_ = true;  // handlers waiting for the io thread give up at once
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void ManagementServer::add_routes() {
  auto& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(4); };
  s.set_payload_max_length(options_.max_body_bytes);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!options_.token.empty() &&
        req.get_header_value("Authorization") != "Bearer " + options_.token) {
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
                       fmt::format("the body is over {} bytes", options_.max_body_bytes)});
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
