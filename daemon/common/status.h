// absl::Status helpers that carry a BGP NOTIFICATION (code, subcode, data) as a payload.
// A decoder that finds an error which RFC 4271 / RFC 7606 say must reset the session
// returns BgpError(...); the session layer reads the payload back with GetBgpError and
// sends exactly that NOTIFICATION.
#ifndef KBGP_DAEMON_COMMON_STATUS_H_
#define KBGP_DAEMON_COMMON_STATUS_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"

namespace kbgp {

struct BgpErrorInfo {
  uint8_t code = 0;
  uint8_t subcode = 0;
  Bytes data;
  friend bool operator==(const BgpErrorInfo&, const BgpErrorInfo&) = default;
};

// An INVALID_ARGUMENT status with the NOTIFICATION attached.
absl::Status BgpError(uint8_t code, uint8_t subcode, ByteSpan data, absl::string_view message);
inline absl::Status BgpError(uint8_t code, uint8_t subcode, absl::string_view message) {
  return BgpError(code, subcode, ByteSpan(), message);
}
// The NOTIFICATION a status carries, if any.
std::optional<BgpErrorInfo> GetBgpError(const absl::Status& status);

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_STATUS_H_
