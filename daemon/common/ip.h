// IP addresses and prefixes, IPv4 and IPv6 in one value type.
// Invariants: an IPv4 address keeps its 4 bytes in bytes_[0..3] and zeros after;
// a Prefix built through Prefix::Make has every bit past its length cleared.
#ifndef KBGP_DAEMON_COMMON_IP_H_
#define KBGP_DAEMON_COMMON_IP_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"

namespace kbgp {

enum class Family : uint8_t { kIPv4 = 4, kIPv6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress V4(uint32_t host_order);
  static IpAddress V4Bytes(const uint8_t b[4]);
  static IpAddress V6Bytes(const uint8_t b[16]);
  // Parses dotted quad or RFC 4291 text.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kIPv4; }
  bool is_v6() const { return family_ == Family::kIPv6; }
  int byte_length() const { return is_v4() ? 4 : 16; }
  int bit_length() const { return is_v4() ? 32 : 128; }
  const uint8_t* data() const { return bytes_.data(); }
  ByteSpan span() const { return ByteSpan(bytes_.data(), static_cast<size_t>(byte_length())); }
  uint32_t v4() const;  // host order; only for IPv4
  bool IsUnspecified() const;
  bool IsIPv6LinkLocal() const;  // fe80::/10
  bool IsMulticast() const;
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  Family family_ = Family::kIPv4;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  // Clears host bits.
  static Prefix Make(const IpAddress& addr, uint8_t length);
  // "10.0.0.0/8", "2001:db8::/32"; a bare address is a host prefix. Host bits set -> error.
  static absl::StatusOr<Prefix> Parse(absl::string_view text);

  const IpAddress& addr() const { return addr_; }
  uint8_t length() const { return length_; }
  Family family() const { return addr_.family(); }
  bool Contains(const Prefix& other) const;
  std::string ToString() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Prefix& p) {
    return H::combine(std::move(h), p.addr_, p.length_);
  }

 private:
  IpAddress addr_;
  uint8_t length_ = 0;
};

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_IP_H_
