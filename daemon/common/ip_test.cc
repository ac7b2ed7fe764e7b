#include "daemon/common/ip.h"

#include "gtest/gtest.h"

namespace kbgp {
namespace {

TEST(IpTest, ParsesAndPrintsBothFamilies) {
  auto a = IpAddress::Parse("192.0.2.1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4(), 0xc0000201u);
  EXPECT_EQ(a->ToString(), "192.0.2.1");
  auto b = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->ToString(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::Parse("300.1.1.1").ok());
  EXPECT_FALSE(IpAddress::Parse("").ok());
  EXPECT_FALSE(IpAddress::Parse("fe80::1%eth0").ok());
  EXPECT_TRUE(IpAddress::Parse("fe80::1")->IsIPv6LinkLocal());
}

TEST(PrefixTest, ParseRejectsHostBitsAndBadLengths) {
  auto p = Prefix::Parse("10.1.0.0/16");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->length(), 16);
  EXPECT_EQ(p->ToString(), "10.1.0.0/16");
  EXPECT_FALSE(Prefix::Parse("10.1.0.1/16").ok());
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/").ok());
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/-1").ok());
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/+8").ok());
  EXPECT_EQ(Prefix::Parse("10.0.0.1")->length(), 32);
  EXPECT_EQ(Prefix::Parse("2001:db8::/32")->ToString(), "2001:db8::/32");
}

TEST(PrefixTest, MakeClearsHostBitsAndContains) {
  Prefix p = Prefix::Make(*IpAddress::Parse("10.1.2.3"), 12);
  EXPECT_EQ(p.ToString(), "10.0.0.0/12");
  EXPECT_TRUE(p.Contains(*Prefix::Parse("10.15.0.0/16")));
  EXPECT_FALSE(p.Contains(*Prefix::Parse("10.16.0.0/16")));
  EXPECT_FALSE(p.Contains(*Prefix::Parse("10.0.0.0/8")));
  EXPECT_EQ(Prefix::Make(*IpAddress::Parse("2001:db8:ffff::"), 33).ToString(), "2001:db8:8000::/33");
}

}  // namespace
}  // namespace kbgp
