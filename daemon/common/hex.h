// Hex text and bytes: for logs (NOTIFICATION data, malformed messages) and golden tests.
#ifndef KBGP_DAEMON_COMMON_HEX_H_
#define KBGP_DAEMON_COMMON_HEX_H_

#include <string>

#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"

namespace kbgp {

// "0a1bff": two lowercase digits a byte, no separators.
std::string BytesToHex(ByteSpan bytes);
// Reads pairs of hex digits and skips every other character, so golden bytes can be written
// "ffff ffff | 0017 04"; an odd digit at the end is dropped.
Bytes HexToBytes(absl::string_view text);

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_HEX_H_
