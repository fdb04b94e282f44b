// golem-proxyctl: a command-line client for golem-proxyd's management API.
//
// Exit codes: 0 success, 1 the API answered with an error (or could not be reached), 2 usage.
#include <fmt/format.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

constexpr const char* default_api = "http://127.0.0.1:7466";

const char* const usage_text =
    R"(Usage: golem-proxyctl [--api URL] [--token TOKEN] [--json] COMMAND ...

Drives golem-proxyd's management API (GAP-22).

Commands:
  probe add PROTO ADDR REQUESTOR_ID TOKEN [--ttl SECONDS]
                            open a probe socket, or add a token to it
  probe list                every probe and its tokens
  probe get PROTO ADDR [REQUESTOR_ID]
                            a probe's tokens, or one requestor's token
  probe rm PROTO ADDR REQUESTOR_ID [TOKEN]
                            delete a requestor's tokens (or one of them)
  gateway add PROTO ADDR --vpn VPN_ID --remote-addr IP:PORT [--local-addr CIDR]
              --requestor ID --activity ID --remote-id NODE_ID
                            open a gateway into a VPN (replaces probes there)
  gateway list              every gateway
  gateway get PROTO ADDR    one gateway
  gateway rm PROTO ADDR     remove a gateway
  status                    the proxy's health
  metrics [--activity ID | --vpn ID]
                            bytes and rates of the whole proxy, an activity or a VPN
  connections [--activity ID] [--vpn ID]
                            the open connections and their bytes and rates

PROTO is tcp or udp. ADDR is ip:port, [ipv6]:port or a bare port.

Options:
  --api URL      the API (default $GOLEM_PROXY_API, else http://127.0.0.1:7466)
  --token TOKEN  bearer token (default $GOLEM_PROXY_API_TOKEN)
  --json         print the API's JSON instead of a table
  -h, --help     this text; "golem-proxyctl COMMAND --help" works too

Exit codes: 0 success, 1 API error (message printed), 2 usage.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Settings {
  std::string api = default_api;
  std::string token;
  bool json = false;
};

// Percent-encodes one path segment (an IPv6 address's brackets, say).
std::string encode(const std::string& segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string escape_json(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      continue;
    }
    out += c;
  }
  return out;
}

bool valid_json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return !doc.HasParseError() && (doc.IsObject() || doc.IsArray());
}

// "http://host:port" as httplib wants it: no trailing slash; other schemes are a usage error.
std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw UsageError("--api must be an http:// URL, not '" + url + "'");
  return url;
}

class Api {
public:
  explicit Api(const Settings& settings) : settings_(settings), client_(base_url(settings.api)) {
    client_.set_url_encode(false);
    client_.set_connection_timeout(5);
    client_.set_read_timeout(30);
    if (!settings.token.empty()) client_.set_bearer_token_auth(settings.token);
  }

  /// Sends the request; on an API error prints it and exits 1. Returns the body.
  std::string call(const std::string& method, const std::string& path,
                   const std::string& body = "") {
    httplib::Result result = method == "GET"      ? client_.Get(path)
                             : method == "DELETE" ? client_.Delete(path)
                             : method == "PUT"    ? client_.Put(path, body, "application/json")
                                                  : client_.Post(path, body, "application/json");
    if (!result) {
      fmt::print(stderr, "golem-proxyctl: cannot reach the API at {}: {}\n", settings_.api,
                 httplib::to_string(result.error()));
      std::exit(1);
    }
    if (result->status >= 300) {
      rapidjson::Document doc;
      doc.Parse(result->body.c_str());
      const bool has_error = doc.IsObject() && doc.HasMember("error") && doc["error"].IsObject() &&
                             doc["error"].HasMember("message") &&
                             doc["error"]["message"].IsString() && doc["error"].HasMember("code") &&
                             doc["error"]["code"].IsString();
      if (has_error)
        fmt::print(stderr, "golem-proxyctl: {} ({}, HTTP {})\n",
                   doc["error"]["message"].GetString(), doc["error"]["code"].GetString(),
                   result->status);
      else
        fmt::print(stderr, "golem-proxyctl: HTTP {}: {}\n", result->status, result->body);
      std::exit(1);
    }
    if (result->status != 204 && !valid_json(result->body)) {
      fmt::print(stderr, "golem-proxyctl: unexpected answer from {}: {}\n", settings_.api,
                 result->body.substr(0, 200));
      std::exit(1);
    }
    return result->body;
  }

private:
  const Settings& settings_;
  httplib::Client client_;
};

// A plain table: a header row and left-aligned columns two spaces apart.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], width[i]);
    fmt::print("{}\n", line);
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

std::string text(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key)) return "";
  const auto& m = v[key];
  if (m.IsString()) return m.GetString();
  if (m.IsUint64()) return std::to_string(m.GetUint64());
  if (m.IsInt64()) return std::to_string(m.GetInt64());
  if (m.IsNull()) return "-";
  return "";
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

std::vector<std::string> token_row(const rapidjson::Value& t) {
  return {text(t, "requestorId"), text(t, "token"), text(t, "served"), text(t, "expiresInSeconds")};
}

void print_probes(const std::string& body) {
  const auto doc = parse(body);
  std::vector<std::vector<std::string>> rows;
  if (!doc.IsArray()) throw std::runtime_error("unexpected answer: " + body);
  for (const auto& probe : doc.GetArray()) {
    if (!probe.IsObject() || !probe.HasMember("tokens") || !probe["tokens"].IsArray()) continue;
    for (const auto& t : probe["tokens"].GetArray()) {
      auto row = token_row(t);
      row.insert(row.begin(), {text(probe, "protocol"), text(probe, "address")});
      rows.push_back(row);
    }
  }
  print_table({"PROTO", "ADDRESS", "REQUESTOR", "TOKEN", "SERVED", "EXPIRES_IN"}, rows);
}

std::vector<std::string> gateway_row(const rapidjson::Value& g) {
  return {text(g, "protocol"),   text(g, "address"),   text(g, "vpnId"),
          text(g, "remoteAddr"), text(g, "localAddr"), text(g, "requestorId"),
          text(g, "activityId"), text(g, "vpnLink")};
}
const std::vector<std::string> gateway_header = {"PROTO", "ADDRESS",   "VPN",      "REMOTE",
                                                 "LOCAL", "REQUESTOR", "ACTIVITY", "LINK"};

// ---- commands
// ------------------------------------------------------------------------------------

using Args = std::vector<std::string>;

void need(const Args& args, std::size_t min, std::size_t max, const char* usage) {
  if (args.size() < min || args.size() > max) throw UsageError(usage);
}

std::string item(const char* api, const Args& args) {
  if (args[0] != "tcp" && args[0] != "udp") throw UsageError("PROTO must be tcp or udp");
  return fmt::format("/{}/v1/{}/{}", api, args[0], encode(args[1]));
}

int probe(Api& api, const Settings& settings, const std::string& verb, Args args) {
  if (verb == "add") {
    std::optional<std::string> ttl;
    for (std::size_t i = 0; i < args.size(); ++i)
      if (args[i] == "--ttl") {
        if (i + 1 >= args.size()) throw UsageError("--ttl needs SECONDS");
        ttl = args[i + 1];
        if (ttl->empty() || ttl->find_first_not_of("0123456789") != std::string::npos)
          throw UsageError("--ttl needs a whole number of seconds");
        args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
        break;
      }
    need(args, 4, 4, "probe add PROTO ADDR REQUESTOR_ID TOKEN [--ttl SECONDS]");
    std::string body = fmt::format(R"({{"requestorId":"{}","token":"{}")", escape_json(args[2]),
                                   escape_json(args[3]));
    if (ttl) body += fmt::format(R"(,"ttl":{})", *ttl);
    body += "}";
    const auto reply = api.call("PUT", item("probe-api", args), body);
    if (settings.json) return fmt::print("{}\n", reply), 0;
    print_probes("[" + reply + "]");
  } else if (verb == "list") {
    need(args, 0, 0, "probe list");
    const auto reply = api.call("GET", "/probe-api/v1/");
    if (settings.json) return fmt::print("{}\n", reply), 0;
    print_probes(reply);
  } else if (verb == "get") {
    need(args, 2, 3, "probe get PROTO ADDR [REQUESTOR_ID]");
    auto path = item("probe-api", args);
    if (args.size() == 3) path += "/" + encode(args[2]);
    const auto reply = api.call("GET", path);
    if (settings.json) return fmt::print("{}\n", reply), 0;
    const auto doc = parse(reply);
    std::vector<std::vector<std::string>> rows;
    if (doc.IsArray())
      for (const auto& t : doc.GetArray()) rows.push_back(token_row(t));
    else
      rows.push_back(token_row(doc));
    print_table({"REQUESTOR", "TOKEN", "SERVED", "EXPIRES_IN"}, rows);
  } else if (verb == "rm") {
    need(args, 3, 4, "probe rm PROTO ADDR REQUESTOR_ID [TOKEN]");
    auto path = item("probe-api", args) + "/" + encode(args[2]);
    if (args.size() == 4) path += "/" + encode(args[3]);
    api.call("DELETE", path);
    if (!settings.json) fmt::print("removed\n");
  } else {
    throw UsageError("probe add|list|get|rm");
  }
  return 0;
}

int gateway(Api& api, const Settings& settings, const std::string& verb, Args args) {
  if (verb == "add") {
    std::map<std::string, std::string> flags;
    Args positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i].rfind("--", 0) == 0) {
        if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
        flags[args[i]] = args[i + 1];
        ++i;
      } else {
        positional.push_back(args[i]);
      }
    }
    const char* usage =
        "gateway add PROTO ADDR --vpn VPN_ID --remote-addr IP:PORT [--local-addr CIDR] "
        "--requestor ID --activity ID --remote-id NODE_ID";
    need(positional, 2, 2, usage);
    for (const char* required :
         {"--vpn", "--remote-addr", "--requestor", "--activity", "--remote-id"})
      if (!flags.count(required)) throw UsageError(std::string(required) + " is required");
    for (const auto& [flag, value] : flags)
      if (flag != "--vpn" && flag != "--remote-addr" && flag != "--local-addr" &&
          flag != "--requestor" && flag != "--activity" && flag != "--remote-id")
        throw UsageError("unknown option " + flag);
    std::string body = fmt::format(
        R"({{"requestorId":"{}","activityId":"{}","vpnId":"{}","remoteId":"{}","remoteAddr":"{}")",
        escape_json(flags["--requestor"]), escape_json(flags["--activity"]),
        escape_json(flags["--vpn"]), escape_json(flags["--remote-id"]),
        escape_json(flags["--remote-addr"]));
    if (flags.count("--local-addr"))
      body += fmt::format(R"(,"localAddr":"{}")", escape_json(flags["--local-addr"]));
    body += "}";
    const auto reply = api.call("POST", item("gateway-api", positional), body);
    if (settings.json) return fmt::print("{}\n", reply), 0;
    print_table(gateway_header, {gateway_row(parse(reply))});
  } else if (verb == "list") {
    need(args, 0, 0, "gateway list");
    const auto reply = api.call("GET", "/gateway-api/v1/");
    if (settings.json) return fmt::print("{}\n", reply), 0;
    std::vector<std::vector<std::string>> rows;
    const auto doc = parse(reply);
    if (!doc.IsObject()) throw std::runtime_error("unexpected answer: " + reply);
    for (const auto& address : doc.GetObject())
      if (address.value.IsArray())
        for (const auto& g : address.value.GetArray()) rows.push_back(gateway_row(g));
    print_table(gateway_header, rows);
  } else if (verb == "get") {
    need(args, 2, 2, "gateway get PROTO ADDR");
    const auto reply = api.call("GET", item("gateway-api", args));
    if (settings.json) return fmt::print("{}\n", reply), 0;
    print_table(gateway_header, {gateway_row(parse(reply))});
  } else if (verb == "rm") {
    need(args, 2, 2, "gateway rm PROTO ADDR");
    api.call("DELETE", item("gateway-api", args));
    if (!settings.json) fmt::print("removed\n");
  } else {
    throw UsageError("gateway add|list|get|rm");
  }
  return 0;
}

int status(Api& api, const Settings& settings, const Args& args) {
  need(args, 0, 0, "status");
  const auto reply = api.call("GET", "/status-api/v1/status");
  if (settings.json) return fmt::print("{}\n", reply), 0;
  const auto doc = parse(reply);
  std::vector<std::vector<std::string>> rows;
  for (const char* key :
       {"status", "uptimeSeconds", "transport", "probes", "gateways", "vpns", "activitiesServed"})
    rows.push_back({key, text(doc, key)});
  if (doc.IsObject() && doc.HasMember("gsb") && doc["gsb"].IsObject()) {
    const auto& gsb = doc["gsb"];
    for (const char* key : {"nodeId", "url", "state", "lastError"})
      rows.push_back({std::string("gsb.") + key, text(gsb, key)});
    if (gsb.HasMember("bindings") && gsb["bindings"].IsArray())
      for (const auto& binding : gsb["bindings"].GetArray())
        if (binding.IsObject() && binding.HasMember("registered") && binding["registered"].IsBool())
          rows.push_back({"gsb.binding",
                          text(binding, "address") +
                              (binding["registered"].GetBool() ? " (registered)" : " (pending)")});
  }
  if (doc.IsObject() && doc.HasMember("connections") && doc["connections"].IsObject())
    for (const auto& counter : doc["connections"].GetObject())
      rows.push_back(
          {counter.name.GetString(), text(doc["connections"], counter.name.GetString())});
  print_table({"NAME", "VALUE"}, rows);
  return 0;
}

// ---- metrics
// -------------------------------------------------------------------------------------

// 1536 -> "1.5 KiB": binary units, as people read them.
std::string human_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

double number(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsNumber()) return 0;
  return v[key].GetDouble();
}

// The rows of one Bandwidth object: direction, total, current, average and max rates.
std::vector<std::vector<std::string>> bandwidth_rows(const rapidjson::Value& b) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [label, total, rates] :
       {std::tuple{"in (from clients)", "bytesReceived", "inbound"},
        std::tuple{"out (to clients)", "bytesSent", "outbound"}}) {
    const auto& r = b.IsObject() && b.HasMember(rates) ? b[rates] : b;
    rows.push_back({label, human_bytes(number(b, total)), human_bytes(number(r, "current")) + "/s",
                    human_bytes(number(r, "average")) + "/s",
                    human_bytes(number(r, "max")) + "/s"});
  }
  return rows;
}

const std::vector<std::string> bandwidth_header = {"DIRECTION", "TOTAL", "CURRENT", "AVERAGE",
                                                   "MAX"};

// --activity ID / --vpn ID flags; anything else is a usage error.
std::map<std::string, std::string> filter_flags(const Args& args, const char* usage) {
  std::map<std::string, std::string> flags;
  for (std::size_t i = 0; i < args.size(); i += 2) {
    if ((args[i] != "--activity" && args[i] != "--vpn") || i + 1 >= args.size())
      throw UsageError(usage);
    flags[args[i]] = args[i + 1];
  }
  return flags;
}

int metrics(Api& api, const Settings& settings, const Args& args) {
  const char* usage = "metrics [--activity ID | --vpn ID]";
  const auto flags = filter_flags(args, usage);
  if (flags.size() > 1) throw UsageError(usage);
  std::string path = "/status-api/v1/metrics";
  if (flags.count("--activity")) path += "/activity/" + encode(flags.at("--activity"));
  if (flags.count("--vpn")) path += "/vpn/" + encode(flags.at("--vpn"));
  const auto reply = api.call("GET", path);
  if (settings.json) return fmt::print("{}\n", reply), 0;
  const auto doc = parse(reply);
  if (!doc.IsObject() || !doc.HasMember("bandwidth"))
    throw std::runtime_error("unexpected answer: " + reply);
  std::vector<std::string> facts;
  for (const char* key :
       {"activityId", "vpnId", "linkState", "gateways", "probes", "activitiesServed"})
    if (doc.HasMember(key)) facts.push_back(fmt::format("{} {}", key, text(doc, key)));
  if (doc.HasMember("connections") && doc["connections"].IsObject()) {
    facts.push_back("connections " + text(doc["connections"], "active") + " open");
    if (doc["connections"].HasMember("total"))
      facts.back() += ", " + text(doc["connections"], "total") + " in all";
  }
  const auto& bandwidth = doc["bandwidth"];
  facts.push_back(fmt::format("window {}s", number(bandwidth, "windowSeconds")));
  std::string line;
  for (const auto& fact : facts) line += (line.empty() ? "" : " · ") + fact;
  fmt::print("{}\n", line);
  print_table(bandwidth_header, bandwidth_rows(bandwidth));
  return 0;
}

int connections(Api& api, const Settings& settings, const Args& args) {
  const auto flags = filter_flags(args, "connections [--activity ID] [--vpn ID]");
  std::string query;
  for (const auto& [flag, value] : flags)
    query += (query.empty() ? "?" : "&") + flag.substr(2) + "=" + encode(value);
  const auto reply = api.call("GET", "/status-api/v1/connections" + query);
  if (settings.json) return fmt::print("{}\n", reply), 0;
  const auto doc = parse(reply);
  if (!doc.IsObject() || !doc.HasMember("connections") || !doc["connections"].IsArray())
    throw std::runtime_error("unexpected answer: " + reply);
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : doc["connections"].GetArray()) {
    if (!c.IsObject() || !c.HasMember("bandwidth")) continue;
    const auto& b = c["bandwidth"];
    const auto& in = b.HasMember("inbound") ? b["inbound"] : b;
    const auto& out = b.HasMember("outbound") ? b["outbound"] : b;
    rows.push_back({text(c, "id"), text(c, "gateway"), text(c, "client"), text(c, "activityId"),
                    text(c, "vpnId"), text(c, "state"), human_bytes(number(b, "bytesReceived")),
                    human_bytes(number(b, "bytesSent")), human_bytes(number(in, "current")) + "/s",
                    human_bytes(number(out, "current")) + "/s"});
  }
  print_table(
      {"ID", "GATEWAY", "CLIENT", "ACTIVITY", "VPN", "STATE", "IN", "OUT", "IN_NOW", "OUT_NOW"},
      rows);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (const char* api = std::getenv("GOLEM_PROXY_API")) settings.api = api;
  if (const char* token = std::getenv("GOLEM_PROXY_API_TOKEN")) settings.token = token;
  Args words;
  bool help = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--api" || arg == "--token") {
        if (i + 1 >= argc) throw UsageError(arg + " needs a value");
        (arg == "--api" ? settings.api : settings.token) = argv[++i];
      } else if (arg == "--json") {
        settings.json = true;
      } else if (arg == "-h" || arg == "--help") {
        help = true;
      } else {
        words.push_back(arg);
      }
    }
    if (help) {
      fmt::print("{}", usage_text);
      return 0;
    }
    if (words.empty()) throw UsageError("a command is needed");
    Api api(settings);
    const std::string command = words[0];
    if (command == "status") return status(api, settings, {words.begin() + 1, words.end()});
    if (command == "metrics") return metrics(api, settings, {words.begin() + 1, words.end()});
    if (command == "connections")
      return connections(api, settings, {words.begin() + 1, words.end()});
    if (words.size() < 2) throw UsageError(command + " needs a subcommand");
    const Args rest(words.begin() + 2, words.end());
    if (command == "probe") return probe(api, settings, words[1], rest);
    if (command == "gateway") return gateway(api, settings, words[1], rest);
    throw UsageError("unknown command '" + command + "'");
  } catch (const UsageError& e) {
    fmt::print(stderr, "golem-proxyctl: {}\n\n{}", e.what(), usage_text);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "golem-proxyctl: {}\n", e.what());
    return 1;
  }
}
