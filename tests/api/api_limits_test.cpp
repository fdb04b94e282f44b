// The management API's bounds, measured against a running golem-proxyd over real sockets:
// slow senders do not starve an authenticated client, and each bound answers as documented
// (431, 408, 413, 411) and is counted in /status and /metrics.
#include "api_daemon.hpp"

#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace testing;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

// Writes `request` on a fresh connection and returns everything answered until the daemon
// closes (bounded: the daemon ends every connection within its request timeout).
std::string send_and_read(int port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)});
  asio::write(socket, asio::buffer(request));
  std::string answer;
  std::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  return answer;
}

std::string status_line(const std::string& answer) { return answer.substr(0, answer.find('\r')); }

// The "api" object of /status-api/v1/status.
std::uint64_t api_counter(ApiDaemon& daemon, const char* name) {
  const auto result = daemon.http->Get("/status-api/v1/status");
  REQUIRE(result);
  REQUIRE(result->status == 200);
  const auto doc = parse(result->body);
  REQUIRE(doc.HasMember("api"));
  REQUIRE(doc["api"].HasMember(name));
  return doc["api"][name].GetUint64();
}

}  // namespace

TEST_CASE("api: slow senders do not starve an authenticated client") {
  ApiDaemon daemon({"--api-token", "s3cret", "--api-request-timeout", "120"});
  daemon.http->set_bearer_token_auth("s3cret");
  daemon.http->set_read_timeout(30s);

  // Five slow-loris connections (one header byte at a time, never finishing) and one sending
  // an endless header line: more than the daemon has workers (4).
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> slow;
  for (int i = 0; i < 5; ++i) {
    slow.emplace_back(io);
    slow.back().connect(
        {asio::ip::address_v4::loopback(), static_cast<unsigned short>(daemon.port)});
    asio::write(slow.back(),
                asio::buffer(std::string("GET /status-api/v1/status HTTP/1.1\r\nX-Slow: ")));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    for (int round = 0; round < 1200 && !done; ++round) {  // at most 2 minutes
      for (auto& s : slow) {
        std::error_code ec;
        asio::write(s, asio::buffer("a", 1), ec);
      }
      std::this_thread::sleep_for(100ms);
    }
  });
  std::string endless_answer;
  std::thread endless([&] {
    asio::io_context own;
    asio::ip::tcp::socket s(own);
    s.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(daemon.port)});
    const std::string line(4096, 'x');
    std::error_code ec;
    asio::write(s, asio::buffer(std::string("GET / HTTP/1.1\r\nX-Endless: ")), ec);
    for (int i = 0; i < 1024 && !ec; ++i) asio::write(s, asio::buffer(line), ec);  // <= 4 MiB
    asio::read(s, asio::dynamic_buffer(endless_answer), ec);
  });

  // Wait until the daemon holds all five (they reached it), then ask as the Provider Agent.
  for (int i = 0; i < 300 && api_counter(daemon, "pending_connections") < 5; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(api_counter(daemon, "pending_connections") >= 5);
  for (int i = 0; i < 20; ++i) {
    const auto result = daemon.http->Get("/gateway-api/v1/");
    REQUIRE(result);
    CHECK(result->status == 200);
  }
  // The slow connections are still open and unanswered: they were not simply dropped.
  for (auto& s : slow) {
    s.non_blocking(true);
    char byte;
    std::error_code ec;
    s.read_some(asio::buffer(&byte, 1), ec);
    CHECK(ec == asio::error::would_block);
  }
  endless.join();
  CHECK(status_line(endless_answer) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(api_counter(daemon, "rejected_header_too_large") == 1);

  // Without the token: 401, counted.
  httplib::Client anonymous("127.0.0.1", daemon.port);
  const auto refused = anonymous.Get("/status-api/v1/status");
  REQUIRE(refused);
  CHECK(refused->status == 401);
  const auto wrong = anonymous.Get("/status-api/v1/status", {{"Authorization", "Bearer s3creT"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(api_counter(daemon, "rejected_unauthorized") == 2);
  done = true;
  trickle.join();
}

TEST_CASE("api: each bound of a request answers with its status and is counted") {
  ApiDaemon daemon({"--api-max-header-bytes", "2048", "--api-max-headers", "10",
                    "--api-request-timeout", "500ms", "--api-max-body-bytes", "1024"});
  const std::string start = "GET /status-api/v1/status HTTP/1.1\r\nHost: x\r\n";

  SECTION("a header line over the head's bytes: 431") {
    const auto answer =
        send_and_read(daemon.port, start + "X-Long: " + std::string(4000, 'a') + "\r\n\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(answer.find("header_too_large") != std::string::npos);
    CHECK(api_counter(daemon, "rejected_header_too_large") == 1);
  }
  SECTION("short headers that add up to over the head's bytes: 431") {
    std::string request = start;
    for (int i = 0; i < 3; ++i)
      request += "X-" + std::to_string(i) + ": " + std::string(900, 'b') + "\r\n";
    const auto answer = send_and_read(daemon.port, request + "\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(api_counter(daemon, "rejected_header_too_large") == 1);
  }
  SECTION("too many headers: 431") {
    std::string request = start;
    for (int i = 0; i < 20; ++i) request += "X-" + std::to_string(i) + ": c\r\n";
    const auto answer = send_and_read(daemon.port, request + "\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(answer.find("too_many_headers") != std::string::npos);
    CHECK(api_counter(daemon, "rejected_too_many_headers") == 1);
  }
  SECTION("a request that does not finish in time: 408") {
    const auto answer = send_and_read(daemon.port, start);  // the blank line never comes
    CHECK(status_line(answer) == "HTTP/1.1 408 Request Timeout");
    CHECK(api_counter(daemon, "rejected_request_timeout") == 1);
    const auto metrics = daemon.http->Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("\ngolem_proxy_api_rejected_request_timeout_total 1\n") !=
          std::string::npos);
  }
  SECTION("a body over the limit: 413, before it is read") {
    const auto answer = send_and_read(
        daemon.port, "POST /gateway-api/v1/tcp/8080 HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 413 Payload Too Large");
    CHECK(api_counter(daemon, "rejected_body_too_large") == 1);
  }
  SECTION("a chunked body: 411") {
    const auto answer = send_and_read(
        daemon.port,
        "POST /gateway-api/v1/tcp/8080 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 411 Length Required");
    CHECK(api_counter(daemon, "rejected_chunked") == 1);
  }
  SECTION("not HTTP: 400") {
    const auto answer = send_and_read(daemon.port, "\x16\x03\x01\x00\x05hello\r\n\r\n"s);
    CHECK(status_line(answer) == "HTTP/1.1 400 Bad Request");
    CHECK(api_counter(daemon, "rejected_malformed") == 1);
  }
  // Whatever was refused, the API still answers, and a head within every bound is served.
  std::string request = start;
  for (int i = 0; i < 9; ++i) request += "X-" + std::to_string(i) + ": d\r\n";
  CHECK(status_line(send_and_read(daemon.port, request + "\r\n")) == "HTTP/1.1 200 OK");
}

TEST_CASE("api: a body announced with Expect 100-continue is served") {
  ApiDaemon daemon;
  const std::string body = R"({"requestorId":"0xreq","token":"t1"})";
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(daemon.port)});
  // The head alone, as curl sends it; the body only once the daemon says to go on.
  asio::write(socket,
              asio::buffer("PUT /probe-api/v1/tcp/127.0.0.1:" + std::to_string(free_port()) +
                           " HTTP/1.1\r\nContent-Type: application/json\r\nExpect: "
                           "100-continue\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n"));
  std::string answer;
  asio::read_until(socket, asio::dynamic_buffer(answer), "\r\n\r\n");
  CHECK(answer == "HTTP/1.1 100 Continue\r\n\r\n");
  asio::write(socket, asio::buffer(body));
  answer.clear();
  std::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  CHECK(status_line(answer) == "HTTP/1.1 201 Created");  // and no second interim answer
}

TEST_CASE("api: one address holding its per-source cap does not lock out another") {
  ApiDaemon daemon(
      {"--api-token", "s3cret", "--api-max-pending", "40", "--api-max-pending-per-source", "32"});
  daemon.http->set_bearer_token_auth("s3cret");
  const auto connect_from = [&](asio::ip::tcp::socket& socket, const char* source) {
    socket.open(asio::ip::tcp::v4());
    socket.bind({asio::ip::make_address(source), 0});  // the whole of 127/8 is this machine
    socket.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(daemon.port)});
  };
  // 127.0.0.3 holds its cap of connections that never finish their request.
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> slow;
  for (int i = 0; i < 32; ++i) {
    slow.emplace_back(io);
    connect_from(slow.back(), "127.0.0.3");
    asio::write(slow.back(), asio::buffer(std::string("GET / HTTP/1.1\r\nX-Slow: ")));
  }
  for (int i = 0; i < 300 && api_counter(daemon, "pending_connections") < 32; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(api_counter(daemon, "pending_connections") == 32);

  // Its next connection is refused and counted ...
  asio::ip::tcp::socket extra(io);
  connect_from(extra, "127.0.0.3");
  std::string refused;
  std::error_code ec;
  asio::read(extra, asio::dynamic_buffer(refused), ec);
  CHECK(status_line(refused) == "HTTP/1.1 503 Service Unavailable");
  CHECK(api_counter(daemon, "rejected_per_source") == 1);
  CHECK(api_counter(daemon, "rejected_too_many_pending") == 0);

  // ... while another address is answered, authenticated.
  asio::ip::tcp::socket other(io);
  connect_from(other, "127.0.0.2");
  asio::write(other, asio::buffer(std::string("GET /status-api/v1/status HTTP/1.1\r\nHost: x\r\n"
                                              "Authorization: Bearer s3cret\r\n\r\n")));
  std::string answer;
  asio::read(other, asio::dynamic_buffer(answer), ec);
  CHECK(status_line(answer) == "HTTP/1.1 200 OK");
  const auto metrics = daemon.http->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("\ngolem_proxy_api_rejected_per_source_total 1\n") != std::string::npos);
}
