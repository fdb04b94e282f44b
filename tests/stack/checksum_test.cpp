// LWIP_CHKSUM (port/checksum.cpp) against RFC 1071's plain 16-bit loop, on every length and
// alignment that matters, and on the RFC's own example.
#include "stack/port/libproxy_hooks.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

std::uint16_t reference(const unsigned char* data, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) {
    std::uint16_t word;
    std::memcpy(&word, data + i, 2);
    sum += word;
  }
  if (len % 2) {
    std::uint16_t word = 0;
    std::memcpy(&word, data + len - 1, 1);
    sum += word;
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

TEST_CASE("the checksum sum equals RFC 1071's for every length and alignment") {
  std::mt19937 random(1071);
  std::vector<unsigned char> buffer(70000 + 8);
  for (auto& byte : buffer) byte = static_cast<unsigned char>(random());
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t len = 0; len < 300; ++len)
      REQUIRE(libproxy_chksum(buffer.data() + offset, static_cast<int>(len)) ==
              reference(buffer.data() + offset, len));
  // Large sums, and all 0xFF bytes (the carries pile up).
  CHECK(libproxy_chksum(buffer.data() + 3, 65535) == reference(buffer.data() + 3, 65535));
  std::vector<unsigned char> ones(70000, 0xFF);
  CHECK(libproxy_chksum(ones.data(), 70000) == reference(ones.data(), 70000));
  CHECK(libproxy_chksum(ones.data(), 70000) == 0xFFFF);
}

TEST_CASE("the checksum-on-copy copies exactly and sums like the plain sum") {
  std::mt19937 random(1624);
  std::vector<unsigned char> source(2000 + 8), target(2000 + 16);
  for (auto& byte : source) byte = static_cast<unsigned char>(random());
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t len : {0, 1, 7, 8, 9, 63, 1179, 1460, 2000}) {
      std::fill(target.begin(), target.end(), 0xAA);
      const auto sum = libproxy_chksum_copy(target.data() + 8 - offset, source.data() + offset,
                                            static_cast<std::uint16_t>(len));
      REQUIRE(sum == reference(source.data() + offset, len));
      REQUIRE(std::memcmp(target.data() + 8 - offset, source.data() + offset, len) == 0);
      // Nothing written around the copy.
      for (std::size_t i = 0; i < 8 - offset; ++i) REQUIRE(target[i] == 0xAA);
      REQUIRE(target[8 - offset + len] == 0xAA);
    }
}

TEST_CASE("the checksum sum of RFC 1071's example") {
  // Bytes 00 01 f2 03 f4 f5 f6 f7: the sum is ddf2 in network order (RFC 1071, 3).
  const unsigned char bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const std::uint16_t sum = libproxy_chksum(bytes, 8);
  unsigned char out[2];
  std::memcpy(out, &sum, 2);
  CHECK(out[0] == 0xdd);
  CHECK(out[1] == 0xf2);
}
