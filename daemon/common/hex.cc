#include "daemon/common/hex.h"

#include "absl/strings/ascii.h"

namespace kbgp {

std::string BytesToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xf]);
  }
  return s;
}

Bytes HexToBytes(absl::string_view text) {
  Bytes out;
  int hi = -1;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) continue;
    int v = absl::ascii_isdigit(static_cast<unsigned char>(c))
                ? c - '0'
                : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

}  // namespace kbgp
