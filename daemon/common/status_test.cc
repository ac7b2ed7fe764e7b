#include "daemon/common/status.h"

#include "gtest/gtest.h"

namespace kbgp {
namespace {

TEST(StatusTest, CarriesNotification) {
  const uint8_t data[] = {0x40, 0x01};
  absl::Status s = BgpError(3, 1, ByteSpan(data, 2), "malformed attribute list");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  auto info = GetBgpError(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 3);
  EXPECT_EQ(info->subcode, 1);
  EXPECT_EQ(info->data, (Bytes{0x40, 0x01}));
  EXPECT_FALSE(GetBgpError(absl::InternalError("x")).has_value());
}

}  // namespace
}  // namespace kbgp
