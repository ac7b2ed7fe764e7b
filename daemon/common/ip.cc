#include "daemon/common/ip.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kbgp {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kIPv4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::V4Bytes(const uint8_t b[4]) {
  IpAddress a;
  a.family_ = Family::kIPv4;
  std::memcpy(a.bytes_.data(), b, 4);
  return a;
}

IpAddress IpAddress::V6Bytes(const uint8_t b[16]) {
  IpAddress a;
  a.family_ = Family::kIPv6;
  std::memcpy(a.bytes_.data(), b, 16);
  return a;
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return V4Bytes(buf);
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return V6Bytes(buf);
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid IP address \"", text, "\""));
}

uint32_t IpAddress::v4() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

bool IpAddress::IsUnspecified() const {
  for (int i = 0; i < byte_length(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

bool IpAddress::IsIPv6LinkLocal() const {
  return is_v6() && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::IsMulticast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

Prefix Prefix::Make(const IpAddress& addr, uint8_t length) {
  Prefix p;
  uint8_t bits = static_cast<uint8_t>(addr.bit_length());
  if (length > bits) length = bits;
  uint8_t b[16];
  std::memcpy(b, addr.data(), 16);
  for (int i = 0; i < addr.byte_length(); ++i) {
    int keep = static_cast<int>(length) - i * 8;
    if (keep >= 8) continue;
    b[i] = keep <= 0 ? 0 : static_cast<uint8_t>(b[i] & (0xff << (8 - keep)));
  }
  p.addr_ = addr.is_v4() ? IpAddress::V4Bytes(b) : IpAddress::V6Bytes(b);
  p.length_ = length;
  return p;
}

absl::StatusOr<Prefix> Prefix::Parse(absl::string_view text) {
  size_t slash = text.find('/');
  absl::StatusOr<IpAddress> addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid prefix \"", text, "\""));
  }
  int len = addr->bit_length();
  if (slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(text.substr(slash + 1), &len) || len < 0 || len > addr->bit_length() ||
        text.substr(slash + 1).empty() || !absl::ascii_isdigit(text[slash + 1])) {
      return absl::InvalidArgumentError(absl::StrCat("invalid prefix length in \"", text, "\""));
    }
  }
  Prefix p = Make(*addr, static_cast<uint8_t>(len));
  if (p.addr() != *addr) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix \"", text, "\" has host bits set past its length"));
  }
  return p;
}

bool Prefix::Contains(const Prefix& other) const {
  if (family() != other.family() || other.length_ < length_) return false;
  return Make(other.addr_, length_).addr_ == addr_;
}

std::string Prefix::ToString() const {
  return absl::StrCat(addr_.ToString(), "/", length_);
}

}  // namespace kbgp
