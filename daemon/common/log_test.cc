#include "daemon/common/log.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace kbgp {
namespace {

std::string Capture(bool json, LogLevel level, void (*fn)()) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  SetLogSink(f);
  SetLogJson(json);
  SetLogLevel(level);
  fn();
  std::fclose(f);
  SetLogSink(nullptr);
  SetLogJson(false);
  SetLogLevel(LogLevel::kInfo);
  std::string out(buf, len);
  free(buf);
  return out;
}

TEST(LogTest, TextLineHasLevelMessageAndFields) {
  std::string out = Capture(false, LogLevel::kInfo, [] {
    LogInfo("peer up", {{"peer", "192.0.2.2"}, {"as", 65001}, {"reason", "hold timer expired"}});
  });
  EXPECT_NE(out.find(" INFO  peer up peer=192.0.2.2 as=65001 reason=\"hold timer expired\"\n"),
            std::string::npos)
      << out;
}

TEST(LogTest, JsonLineIsEscaped) {
  std::string out = Capture(true, LogLevel::kInfo, [] {
    LogWarn("notification received", {{"text", "a \"quoted\"\nline"}});
  });
  EXPECT_NE(out.find("\"level\":\"warn\",\"msg\":\"notification received\","
                     "\"text\":\"a \\\"quoted\\\"\\nline\"}\n"),
            std::string::npos)
      << out;
}

TEST(LogTest, LevelFilters) {
  std::string out = Capture(false, LogLevel::kWarn, [] {
    LogInfo("hidden");
    LogDebug("hidden too");
    LogError("shown");
  });
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("ERROR shown"), std::string::npos);
}

TEST(LogTest, ParsesGobgpdLevels) {
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("panic"), LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("loud").ok());
}

}  // namespace
}  // namespace kbgp
