#include "daemon/common/status.h"

#include <string>

#include "absl/strings/cord.h"

namespace kbgp {
namespace {
constexpr absl::string_view kPayloadUrl = "type.kbgp.dev/bgp-notification";
}  // namespace

absl::Status BgpError(uint8_t code, uint8_t subcode, ByteSpan data, absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  std::string payload;
  payload.reserve(2 + data.size());
  payload.push_back(static_cast<char>(code));
  payload.push_back(static_cast<char>(subcode));
  payload.append(reinterpret_cast<const char*>(data.data()), data.size());
  s.SetPayload(kPayloadUrl, absl::Cord(payload));
  return s;
}

std::optional<BgpErrorInfo> GetBgpError(const absl::Status& status) {
  auto p = status.GetPayload(kPayloadUrl);  // absl::optional or std::optional, by absl build
  if (!p) return std::nullopt;
  std::string s(*p);
  if (s.size() < 2) return std::nullopt;
  BgpErrorInfo info;
  info.code = static_cast<uint8_t>(s[0]);
  info.subcode = static_cast<uint8_t>(s[1]);
  info.data.assign(s.begin() + 2, s.end());
  return info;
}

}  // namespace kbgp
