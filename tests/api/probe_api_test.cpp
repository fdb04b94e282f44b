// The Probe API and probe sockets of a running golem-proxyd: real HTTP and UDP clients.
#include "../support/client.hpp"
#include "../support/io_thread.hpp"
#include "../support/netns.hpp"
#include "../support/service.hpp"
#include "api_daemon.hpp"

#include <asio/connect.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;

namespace {

std::string probe_path(const std::string& proto, unsigned short port) {
  return "/probe-api/v1/" + proto + "/127.0.0.1:" + std::to_string(port);
}

std::string token_body(const std::string& requestor, const std::string& token, int ttl = 0) {
  std::string body = R"({"requestorId":")" + requestor + R"(","token":")" + token + "\"";
  if (ttl > 0) body += ",\"ttl\":" + std::to_string(ttl);
  return body + "}";
}

// Sends raw bytes to a TCP probe and returns everything it answers until it closes.
std::string raw_exchange(unsigned short port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), port});
  asio::write(socket, asio::buffer(request));
  std::string answer;
  std::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  return answer;
}

std::string status_line(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

// True if a server could not bind 127.0.0.1:port now (SO_REUSEADDR, as servers do, so that
// TIME_WAIT leftovers of answered probe requests do not count).
bool port_taken(unsigned short port) { return !can_bind_loopback(SOCK_STREAM, port, true); }

}  // namespace

TEST_CASE("a TCP probe answers each requestor with its token over HTTP") {
  require_root_and_tap();
  ApiDaemon api;
  const auto port = free_port();
  const auto path = probe_path("tcp", port);
  const auto first = api.http->Put(path.c_str(), token_body("0xreq1", "tok-1"), "application/json");
  REQUIRE(first);
  CHECK(first->status == 201);  // the socket was opened
  const auto second = api.http->Put(path.c_str(), R"({"RequestorId":"0xreq2","Token":"tok-2"})",
                                    "application/json");
  CHECK(second->status == 200);  // added to it (GAP-22's capitalised names work too)

  httplib::Client probe("127.0.0.1", port);
  const auto by_query = probe.Get("/?requestorId=0xreq1");
  REQUIRE(by_query);
  CHECK(by_query->status == 200);
  CHECK(by_query->body == "tok-1");
  CHECK(by_query->get_header_value("Content-Type") == "text/plain");
  CHECK(probe.Get("/0xreq2")->body == "tok-2");
  // '+' is a plain character in a path (a space only in a query string).
  REQUIRE(api.http->Put(path.c_str(), token_body("a+b", "tok-plus"), "application/json"));
  CHECK(probe.Get("/a+b")->body == "tok-plus");
  CHECK(api.http->Delete((path + "/a+b").c_str())->status == 204);
  CHECK(probe.Get("/0xnobody")->status == 404);
  CHECK(probe.Post("/0xreq1", "", "text/plain")->status == 405);

  CHECK(status_line(raw_exchange(port, "garbage\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(raw_exchange(port, "GET / HTTP/1.1\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(
            raw_exchange(port, "GET /x HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n")) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  // A client that never finishes its request is cut off (slowloris).
  CHECK(status_line(raw_exchange(port, "GET /0xreq1 HTTP/1.1\r\n")) ==
        "HTTP/1.1 408 Request Timeout");

  // The API shows each token and how often it was served.
  const auto tokens = parse(api.http->Get(path.c_str())->body);
  REQUIRE(tokens.IsArray());
  REQUIRE(tokens.Size() == 2);
  CHECK(tokens[0]["served"].GetUint64() == 1);
  CHECK(tokens[1]["served"].GetUint64() == 1);
  const auto one = parse(api.http->Get((path + "/0xreq1").c_str())->body);
  CHECK(std::string(one["token"].GetString()) == "tok-1");

  // Deleting by token, then by requestor: the socket goes with the last token.
  CHECK(api.http->Delete((path + "/0xreq1/tok-1").c_str())->status == 204);
  CHECK(probe.Get("/0xreq1")->status == 404);
  CHECK(port_taken(port));
  CHECK(api.http->Delete((path + "/0xreq2").c_str())->status == 204);
  CHECK_FALSE(port_taken(port));
  CHECK(api.http->Get("/probe-api/v1/")->body == "[]");
}

TEST_CASE("a UDP probe answers a datagram holding a requestor id with its token") {
  require_root_and_tap();
  ApiDaemon api;
  const auto port = free_port();
  REQUIRE(api.http
              ->Put(probe_path("udp", port).c_str(), token_body("0xreq1", "udp-token"),
                    "application/json")
              ->status == 201);
  asio::io_context io;
  asio::ip::udp::socket socket(io, asio::ip::udp::v4());
  const asio::ip::udp::endpoint probe{asio::ip::address_v4::loopback(), port};
  socket.send_to(asio::buffer(std::string("0xreq1\n")), probe);
  std::array<char, 64> reply{};
  asio::ip::udp::endpoint from;
  const auto n = socket.receive_from(asio::buffer(reply), from);
  CHECK(std::string(reply.data(), n) == "udp-token");
  // An unknown id gets no answer: the next datagram back still answers the known one.
  socket.send_to(asio::buffer(std::string("0xnobody")), probe);
  socket.send_to(asio::buffer(std::string("0xreq1")), probe);
  const auto m = socket.receive_from(asio::buffer(reply), from);
  CHECK(std::string(reply.data(), m) == "udp-token");
}

TEST_CASE("a probe token with a ttl vanishes when it ends and its socket with it") {
  require_root_and_tap();
  ApiDaemon api;
  const auto port = free_port();
  REQUIRE(api.http
              ->Put(probe_path("tcp", port).c_str(), token_body("0xreq1", "short", 1),
                    "application/json")
              ->status == 201);
  CHECK(port_taken(port));
  REQUIRE(wait_until([&] { return api.http->Get("/probe-api/v1/")->body == "[]"; }, 10s));
  CHECK_FALSE(port_taken(port));
}

TEST_CASE("a gateway replaces a probe without the port ever being free") {
  require_root_and_tap();
  ApiDaemon api;
  Netns node("probegw");
  const auto port = free_port();
  REQUIRE(
      api.http
          ->Put(probe_path("tcp", port).c_str(), token_body("0xreq1", "tok"), "application/json")
          ->status == 201);

  // Meanwhile another thread keeps trying to take the port; it must never succeed.
  std::atomic<bool> stop{false};
  std::atomic<long> attempts{0}, got_it{0};
  std::thread squatter([&] {
    while (!stop) {
      ++attempts;
      if (!port_taken(port)) ++got_it;
    }
  });
  const auto added =
      api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(port), entry("net-p"));
  stop = true;
  squatter.join();
  REQUIRE(added->status == 201);
  CHECK(attempts > 0);
  CHECK(got_it == 0);
  CHECK(api.http->Get("/probe-api/v1/")->body == "[]");  // the probe is gone

  // The same socket now forwards into the VPN.
  node.adopt_link(parse(added->body)["vpnLink"].GetString(), "10.20.30.40/24");
  Service service(node, 7000, banner_then_echo("gateway"));
  Client client(port);
  CHECK(client.read_exact(7) == "gateway");
}

TEST_CASE("Probe API errors answer with a JSON error and change nothing") {
  require_root_and_tap();
  const std::string tap = "gpp" + std::to_string(getpid() % 100000);
  ApiDaemon api({"--vpn", "known,tap=" + tap + ",address=10.20.30.41/24"});
  const auto gateway_port = free_port();
  REQUIRE(api.post("/gateway-api/v1/tcp/127.0.0.1:" + std::to_string(gateway_port),
                   entry("known", false))
              ->status == 201);
  const auto port = free_port();
  REQUIRE(api.http->Put(probe_path("tcp", port).c_str(), token_body("r", "t"), "application/json")
              ->status == 201);
  asio::io_context io;
  asio::ip::tcp::acceptor other(io, {asio::ip::address_v4::loopback(), 0});
  const auto before = api.http->Get("/probe-api/v1/")->body;
  const auto gateways_before = api.list();

  struct Case {
    std::string method, path, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"PUT", probe_path("tcp", gateway_port), token_body("r", "t"), 409, "gateway_exists"},
      {"PUT", probe_path("tcp", other.local_endpoint().port()), token_body("r", "t"), 409,
       "address_in_use"},
      {"PUT", probe_path("tcp", port), "{", 400, "bad_json"},
      {"PUT", probe_path("tcp", port), R"({"requestorId":"r"})", 400, "bad_field"},
      {"PUT", probe_path("tcp", port), R"({"requestorId":"has space","token":"t"})", 400,
       "bad_field"},
      {"PUT", probe_path("tcp", port), R"({"requestorId":"r","token":"t","ttl":0})", 400,
       "bad_field"},
      {"PUT", probe_path("tcp", port), R"({"requestorId":"a/b","token":"t"})", 400,
       "bad_field"},  // it could never be addressed in a path
      {"PUT", probe_path("tcp", port), R"({"requestorId":"r","token":"t\u0000x"})", 400,
       "bad_field"},
      {"PUT", probe_path("tcp", port), R"({"requestorId":"r","token":"t","ttl":"1"})", 400,
       "bad_field"},
      // Issue 12: an embedded NUL or a meaningless zone in {addr} was cut off and accepted.
      {"PUT", "/probe-api/v1/tcp/127.0.0.1%00:" + std::to_string(port), token_body("r", "t"), 400,
       "bad_address"},
      {"PUT", "/probe-api/v1/tcp/[::1%25junk]:" + std::to_string(port), token_body("r", "t"), 400,
       "bad_address"},
      {"PUT", "/probe-api/v1/tcp/[::1%25lo]:" + std::to_string(port), token_body("r", "t"), 400,
       "bad_address"},  // a zone, but ::1 is not link-local
      {"PUT", probe_path("tcp", port), "{\"requestorId\":\"r\xff\",\"token\":\"t\"}", 400,
       "bad_json"},  // not UTF-8
      {"PUT", probe_path("tcp", port), R"({"requestorId":"r\u0000","token":"t"})", 400,
       "bad_field"},
      {"PUT", "/probe-api/v1/icmp/127.0.0.1:1", token_body("r", "t"), 400, "bad_protocol"},
      {"PUT", "/probe-api/v1/tcp/0", token_body("r", "t"), 400, "bad_address"},
      {"GET", probe_path("tcp", 1), "", 404, "not_found"},
      {"GET", probe_path("tcp", port) + "/nobody", "", 404, "not_found"},
      {"DELETE", probe_path("tcp", port) + "/nobody", "", 404, "not_found"},
      {"DELETE", probe_path("tcp", port) + "/r/other-token", "", 404, "not_found"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path << " " << c.body);
    httplib::Result result = c.method == "PUT"
                                 ? api.http->Put(c.path.c_str(), c.body, "application/json")
                             : c.method == "GET" ? api.http->Get(c.path.c_str())
                                                 : api.http->Delete(c.path.c_str());
    REQUIRE(result);
    CHECK(result->status == c.status);
    CHECK(error_code(result) == c.code);
    CHECK(api.http->Get("/probe-api/v1/")->body == before);
    CHECK(api.list() == gateways_before);
  }
  // A UDP gateway where a UDP probe is takes the probe's socket, as TCP gateways do.
  const auto udp_port = free_port();
  REQUIRE(
      api.http->Put(probe_path("udp", udp_port).c_str(), token_body("r", "t"), "application/json")
          ->status == 201);
  CHECK(api.post("/gateway-api/v1/udp/127.0.0.1:" + std::to_string(udp_port), entry("known"))
            ->status == 201);
  CHECK(api.http->Get(probe_path("udp", udp_port).c_str())->status == 404);
}

// ---- limits of the probe sockets ---------------------------------------------------------------

namespace {

std::uint64_t probe_counter(ApiDaemon& api, const char* name) {
  const auto doc = parse(api.http->Get("/status-api/v1/status")->body);
  return doc["probeLimits"][name].GetUint64();
}

// A UDP socket on `source` (any 127/8 address is loopback).
int udp_socket_from(const char* source) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, source, &address.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  return fd;
}

void send_udp(int fd, unsigned short port, const std::string& datagram) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

}  // namespace

TEST_CASE("a UDP probe rate-limits answers per source and never answers with more than it got") {
  require_root_and_tap();
  ApiDaemon api({"--udp-probe-rate-per-source", "1"});  // a bucket of 2, refilled 1 a second
  const auto port = free_port();
  const std::string long_token(200, 't');
  REQUIRE(api.http
              ->Put(probe_path("udp", port).c_str(), token_body("0xreq1", "udp-token"),
                    "application/json")
              ->status == 201);
  REQUIRE(api.http
              ->Put(probe_path("udp", port).c_str(), token_body("0xreq2", long_token),
                    "application/json")
              ->status == 200);
  // One source asks 20 times at once: the bucket answers its burst, the rest are counted.
  const int flooder = udp_socket_from("127.0.0.1");
  for (int i = 0; i < 20; ++i) send_udp(flooder, port, "0xreq1");
  REQUIRE(wait_until([&] {
    return probe_counter(api, "udp_answered") + probe_counter(api, "udp_limited_source") == 20;
  }));
  CHECK(probe_counter(api, "udp_limited_source") >= 1);
  ::close(flooder);

  // A 200-byte token goes only to a request at least as long (padded with whitespace).
  const int asker = udp_socket_from("127.0.0.2");
  send_udp(asker, port, "0xreq2");
  REQUIRE(wait_until([&] { return probe_counter(api, "udp_refused_amplification") == 1; }));
  send_udp(asker, port, "0xreq2" + std::string(200, ' '));
  pollfd p{asker, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  std::string reply(512, '\0');
  const auto n = ::recv(asker, reply.data(), reply.size(), 0);
  CHECK(reply.substr(0, static_cast<std::size_t>(std::max<long>(n, 0))) == long_token);
  ::close(asker);
}

TEST_CASE("refused UDP probe requests do not spend the answer budget of real ones") {
  require_root_and_tap();
  // A global budget of one answer (a bucket of 1, refilled once a second).
  ApiDaemon api({"--udp-probe-rate", "1", "--udp-probe-rate-per-source", "1000"});
  const auto port = free_port();
  REQUIRE(api.http
              ->Put(probe_path("udp", port).c_str(), token_body("0xreq1", "udp-token"),
                    "application/json")
              ->status == 201);
  REQUIRE(api.http
              ->Put(probe_path("udp", port).c_str(), token_body("0xreq2", std::string(200, 't')),
                    "application/json")
              ->status == 200);
  // Spoofable requests that are never answered: too short for their token, or unknown ids.
  const int spoofer = udp_socket_from("127.0.0.3");
  for (int i = 0; i < 20; ++i) {
    send_udp(spoofer, port, "0xreq2");
    send_udp(spoofer, port, "0xunknown");
  }
  REQUIRE(wait_until([&] {
    return probe_counter(api, "udp_refused_amplification") +
               probe_counter(api, "udp_limited_global") ==
           20;
  }));
  CHECK(probe_counter(api, "udp_refused_amplification") == 20);
  CHECK(probe_counter(api, "udp_limited_global") == 0);
  ::close(spoofer);
  // The one answer the budget holds goes to a real request.
  const int asker = udp_socket_from("127.0.0.4");
  send_udp(asker, port, "0xreq1");
  pollfd p{asker, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  std::string reply(64, '\0');
  const auto n = ::recv(asker, reply.data(), reply.size(), 0);
  CHECK(reply.substr(0, static_cast<std::size_t>(std::max<long>(n, 0))) == "udp-token");
  CHECK(probe_counter(api, "udp_answered") == 1);
  ::close(asker);
}

TEST_CASE("silent connections from one source do not block a TCP probe for others") {
  require_root_and_tap();
  ApiDaemon api({"--probe-max-connections-per-source", "2"});
  const auto port = free_port();
  REQUIRE(
      api.http
          ->Put(probe_path("tcp", port).c_str(), token_body("0xreq1", "tok-1"), "application/json")
          ->status == 201);
  asio::io_context io;
  const auto connect_from = [&](const char* source) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io, asio::ip::tcp::v4());
    socket->bind({asio::ip::make_address(source), 0});
    socket->connect({asio::ip::address_v4::loopback(), port});
    return socket;
  };
  // Two silent connections hold this source's share; the third is closed on arrival.
  auto silent1 = connect_from("127.0.0.1");
  auto silent2 = connect_from("127.0.0.1");
  auto third = connect_from("127.0.0.1");
  std::string answer;
  std::error_code ec;
  asio::read(*third, asio::dynamic_buffer(answer), ec);
  CHECK(answer.empty());
  CHECK(probe_counter(api, "tcp_refused_source_limit") == 1);
  // Another source is answered meanwhile.
  auto other = connect_from("127.0.0.2");
  asio::write(*other, asio::buffer(std::string("GET /0xreq1 HTTP/1.1\r\n\r\n")));
  answer.clear();
  asio::read(*other, asio::dynamic_buffer(answer), ec);
  CHECK(status_line(answer) == "HTTP/1.1 200 OK");
  // The silent ones are answered 408 after the header timeout, and free their places.
  answer.clear();
  asio::read(*silent1, asio::dynamic_buffer(answer), ec);
  CHECK(status_line(answer) == "HTTP/1.1 408 Request Timeout");
  CHECK(probe_counter(api, "tcp_header_timeouts") >= 1);
}
