// Typed Service Bus payloads (serde → FlexBuffers, optionally zlib) against bytes produced by the
// real Rust serializer, hand-built FlexBuffers, and malformed input.
#include "transport/gsb/typed.hpp"

#include <libproxy/error.hpp>

#include <flatbuffers/flexbuffers.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

using namespace libproxy::gsb;
using libproxy::errc;

namespace {

// Golden vectors from the real Rust serializer: flexbuffers 2.0.0 (the version yagna pins),
// serde 1.0.229 and miniz_oxide 0.7.4 (`compress_to_vec_zlib(.., 6)`, as ya-service-bus
// `to_vec` compresses), run on serde-derived mirrors of yagna's types: activity::VpnControl
// and RpcMessageError, identity::Get, IdentityInfo and identity::Error (NodeId as a String, which
// is how NodeId serializes). `flexbuffers::to_vec(&value)`, printed as hex.
constexpr const char* node_a = "0x1111111111111111111111111111111111111111";
constexpr const char* node_b = "0xabcdef0123456789abcdef0123456789abcdef01";

namespace rust {
// Result::<(), String>::Ok(()) and Result::<(), RpcMessageError>::Ok(()): the same bytes.
const std::string ok_unit = "4f6b0001040101010000022401";
// Result::<(), RpcMessageError>::Err(RpcMessageError::BadRequest("bad"))
const std::string err_bad_request =
    "457272006261645265717565737400036261640001110101010914011c0101010724022401";
// VpnControl::AddNodes { network_id: "net1", nodes: {"192.168.8.3": node_a} }
const std::string add_nodes =
    "6164644e6f646573006e6574776f726b5f696400046e657431006e6f646573003139322e3136382e382e3300"
    "2a30783131313131313131313131313131313131313131313131313131313131313131313131313131313100"
    "0139010101301402574702010250091424016a0101010924022401";
// The same, compressed.
const std::string add_nodes_zlib =
    "789c8dc8310a80300c40d124b874ef113a39944641da13b8899ba308e9a0420b2ae8f12d9ec03f7dde223264"
    "8927a478ddf9d8e755a02acf903ee6d058eebcf5b685da3dfc33c080884ed3d413d2a8b4c1ad803264f005c4"
    "ef1811";
// VpnControl::AddNodes { network_id: "4f0e0a7e9c5b4c0e9d3f1a2b3c4d5e6f",
//                        nodes: {"192.168.8.3": node_a, "192.168.8.10": node_b} }
const std::string add_nodes2 =
    "6164644e6f646573006e6574776f726b5f696400203466306530613765396335623463306539643366316132"
    "623363346435653666006e6f646573003139322e3136382e382e3130002a3078616263646566303132333435"
    "36373839616263646566303132333435363738396162636465663031003139322e3136382e382e33002a3078"
    "313131313131313131313131313131313131313131313131313131313131313131313131313131310002723a"
    "0201026932141402af83020102a80b142401c20101010924022401";
// VpnControl::RemoveNodes { network_id: "net1", node_ids: {node_b} }
const std::string remove_nodes =
    "72656d6f76654e6f646573006e6574776f726b5f696400046e657431006e6f64655f696473002a3078616263"
    "6465663031323334353637383961626364656630313233343536373839616263646566303100012c14024a3a"
    "0201024309142801600101010924022401";
// identity::Get::ByDefault
const std::string get_by_default = "09627944656661756c74000a1401";
// Result::<Option<IdentityInfo>, identity::Error>::Ok(Some(IdentityInfo {
//     alias: None, node_id: node_b, is_locked: false, is_default: true }))
const std::string identity_ok_some =
    "4f6b00616c696173006e6f64654964002a307861626364656630313233343536373839616263646566303132"
    "3334353637383961626364656630310069734c6f636b656400697344656661756c7400044d0c164a04010400"
    "0100490068681401600101010d24022401";
// The same, compressed.
const std::string identity_ok_some_zlib =
    "789c75c7bb0e40301400d07ba5239bf80293c9fbb15b08f10baa8fb469a343497c3e3f603b673340ada61e4e"
    "c7c5c421cb1f7a302e645e9455ddb45d3ffc1db45f1c33827f1885a4b7bd80ac613213248030815231ee8818"
    "a5418a2f55f01ae3";
// The same with alias: Some("me").
const std::string identity_ok_some_alias =
    "4f6b00616c69617300026d65006e6f64654964002a3078616263646566303132333435363738396162636465"
    "663031323334353637383961626364656630310069734c6f636b656400697344656661756c740004510c164a"
    "040104510100491468681401640101010d24022401";
// Ok(None)
const std::string identity_ok_none = "4f6b0001040101010000022401";
// Err(identity::Error::InternalErr("x")) and Err(identity::Error::AlreadyExists)
const std::string identity_err_internal =
    "45727200496e7465726e616c4572720001780001100101010714011b0101010724022401";
const std::string identity_err_exists =
    "457272000d416c72656164794578697374730001140101011314022401";
}  // namespace rust

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(std::string_view text) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out += static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1]));
  return out;
}

template <class Fill>
std::string build(Fill&& fill,
                  flexbuffers::BuilderFlag flags = flexbuffers::BUILDER_FLAG_SHARE_KEYS) {
  flexbuffers::Builder b(256, flags);
  fill(b);
  b.Finish();
  return std::string(b.GetBuffer().begin(), b.GetBuffer().end());
}

// {"addNodes": {"network_id": net, "nodes": {ip: id}}}, built by the C++ Builder.
std::string add_nodes_payload(const std::string& net, const std::string& ip,
                              const std::string& id) {
  return build([&](flexbuffers::Builder& b) {
    b.Map([&] {
      b.Map("addNodes", [&] {
        b.String("network_id", net);
        b.Map("nodes", [&] { b.String(ip.c_str(), id); });
      });
    });
  });
}

std::error_code vpn_control_error(const std::string& payload) {
  std::error_code ec;
  auto control = decode_vpn_control(payload, ec);
  CHECK_FALSE(control);
  return ec;
}

std::error_code identity_error(const std::string& payload) {
  std::error_code ec;
  auto id = decode_identity_reply_node_id(payload, ec);
  CHECK_FALSE(id);
  return ec;
}

// Decodes `payload` as every kind of message; whatever it holds, nothing may crash, and a
// decoded value must be valid.
void decode_anything(const std::string& payload) {
  std::error_code ec;
  if (auto control = decode_vpn_control(payload, ec)) {
    CHECK_FALSE(ec);
    for (const auto& [ip, id] : control->nodes) CHECK((is_ipv4_dotted_quad(ip) && is_node_id(id)));
    for (const auto& id : control->node_ids) CHECK(is_node_id(id));
  } else {
    CHECK(ec);
  }
  if (auto id = decode_identity_reply_node_id(payload, ec)) {
    CHECK(is_node_id(*id));
  } else {
    CHECK(ec);
  }
}

}  // namespace

TEST_CASE("GSB typed encoders produce the bytes of the Rust serializer") {
  CHECK(hex(encode_unit_ok()) == rust::ok_unit);
  CHECK(hex(encode_error("bad")) == rust::err_bad_request);
  CHECK(hex(encode_vpn_control(
            {VpnControl::Kind::add_nodes, "net1", {{"192.168.8.3", node_a}}, {}})) ==
        rust::add_nodes);
  CHECK(hex(encode_vpn_control({VpnControl::Kind::remove_nodes, "net1", {}, {node_b}})) ==
        rust::remove_nodes);
  CHECK(hex(encode_identity_get_default()) == rust::get_by_default);
  CHECK(hex(encode_identity_reply(node_b)) == rust::identity_ok_some);
}

TEST_CASE("GSB typed VpnControl from the Rust serializer decodes") {
  std::error_code ec;
  for (const auto& bytes : {rust::add_nodes, rust::add_nodes_zlib}) {
    auto control = decode_vpn_control(unhex(bytes), ec);
    REQUIRE(control);
    CHECK_FALSE(ec);
    CHECK(control->kind == VpnControl::Kind::add_nodes);
    CHECK(control->network_id == "net1");
    CHECK(control->nodes ==
          std::vector<std::pair<std::string, std::string>>{{"192.168.8.3", node_a}});
    CHECK(control->node_ids.empty());
  }

  auto two = decode_vpn_control(unhex(rust::add_nodes2), ec);
  REQUIRE(two);
  CHECK(two->network_id == "4f0e0a7e9c5b4c0e9d3f1a2b3c4d5e6f");
  // In key order, as FlexBuffers maps are sorted.
  CHECK(two->nodes == std::vector<std::pair<std::string, std::string>>{{"192.168.8.10", node_b},
                                                                       {"192.168.8.3", node_a}});

  auto remove = decode_vpn_control(unhex(rust::remove_nodes), ec);
  REQUIRE(remove);
  CHECK(remove->kind == VpnControl::Kind::remove_nodes);
  CHECK(remove->network_id == "net1");
  CHECK(remove->node_ids == std::vector<std::string>{node_b});
  CHECK(remove->nodes.empty());
}

TEST_CASE("GSB typed identity replies from the Rust serializer decode") {
  std::error_code ec;
  for (const auto& bytes :
       {rust::identity_ok_some, rust::identity_ok_some_zlib, rust::identity_ok_some_alias}) {
    auto id = decode_identity_reply_node_id(unhex(bytes), ec);
    REQUIRE(id);
    CHECK_FALSE(ec);
    CHECK(*id == node_b);
  }
  CHECK(identity_error(unhex(rust::identity_ok_none)) == errc::gsb_call_failed);
  CHECK(identity_error(unhex(rust::identity_err_internal)) == errc::gsb_call_failed);
  CHECK(identity_error(unhex(rust::identity_err_exists)) == errc::gsb_call_failed);
  // A VpnControl reply is no identity.
  CHECK(identity_error(unhex(rust::err_bad_request)) == errc::gsb_call_failed);
}

TEST_CASE("GSB typed VpnControl round trips through encode and decode") {
  VpnControl add{VpnControl::Kind::add_nodes,
                 "4f0e0a7e9c5b4c0e9d3f1a2b3c4d5e6f",
                 {{"10.0.0.1", node_a}, {"10.0.0.2", node_b}, {"255.255.255.255", node_a}},
                 {}};
  std::error_code ec;
  for (const auto& payload : {encode_vpn_control(add), deflate_zlib(encode_vpn_control(add))}) {
    auto decoded = decode_vpn_control(payload, ec);
    REQUIRE(decoded);
    CHECK(decoded->kind == add.kind);
    CHECK(decoded->network_id == add.network_id);
    CHECK(decoded->nodes == add.nodes);
  }

  // Duplicate IPs keep the last node id, as collecting into Rust's HashMap does.
  VpnControl twice{
      VpnControl::Kind::add_nodes, "n", {{"10.0.0.1", node_a}, {"10.0.0.1", node_b}}, {}};
  auto decoded = decode_vpn_control(encode_vpn_control(twice), ec);
  REQUIRE(decoded);
  CHECK(decoded->nodes == std::vector<std::pair<std::string, std::string>>{{"10.0.0.1", node_b}});

  VpnControl remove{VpnControl::Kind::remove_nodes, "n", {}, {node_a, node_b}};
  decoded = decode_vpn_control(encode_vpn_control(remove), ec);
  REQUIRE(decoded);
  CHECK(decoded->kind == VpnControl::Kind::remove_nodes);
  CHECK(decoded->node_ids == remove.node_ids);

  VpnControl empty{VpnControl::Kind::remove_nodes, "n", {}, {}};
  decoded = decode_vpn_control(encode_vpn_control(empty), ec);
  REQUIRE(decoded);
  CHECK(decoded->node_ids.empty());

  auto id = decode_identity_reply_node_id(deflate_zlib(encode_identity_reply(node_a)), ec);
  REQUIRE(id);
  CHECK(*id == node_a);
}

TEST_CASE("GSB typed decoders accept other valid FlexBuffers layouts") {
  std::error_code ec;
  // Shared keys and strings, unknown extra fields (serde ignores them), uppercase hex.
  auto payload = build(
      [](flexbuffers::Builder& b) {
        b.Map([&] {
          b.Map("addNodes", [&] {
            b.String("comment", "extra");
            b.String("network_id", "net1");
            b.Map("nodes",
                  [&] { b.String("192.168.8.3", "0xABCDEF0123456789ABCDEF0123456789ABCDEF01"); });
          });
        });
      },
      flexbuffers::BUILDER_FLAG_SHARE_ALL);
  auto control = decode_vpn_control(payload, ec);
  REQUIRE(control);
  CHECK(control->nodes ==
        std::vector<std::pair<std::string, std::string>>{{"192.168.8.3", node_b}});

  // Wide offsets: a long network id pushes the vectors to 16-bit widths.
  std::string long_net(3000, 'n');
  control = decode_vpn_control(add_nodes_payload(long_net, "1.2.3.4", node_a), ec);
  REQUIRE(control);
  CHECK(control->network_id == long_net);

  auto id = decode_identity_reply_node_id(
      build([](flexbuffers::Builder& b) {
        b.Map([&] { b.Map("Ok", [&] { b.String("nodeId", node_a); }); });
      }),
      ec);
  REQUIRE(id);
  CHECK(*id == node_a);
}

TEST_CASE("GSB typed VpnControl of the wrong shape is rejected") {
  auto payload = [](auto&& fill) { return build(fill); };
  // Not a map, or not exactly one variant.
  CHECK(vpn_control_error(payload([](auto& b) { b.String("addNodes"); })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) { b.Map([] {}); })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("addNodes", [&] {
              b.String("network_id", "n");
              b.Map("nodes", [] {});
            });
            b.Map("removeNodes", [&] {
              b.String("network_id", "n");
              b.Vector("node_ids", [] {});
            });
          });
        })) == errc::gsb_bad_payload);
  // An unknown variant, or Rust's variant name without the camelCase rename.
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("AddNodes", [&] {
              b.String("network_id", "n");
              b.Map("nodes", [] {});
            });
          });
        })) == errc::gsb_bad_payload);
  // A missing or mistyped network id (camelCased field names are wrong: serde keeps them).
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] { b.Map("addNodes", [&] { b.Map("nodes", [] {}); }); });
        })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("addNodes", [&] {
              b.String("networkId", "n");
              b.Map("nodes", [] {});
            });
          });
        })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("addNodes", [&] {
              b.Int("network_id", 7);
              b.Map("nodes", [] {});
            });
          });
        })) == errc::gsb_bad_payload);
  // Nodes that are not a map of strings.
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("addNodes", [&] {
              b.String("network_id", "n");
              b.Vector("nodes", [] {});
            });
          });
        })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("addNodes", [&] {
              b.String("network_id", "n");
              b.Map("nodes", [&] { b.Int("1.2.3.4", 1); });
            });
          });
        })) == errc::gsb_bad_payload);
  // Node ids that are not a vector of strings.
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("removeNodes", [&] {
              b.String("network_id", "n");
              b.String("node_ids", node_a);
            });
          });
        })) == errc::gsb_bad_payload);
  CHECK(vpn_control_error(payload([](auto& b) {
          b.Map([&] {
            b.Map("removeNodes", [&] {
              b.String("network_id", "n");
              b.Vector("node_ids", [&] { b.Int(1); });
            });
          });
        })) == errc::gsb_bad_payload);
}

TEST_CASE("GSB typed VpnControl with a bad node id or IP is rejected") {
  for (const char* id :
       {"", "0x", "1111111111111111111111111111111111111111",
        "0x111111111111111111111111111111111111111",  // 39 digits
        "0x11111111111111111111111111111111111111111", "0X1111111111111111111111111111111111111111",
        "0x111111111111111111111111111111111111111g"}) {
    INFO(id);
    CHECK(vpn_control_error(add_nodes_payload("n", "1.2.3.4", id)) == errc::gsb_bad_payload);
    CHECK(vpn_control_error(encode_vpn_control({VpnControl::Kind::remove_nodes, "n", {}, {id}})) ==
          errc::gsb_bad_payload);
  }
  for (const char* ip : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
                         "1..3.4", "1.2.3.", "::1", "fe80::1", "a.b.c.d", "1.2.3.1234", "host"}) {
    INFO(ip);
    CHECK(vpn_control_error(add_nodes_payload("n", ip, node_a)) == errc::gsb_bad_payload);
  }
  CHECK(is_ipv4_dotted_quad("0.0.0.0"));
  CHECK(is_ipv4_dotted_quad("255.255.255.255"));
  CHECK(is_ipv4_dotted_quad("10.0.10.100"));
  CHECK(is_node_id(node_a));
  CHECK(is_node_id("0xABCDEF0123456789abcdef0123456789ABCDEF01"));
}

TEST_CASE("GSB typed maps whose key runs past the end are rejected") {
  // {"A…": 5} where the key has no NUL before the buffer ends. The 2.0.8 verifier accepts it
  // (its VerifyKey stops at the first non-zero byte), so the decoders bound keys themselves.
  const std::string unterminated = unhex("4101020101010504022401");
  CHECK(flexbuffers::VerifyBuffer(reinterpret_cast<const std::uint8_t*>(unterminated.data()),
                                  unterminated.size()));
  CHECK(vpn_control_error(unterminated) == errc::gsb_bad_payload);
  CHECK(identity_error(unterminated) == errc::gsb_bad_payload);
}

TEST_CASE("GSB typed identity replies of the wrong shape are rejected") {
  auto payload = [](auto&& fill) { return build(fill); };
  CHECK(identity_error(payload([](auto& b) { b.String("Ok"); })) == errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) { b.Map([&] { b.Map("Ok", [] {}); }); })) ==
        errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) {
          b.Map([&] { b.Map("Ok", [&] { b.String("node_id", node_a); }); });
        })) == errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) {
          b.Map([&] { b.Map("Ok", [&] { b.String("nodeId", "0x12"); }); });
        })) == errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) {
          b.Map([&] { b.Map("Ok", [&] { b.Int("nodeId", 12); }); });
        })) == errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) { b.Map([&] { b.String("Huh", node_a); }); })) ==
        errc::gsb_bad_payload);
  CHECK(identity_error(payload([](auto& b) {
          b.Map([&] { b.String("Err", "AlreadyExists"); });
        })) == errc::gsb_call_failed);
}

TEST_CASE("GSB typed zlib payloads inflate with a size limit") {
  std::error_code ec;
  // Plain bytes pass through unchanged.
  auto plain = encode_unit_ok();
  auto out = inflate_if_zlib(plain, ec);
  REQUIRE(out);
  CHECK(*out == plain);
  out = inflate_if_zlib("", ec);
  REQUIRE(out);
  CHECK(out->empty());

  // Rust's compressed bytes inflate to Rust's plain ones.
  out = inflate_if_zlib(unhex(rust::add_nodes_zlib), ec);
  REQUIRE(out);
  CHECK(hex(*out) == rust::add_nodes);

  // Exactly at the limit is fine; one byte more is a zip bomb.
  out = inflate_if_zlib(deflate_zlib(std::string(max_typed_payload, 'x')), ec);
  REQUIRE(out);
  CHECK(out->size() == max_typed_payload);
  auto bomb = deflate_zlib(std::string(max_typed_payload + 1, 'x'));
  CHECK_FALSE(inflate_if_zlib(bomb, ec));
  CHECK(ec == errc::gsb_bad_payload);
  auto big_bomb = deflate_zlib(std::string(64 << 20, '\0'));
  CHECK(big_bomb.size() < 100 * 1024);
  CHECK(vpn_control_error(big_bomb) == errc::gsb_bad_payload);
  CHECK(identity_error(big_bomb) == errc::gsb_bad_payload);

  // A truncated or corrupted stream is not zlib: it is read as plain bytes, and rejected.
  auto zlib = unhex(rust::add_nodes_zlib);
  out = inflate_if_zlib(zlib.substr(0, zlib.size() - 5), ec);
  REQUIRE(out);
  CHECK(*out == zlib.substr(0, zlib.size() - 5));
  CHECK(vpn_control_error(zlib.substr(0, zlib.size() - 5)) == errc::gsb_bad_payload);
  auto corrupt = zlib;
  corrupt[zlib.size() - 1] ^= 1;  // the Adler-32 checksum
  CHECK(vpn_control_error(corrupt) == errc::gsb_bad_payload);
}

TEST_CASE("GSB typed decoders survive truncated and mutated payloads") {
  std::vector<std::string> samples;
  for (const auto& bytes : {rust::add_nodes, rust::add_nodes2, rust::remove_nodes,
                            rust::identity_ok_some, rust::identity_ok_some_alias, rust::ok_unit})
    samples.push_back(unhex(bytes));
  samples.push_back(add_nodes_payload(std::string(300, 'n'), "1.2.3.4", node_a));
  for (const auto& sample : samples) {
    for (std::size_t n = 0; n < sample.size(); ++n) decode_anything(sample.substr(0, n));
    for (std::size_t n = 1; n < sample.size(); ++n) decode_anything(sample.substr(n));
    for (std::size_t i = 0; i < sample.size(); ++i) {
      for (int value : {0x00, 0x01, 0x02, 0x04, 0x08, 0x24, 0x28, 0x7f, 0x80, 0xfe, 0xff}) {
        auto mutated = sample;
        mutated[i] = static_cast<char>(value);
        decode_anything(mutated);
      }
    }
  }
}

TEST_CASE("GSB typed decoders survive random bytes") {
  std::mt19937 random(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(random() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    // The tail is the root: give the random ones a plausible type and width now and then.
    if (bytes.size() >= 2 && i % 2) {
      bytes[bytes.size() - 1] = static_cast<char>(1 << (random() % 4));
      bytes[bytes.size() - 2] = static_cast<char>(0x24 | (random() % 4));  // a map
    }
    decode_anything(bytes);
  }
}

// Captured from real yagna 0.17.6 daemons on a central net (hub: ya-sb-router 0.6.4): what a
// requestor daemon sent to a provider's node, and what a daemon's identity service answered.
// On a central net yagna does not compress; the zlib path is covered by the Rust vectors above.
TEST_CASE("GSB typed payloads captured from real yagna daemons decode") {
  std::error_code ec;
  const std::string net = "71c1da81295f4398a0a93487ca62023e";
  auto add = decode_vpn_control(
      unhex("6164644e6f646573006e6574776f726b5f69640020373163316461383132393566343339386130613933"
            "3438376361363230323365006e6f646573003139322e3136382e382e32002a3078363230353034363533"
            "643238633462613361356332353337343637633834666635326439646361640001390101013014027347"
            "0201026c09142401860101010924022401"),
      ec);
  REQUIRE(add);
  CHECK(add->kind == VpnControl::Kind::add_nodes);
  CHECK(add->network_id == net);
  CHECK(add->nodes == std::vector<std::pair<std::string, std::string>>{
                          {"192.168.8.2", "0x620504653d28c4ba3a5c2537467c84ff52d9dcad"}});

  auto remove = decode_vpn_control(
      unhex("72656d6f76654e6f646573006e6574776f726b5f69640020373163316461383132393566343339386130"
            "6139333438376361363230323365006e6f64655f696473002a3078666162633033393265366530303930"
            "3831363366326662333964383730396361646237646464306400012c1402663a0201025f091428017c01"
            "01010924022401"),
      ec);
  REQUIRE(remove);
  CHECK(remove->kind == VpnControl::Kind::remove_nodes);
  CHECK(remove->network_id == net);
  CHECK(remove->node_ids == std::vector<std::string>{"0xfabc0392e6e00908163f2fb39d8709cadb7ddd0d"});

  // The request the identity service answered, and its answer.
  CHECK(hex(encode_identity_get_default()) == "09627944656661756c74000a1401");
  auto node = decode_identity_reply_node_id(
      unhex("4f6b00616c696173006e6f64654964002a30783632303530343635336432386334626133613563323533"
            "37343637633834666635326439646361640069734c6f636b656400697344656661756c740064656c6574"
            "65640005550a151f5305010500000100530068686814016b0101010f24022401"),
      ec);
  REQUIRE(node);
  CHECK(*node == "0x620504653d28c4ba3a5c2537467c84ff52d9dcad");
  // The reply the requestor took without complaint.
  CHECK(hex(encode_unit_ok()) == "4f6b0001040101010000022401");
}
