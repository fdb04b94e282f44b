// Deterministic test payloads and a checksum over them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace testing {

/// An endless pseudo-random byte stream (xorshift64*), the same for the same seed.
class Pattern {
public:
  explicit Pattern(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  void fill(std::span<std::uint8_t> out) {
    for (auto& byte : out) {
      if (left_ == 0) {
        state_ ^= state_ >> 12, state_ ^= state_ << 25, state_ ^= state_ >> 27;
        word_ = state_ * 0x2545F4914F6CDD1DULL;
        left_ = 8;
      }
      byte = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }

private:
  std::uint64_t state_, word_ = 0;
  int left_ = 0;
};

/// FNV-1a, 64 bit, fed incrementally.
class Checksum {
public:
  void add(std::span<const std::uint8_t> bytes) {
    for (auto b : bytes) hash_ = (hash_ ^ b) * 0x100000001B3ULL;
    size_ += bytes.size();
  }
  std::uint64_t value() const { return hash_; }
  std::uint64_t size() const { return size_; }

private:
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
  std::uint64_t size_ = 0;
};

/// The checksum of the first `bytes` of Pattern(seed).
inline Checksum pattern_checksum(std::uint64_t seed, std::size_t bytes) {
  Pattern pattern(seed);
  Checksum sum;
  std::vector<std::uint8_t> chunk(64 * 1024);
  while (bytes > 0) {
    const auto n = bytes < chunk.size() ? bytes : chunk.size();
    pattern.fill({chunk.data(), n});
    sum.add({chunk.data(), n});
    bytes -= n;
  }
  return sum;
}

}  // namespace testing
