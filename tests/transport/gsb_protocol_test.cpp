// The GSB wire protocol against golden bytes (computed from ya-sb-proto's gsb_api.proto; see
// ../shared/notes/golem-vpn.md §1.8), and the framing of a byte stream.
#include "transport/gsb/protocol.hpp"

#include <libproxy/error.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace libproxy::gsb;

namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    static const char digits[] = "0123456789abcdef";
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string frame(const Packet& packet) {
  std::string out;
  append_frame(out, packet);
  return out;
}

// Decodes a whole frame (length included), checking the length.
Packet decode_frame(const std::string& bytes) {
  FrameReader reader;
  reader.append({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  std::error_code ec;
  auto packet = reader.next(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(packet);
  CHECK(reader.buffered() == 0);
  return *packet;
}

}  // namespace

TEST_CASE("GSB frames match the golden bytes") {
  CHECK(hex(frame(Ping{})) == "00 00 00 02 72 00");
  CHECK(hex(frame(Pong{})) == "00 00 00 02 7a 00");
  CHECK(hex(frame(RegisterReply{})) == "00 00 00 02 1a 00");
  CHECK(hex(frame(RegisterReply{409, ""})) == "00 00 00 05 1a 03 08 99 03");
  CHECK(hex(frame(RegisterRequest{"/public/vpn/abc/raw"})) ==
        "00 00 00 17 12 15 0a 13 2f 70 75 62 6c 69 63 2f 76 70 6e 2f 61 62 63 2f 72 61 77");
  CHECK(hex(frame(UnregisterRequest{"/public/vpn/abc/raw"})) ==
        "00 00 00 17 22 15 0a 13 2f 70 75 62 6c 69 63 2f 76 70 6e 2f 61 62 63 2f 72 61 77");
  CHECK(hex(frame(UnregisterReply{404})) == "00 00 00 05 2a 03 08 94 03");
  CHECK(hex(frame(CallRequest{"local", "/a", "5", "", false})) ==
        "00 00 00 10 32 0e 0a 05 6c 6f 63 61 6c 12 02 2f 61 1a 01 35");
  std::string id;
  for (char c = 0; c < 16; ++c) id += c;
  CHECK(hex(frame(Hello{"p", "1", id})) ==
        "00 00 00 1a 0a 18 0a 01 70 12 01 31 1a 10 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e "
        "0f");
  CHECK(hex(frame(CallReply{"7", 0, CallReply::full, ""})) == "00 00 00 05 3a 03 0a 01 37");
  CHECK(hex(frame(CallReply{"7", 500, CallReply::full, "x"})) ==
        "00 00 00 0b 3a 09 0a 01 37 10 f4 03 22 01 78");
}

TEST_CASE("a GSB push has the documented layout and decodes back") {
  const std::string caller = "0x" + std::string(40, 'a');
  const CallRequest push{caller, "/udp/net/0xb/vpn/n/raw", "12", std::string("\x00\x01\x02", 3),
                         true};
  const std::string bytes = frame(push);
  // 32 <len> 0a 2a <caller> 12 <len> <address> 1a <len> <id> 22 <len> <frame> 28 01
  CHECK(static_cast<unsigned char>(bytes[4]) == 0x32);
  CHECK(bytes.substr(6, 2) == "\x0a\x2a");
  CHECK(bytes.substr(8, 42) == caller);
  CHECK(bytes.substr(bytes.size() - 2) == "\x28\x01");
  const auto decoded = std::get<CallRequest>(decode_frame(bytes));
  CHECK(decoded.caller == caller);
  CHECK(decoded.address == push.address);
  CHECK(decoded.request_id == "12");
  CHECK(decoded.data == push.data);
  CHECK(decoded.no_reply);
}

TEST_CASE("the push fast path writes the same bytes as the general encoder") {
  const std::string caller = "0x" + std::string(40, 'a');
  const std::string address =
      "/udp/net/0x" + std::string(40, 'b') + "/vpn/" + std::string(32, 'c') + "/raw";
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{127}, std::size_t{128},
                                 std::size_t{1234}, std::size_t{20000}}) {
    for (const bool no_reply : {true, false}) {
      std::string data(size, '\0');
      for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 7);
      std::string fast = "prefix";
      append_call_request(fast, caller, address, "123456",
                          {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()},
                          no_reply);
      INFO(size << " bytes, no_reply " << no_reply);
      CHECK(fast == "prefix" + frame(CallRequest{caller, address, "123456", data, no_reply}));
    }
  }
}

TEST_CASE("every GSB message the proxy uses decodes back to itself") {
  CHECK(std::get<Hello>(decode_frame(frame(Hello{"ya-sb-router", "0.6.4", "0123456789abcdef"})))
            .version == "0.6.4");
  CHECK(std::get<RegisterRequest>(decode_frame(frame(RegisterRequest{"/x"}))).service_id == "/x");
  CHECK(std::get<RegisterReply>(decode_frame(frame(RegisterReply{409, "taken"}))).message ==
        "taken");
  CHECK(std::get<UnregisterRequest>(decode_frame(frame(UnregisterRequest{"/x"}))).service_id ==
        "/x");
  CHECK(std::get<UnregisterReply>(decode_frame(frame(UnregisterReply{404}))).code == 404);
  const auto reply = std::get<CallReply>(decode_frame(frame(CallReply{"9", 400, 1, "no"})));
  CHECK(reply.code == 400);
  CHECK(reply.reply_type == CallReply::partial);
  CHECK(reply.data == "no");
  CHECK(std::holds_alternative<Ping>(decode_frame(frame(Ping{}))));
  CHECK(std::holds_alternative<Pong>(decode_frame(frame(Pong{}))));
  // A subscribe reply (field 9), which the proxy never uses, is recognised as such.
  CHECK(std::get<Unsupported>(decode_frame(std::string("\x00\x00\x00\x02\x4a\x00", 6))).field == 9);
}

TEST_CASE("a GSB byte stream is split into frames however it arrives") {
  std::string stream;
  append_frame(stream, Ping{});
  append_frame(stream, RegisterReply{409, ""});
  append_frame(stream, CallRequest{"c", "/a", "1", std::string(3000, 'z'), true});
  FrameReader reader;
  std::vector<Packet> packets;
  std::error_code ec;
  for (char byte : stream) {  // one byte at a time
    reader.append({reinterpret_cast<const std::uint8_t*>(&byte), 1});
    while (auto packet = reader.next(ec)) packets.push_back(*packet);
    REQUIRE_FALSE(ec);
  }
  REQUIRE(packets.size() == 3);
  CHECK(std::holds_alternative<Ping>(packets[0]));
  CHECK(std::get<RegisterReply>(packets[1]).code == 409);
  CHECK(std::get<CallRequest>(packets[2]).data.size() == 3000);
  CHECK(reader.buffered() == 0);
}

TEST_CASE("empty and malformed GSB frames are errors") {
  std::error_code ec;
  {
    FrameReader reader;
    const std::uint8_t empty[] = {0x00, 0x00, 0x00, 0x00};  // a Packet with no message
    reader.append(empty);
    CHECK_FALSE(reader.next(ec));
    CHECK(ec == libproxy::errc::gsb_protocol_error);
  }
  {
    FrameReader reader;
    const std::uint8_t truncated[] = {0x00, 0x00, 0x00, 0x03,
                                      0x32, 0x05, 0x0a};  // length 5, 1 byte
    reader.append(truncated);
    CHECK_FALSE(reader.next(ec));
    CHECK(ec == libproxy::errc::gsb_protocol_error);
  }
}

TEST_CASE("GSB fields of the wrong wire type are decode errors and never assertions") {
  // Each is a well-framed Packet with one field of a type its schema does not allow.
  const std::vector<std::string> mistyped = {
      std::string("\x30\x01", 2),              // call_request (6) as a varint
      std::string("\x3a\x02\x10\x00", 4),      // fine: CallReply{code 0}, the control case
      std::string("\x32\x02\x08\x01", 4),      // CallRequest.caller (1) as a varint
      std::string("\x32\x03\x22\x01\x00", 5),  // fine: CallRequest.data, the control case
      std::string("\x32\x02\x28\x01", 4),      // fine: CallRequest.no_reply = true
      std::string("\x32\x03\x2a\x01\x01", 5),  // CallRequest.no_reply (5) length-delimited
      std::string("\x3a\x03\x12\x01\x00", 5),  // CallReply.code (2) length-delimited
      std::string("\x1a\x03\x0a\x01\x00", 5),  // RegisterReply.code (1) length-delimited
      std::string("\x0a\x02\x18\x01", 4),      // Hello.instance_id (3) as a varint
      std::string("\x12\x02\x08\x01", 4),      // RegisterRequest.service_id as a varint
      std::string("\x2a\x03\x0a\x01\x00", 5),  // UnregisterReply.code length-delimited
      std::string("\x3a\x09\x09", 3) + std::string(8, '\0'),  // CallReply.request_id as fixed64
  };
  const std::vector<bool> valid = {false, true,  false, true,  true,  false,
                                   false, false, false, false, false, false};
  for (std::size_t i = 0; i < mistyped.size(); ++i) {
    INFO(hex(mistyped[i]));
    std::error_code ec;
    const auto packet = decode_packet(mistyped[i], ec);
    CHECK(bool(packet) == valid[i]);
    CHECK(bool(ec) == !valid[i]);
    if (!valid[i]) CHECK(ec == libproxy::errc::gsb_protocol_error);
  }
  // An unknown Packet field of any type is skipped, as protobuf does.
  std::error_code ec;
  CHECK(std::holds_alternative<Ping>(*decode_packet(std::string("\xa0\x06\x01\x72\x00", 5), ec)));
  CHECK_FALSE(ec);
}

TEST_CASE("a GSB frame over the limit is skipped and the stream stays in sync") {
  std::string stream;
  append_frame(stream, Ping{});
  append_frame(stream, CallRequest{"0xremote", "/public/vpn/n/raw", "1", std::string(5000, 'x'),
                                   true});  // over the limit below
  append_frame(stream, RegisterReply{409, ""});
  append_frame(stream,
               CallRequest{"0xremote", "/public/vpn/n/raw", "2", std::string(100, 'y'), true});
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
    INFO("chunks of " << chunk);
    FrameReader reader(1024);
    std::vector<Packet> packets;
    std::size_t most_buffered = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const auto n = std::min(chunk, stream.size() - at);
      reader.append({reinterpret_cast<const std::uint8_t*>(stream.data() + at), n});
      std::error_code ec;
      while (auto packet = reader.next(ec)) packets.push_back(*packet);
      REQUIRE_FALSE(ec);
      most_buffered = std::max(most_buffered, reader.buffered());
    }
    REQUIRE(packets.size() == 3);
    CHECK(std::holds_alternative<Ping>(packets[0]));
    CHECK(std::get<RegisterReply>(packets[1]).code == 409);
    CHECK(std::get<CallRequest>(packets[2]).data == std::string(100, 'y'));
    CHECK(reader.frames_skipped() == 1);
    CHECK(reader.skip_remaining() == 0);
    CHECK(reader.buffered() == 0);
    if (chunk < 1024) CHECK(most_buffered < 1024 + 4);  // the skipped bytes are never kept
  }
  // A length near 4 GiB is skipped too, a chunk at a time, with nothing kept.
  FrameReader reader;
  const std::uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3};
  reader.append(huge);
  std::error_code ec;
  CHECK_FALSE(reader.next(ec));
  CHECK_FALSE(ec);
  CHECK(reader.frames_skipped() == 1);
  CHECK(reader.skip_remaining() == 0xffffffffu - 3);
  CHECK(reader.buffered() == 0);
}
