#include "sidecar/kube/watch_parser.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kbgp::sidecar {
namespace {

const char kStream[] =
    R"({"type":"ADDED","object":{"kind":"Service","metadata":{"name":"a","namespace":"d","resourceVersion":"11"}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"metadata":{"name":"a","namespace":"d","resourceVersion":"12"}}})"
    "\n\n"
    R"({"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"15"}}})"
    "\n"
    R"({"type":"DELETED","object":{"metadata":{"name":"a","namespace":"d","resourceVersion":"16"}}})"
    "\n"
    R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (16)","reason":"Expired","code":410}})j"
    "\n";

std::vector<WatchEvent> FeedAll(const std::vector<std::string>& chunks, absl::Status* st) {
  WatchStreamParser p;
  std::vector<WatchEvent> out;
  *st = absl::OkStatus();
  for (const std::string& c : chunks) {
    *st = p.Feed(c, [&](WatchEvent&& e) { out.push_back(std::move(e)); });
    if (!st->ok()) break;
  }
  return out;
}

TEST(WatchParser, WholeStream) {
  absl::Status st;
  auto ev = FeedAll({kStream}, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].type, WatchEvent::Type::kAdded);
  EXPECT_EQ(ev[0].resource_version, "11");
  EXPECT_EQ(ev[1].type, WatchEvent::Type::kModified);
  EXPECT_EQ(ev[2].type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(ev[2].resource_version, "15");
  EXPECT_EQ(ev[3].type, WatchEvent::Type::kDeleted);
  EXPECT_EQ(ev[4].type, WatchEvent::Type::kError);
  EXPECT_EQ(ev[4].error_code, 410);
}

TEST(WatchParser, EveryChunkingGivesTheSameEvents) {
  const std::string s = kStream;
  // Every single split point, and random multi-splits.
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    absl::Status st;
    auto ev = FeedAll({s.substr(0, cut), s.substr(cut)}, &st);
    ASSERT_TRUE(st.ok()) << cut;
    ASSERT_EQ(ev.size(), 5u) << cut;
    EXPECT_EQ(ev[3].resource_version, "16");
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> chunks;
    size_t i = 0;
    while (i < s.size()) {
      size_t n = 1 + rng() % 17;
      chunks.push_back(s.substr(i, n));
      i += n;
    }
    absl::Status st;
    auto ev = FeedAll(chunks, &st);
    ASSERT_TRUE(st.ok());
    ASSERT_EQ(ev.size(), 5u);
  }
}

TEST(WatchParser, IncompleteLineWaits) {
  WatchStreamParser p;
  int n = 0;
  ASSERT_TRUE(p.Feed(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})", [&](WatchEvent&&) { ++n; }).ok());
  EXPECT_EQ(n, 0);
  EXPECT_GT(p.pending(), 0u);
  ASSERT_TRUE(p.Feed("\r\n", [&](WatchEvent&&) { ++n; }).ok());
  EXPECT_EQ(n, 1);
}

TEST(WatchParser, HostileInputIsRejectedNotCrashing) {
  const std::vector<std::string> bad = {
      "garbage\n",
      "{\n",
      "[1,2,3]\n",
      "\"string\"\n",
      "{\"type\":5,\"object\":{}}\n",
      "{\"type\":\"ADDED\"}\n",
      "{\"type\":\"ADDED\",\"object\":[]}\n",
      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}\n",
      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":7}}}\n",
      "{\"type\":\"EXPLODE\",\"object\":{}}\n",
      std::string("{\"type\":\"ADDED\"\0,\"object\":{}}\n", 30),
      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}}}\n",
      std::string(1000, '[') + "\n",
      "\xff\xfe\xfd\n",
  };
  for (const std::string& b : bad) {
    absl::Status st;
    auto ev = FeedAll({b}, &st);
    EXPECT_FALSE(st.ok()) << b;
    EXPECT_TRUE(ev.empty()) << b;
  }
}

TEST(WatchParser, FailedParserStaysFailed) {
  WatchStreamParser p;
  int n = 0;
  EXPECT_FALSE(p.Feed("junk\n", [&](WatchEvent&&) { ++n; }).ok());
  EXPECT_FALSE(p.Feed(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})" "\n",
                      [&](WatchEvent&&) { ++n; }).ok());
  EXPECT_EQ(n, 0);
}

TEST(WatchParser, OverlongLineIsRejected) {
  WatchStreamParser p(1024);
  std::string big = R"({"type":"ADDED","object":{"metadata":{"name":")" + std::string(2000, 'x');
  int n = 0;
  absl::Status st = p.Feed(big.substr(0, 600), [&](WatchEvent&&) { ++n; });
  EXPECT_TRUE(st.ok());
  st = p.Feed(big.substr(600), [&](WatchEvent&&) { ++n; });
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(n, 0);
}

TEST(WatchParser, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    WatchStreamParser p(4096);
    std::string s(static_cast<size_t>(rng() % 300), '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? '\n' : rng() % 256);
    (void)p.Feed(s, [](WatchEvent&&) {});
  }
  // Mutations of a valid stream: each either parses or fails cleanly.
  const std::string s = kStream;
  for (int round = 0; round < 2000; ++round) {
    std::string m = s;
    m[rng() % m.size()] = static_cast<char>(rng() % 256);
    WatchStreamParser p;
    int n = 0;
    (void)p.Feed(m, [&](WatchEvent&& e) {
      ++n;
      EXPECT_TRUE(e.object.is_object());
    });
    EXPECT_LE(n, 5);
  }
}

}  // namespace
}  // namespace kbgp::sidecar
