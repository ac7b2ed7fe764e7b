#include "daemon/common/bytes.h"

#include "gtest/gtest.h"

namespace kbgp {
namespace {

TEST(ReaderTest, ReadsBigEndianAndStopsAtEnd) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(data, sizeof(data));
  uint8_t a;
  uint16_t b;
  uint32_t c;
  ASSERT_TRUE(r.ReadU8(&a));
  ASSERT_TRUE(r.ReadU16(&b));
  ASSERT_TRUE(r.ReadU32(&c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x04050607u);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8(&a));
}

TEST(ReaderTest, FailedReadDoesNotAdvance) {
  const uint8_t data[] = {0x01, 0x02, 0x03};
  Reader r(data, sizeof(data));
  uint32_t v;
  EXPECT_FALSE(r.ReadU32(&v));
  EXPECT_EQ(r.remaining(), 3u);
  uint64_t w;
  EXPECT_FALSE(r.ReadU64(&w));
  EXPECT_FALSE(r.Skip(4));
  EXPECT_EQ(r.pos(), 0u);
}

TEST(ReaderTest, SubReaderIsBounded) {
  const uint8_t data[] = {0x02, 0xaa, 0xbb, 0xcc};
  Reader r(data, sizeof(data));
  uint8_t len;
  Reader sub;
  ASSERT_TRUE(r.ReadU8(&len));
  ASSERT_TRUE(r.ReadSub(len, &sub));
  EXPECT_EQ(sub.remaining(), 2u);
  uint32_t v;
  EXPECT_FALSE(sub.ReadU32(&v));  // would overrun the sub-reader, not the parent
  EXPECT_EQ(r.remaining(), 1u);
  Reader too_long;
  EXPECT_FALSE(r.ReadSub(2, &too_long));
}

TEST(WriterTest, WritesAndPatchesLengths) {
  Bytes out;
  Writer w(&out);
  w.PutU8(1);
  size_t at = w.ReserveU16();
  w.PutU32(0xdeadbeef);
  ASSERT_TRUE(w.PatchU16Length(at));
  EXPECT_EQ(out, (Bytes{0x01, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef}));
  size_t at8 = w.ReserveU8();
  w.PutZeros(256);
  EXPECT_FALSE(w.PatchU8Length(at8));
}

}  // namespace
}  // namespace kbgp

#include "daemon/common/hex.h"

namespace kbgp {
namespace {

TEST(HexTest, RoundTripsAndSkipsSeparators) {
  EXPECT_EQ(HexToBytes("ff 00|0A-1b"), (Bytes{0xff, 0x00, 0x0a, 0x1b}));
  EXPECT_EQ(BytesToHex(Bytes{0xff, 0x00, 0x0a, 0x1b}), "ff000a1b");
  EXPECT_EQ(HexToBytes("abc"), (Bytes{0xab}));
  EXPECT_EQ(BytesToHex(Bytes{}), "");
}

}  // namespace
}  // namespace kbgp
