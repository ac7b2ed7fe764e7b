#include "daemon/api_server/policy_store.h"

#include <string>
#include <vector>

#include "daemon/policy/engine.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace kbgp::api_server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A message from JSON (proto field names; enums as numbers, as gobgp -j prints them).
template <typename M>
M Json(const std::string& json) {
  M m;
  auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in " << json;
  return m;
}

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  if (d.Compare(expected, arg)) return true;
  *result_listener << diff;
  return false;
}

MATCHER_P2(StatusIs, code, text, "") {
  if (arg.code() == code && arg.message() == text) return true;
  *result_listener << arg;
  return false;
}

// Every error the store returns is one of these.
bool IsUserError(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsNotFound(s) || absl::IsFailedPrecondition(s) ||
         absl::IsAlreadyExists(s) || absl::IsUnimplemented(s);
}

apipb::AddDefinedSetRequest AddSet(const std::string& set_json) {
  return Json<apipb::AddDefinedSetRequest>(R"({"defined_set":)" + set_json + "}");
}

apipb::DeleteDefinedSetRequest DelSet(const std::string& set_json, bool all) {
  auto r = Json<apipb::DeleteDefinedSetRequest>(R"({"defined_set":)" + set_json + "}");
  r.set_all(all);
  return r;
}

std::vector<apipb::DefinedSet> Sets(const PolicyStore& s, apipb::DefinedType type,
                                    const std::string& name = "") {
  apipb::ListDefinedSetRequest req;
  req.set_defined_type(type);
  req.set_name(name);
  std::vector<apipb::ListDefinedSetResponse> out;
  EXPECT_TRUE(s.ListDefinedSet(req, &out).ok());
  std::vector<apipb::DefinedSet> sets;
  for (auto& r : out) sets.push_back(r.defined_set());
  return sets;
}

apipb::AddStatementRequest AddStmt(const std::string& stmt_json) {
  return Json<apipb::AddStatementRequest>(R"({"statement":)" + stmt_json + "}");
}

apipb::DeleteStatementRequest DelStmt(const std::string& stmt_json, bool all) {
  auto r = Json<apipb::DeleteStatementRequest>(R"({"statement":)" + stmt_json + "}");
  r.set_all(all);
  return r;
}

std::vector<apipb::Statement> Stmts(const PolicyStore& s, const std::string& name = "") {
  apipb::ListStatementRequest req;
  req.set_name(name);
  std::vector<apipb::ListStatementResponse> out;
  EXPECT_TRUE(s.ListStatement(req, &out).ok());
  std::vector<apipb::Statement> v;
  for (auto& r : out) v.push_back(r.statement());
  return v;
}

apipb::AddPolicyRequest AddPol(const std::string& policy_json, bool refer) {
  auto r = Json<apipb::AddPolicyRequest>(R"({"policy":)" + policy_json + "}");
  r.set_refer_existing_statements(refer);
  return r;
}

apipb::DeletePolicyRequest DelPol(const std::string& policy_json, bool all, bool preserve) {
  auto r = Json<apipb::DeletePolicyRequest>(R"({"policy":)" + policy_json + "}");
  r.set_all(all);
  r.set_preserve_statements(preserve);
  return r;
}

std::vector<apipb::Policy> Policies(const PolicyStore& s, const std::string& name = "") {
  apipb::ListPolicyRequest req;
  req.set_name(name);
  std::vector<apipb::ListPolicyResponse> out;
  EXPECT_TRUE(s.ListPolicy(req, &out).ok());
  std::vector<apipb::Policy> v;
  for (auto& r : out) v.push_back(r.policy());
  return v;
}

std::vector<std::string> PolicyNames(const PolicyStore& s) {
  std::vector<std::string> v;
  for (const apipb::Policy& p : Policies(s)) v.push_back(p.name());
  return v;
}

std::vector<std::string> StatementNames(const PolicyStore& s) {
  std::vector<std::string> v;
  for (const apipb::Statement& p : Stmts(s)) v.push_back(p.name());
  return v;
}

// An assignment request: name, direction (1 import, 2 export), policies, default.
template <typename R>
R Assign(const std::string& name, int dir, std::vector<std::string> policies, int def = 0) {
  R r;
  apipb::PolicyAssignment* a = r.mutable_assignment();
  a->set_name(name);
  a->set_direction(static_cast<apipb::PolicyDirection>(dir));
  for (const std::string& p : policies) a->add_policies()->set_name(p);
  a->set_default_action(static_cast<apipb::RouteAction>(def));
  return r;
}

absl::StatusOr<std::vector<apipb::PolicyAssignment>> Assignments(
    const PolicyStore& s, const std::string& name, int dir, const PeerLookup& peers = nullptr) {
  apipb::ListPolicyAssignmentRequest req;
  req.set_name(name);
  req.set_direction(static_cast<apipb::PolicyDirection>(dir));
  std::vector<apipb::ListPolicyAssignmentResponse> out;
  absl::Status st = s.ListPolicyAssignment(req, &out, peers);
  if (!st.ok()) return st;
  std::vector<apipb::PolicyAssignment> v;
  for (auto& r : out) v.push_back(r.assignment());
  return v;
}

// The assignment's policy names and default, as "p1,p2/ACCEPT".
std::string Summary(const PolicyStore& s, const std::string& name, int dir) {
  auto a = Assignments(s, name, dir);
  if (!a.ok()) return a.status().ToString();
  std::string out;
  for (const apipb::Policy& p : a->at(0).policies())
    absl::StrAppend(&out, out.empty() ? "" : ",", p.name());
  return absl::StrCat(out, "/", apipb::RouteAction_Name(a->at(0).default_action()));
}

// Builds and compiles: what the server's SetPolicy does with the store's result.
void ExpectCompiles(const PolicyStore& s) {
  absl::StatusOr<policy::PolicyConfig> c = s.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  policy::PolicyEngine engine;
  absl::Status st = engine.Load(*c);
  EXPECT_TRUE(st.ok()) << st;
}

// ---- Defined sets ----

TEST(PolicyStoreTest, EmptyStoreHasGlobalAcceptBothWays) {
  PolicyStore s;
  EXPECT_THAT(Sets(s, apipb::DefinedType::PREFIX), IsEmpty());
  EXPECT_THAT(Policies(s), IsEmpty());
  EXPECT_EQ(Summary(s, "global", 1), "/ACCEPT");
  EXPECT_EQ(Summary(s, "global", 2), "/ACCEPT");
  auto all = Assignments(s, "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);  // gobgpd: export first, then import
  EXPECT_EQ(all->at(0).direction(), apipb::PolicyDirection::EXPORT);
  EXPECT_EQ(all->at(1).direction(), apipb::PolicyDirection::IMPORT);
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, PrefixSetsListInCritbitOrderWithRanges) {
  PolicyStore s;
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24},
      {"ip_prefix":"192.168.0.0/16","mask_length_min":16,"mask_length_max":16},
      {"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8}]})"))
                  .ok());
  // Appending: same prefix after the entries it has, new prefixes in address order; host
  // bits are cleared as net.ParseCIDR does.
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24}]})"))
                  .ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"9.1.2.3/8","mask_length_min":8,"mask_length_max":8}]})"))
                  .ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"10.0.0.0/9","mask_length_min":9,"mask_length_max":9}]})"))
                  .ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"name":"ps0"})")).ok());  // an empty set
  // What gobgpd 3.10 lists after the same requests.
  EXPECT_THAT(Sets(s, apipb::DefinedType::PREFIX),
              ElementsAre(EqualsProto(Json<apipb::DefinedSet>(R"({"name":"ps0"})")),
                          EqualsProto(Json<apipb::DefinedSet>(R"({"name":"ps1","prefixes":[
          {"ip_prefix":"9.0.0.0/8","mask_length_min":8,"mask_length_max":8},
          {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24},
          {"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8},
          {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24},
          {"ip_prefix":"10.0.0.0/9","mask_length_min":9,"mask_length_max":9},
          {"ip_prefix":"192.168.0.0/16","mask_length_min":16,"mask_length_max":16}]})"))));
  EXPECT_THAT(Sets(s, apipb::DefinedType::PREFIX, "ps0"),
              ElementsAre(EqualsProto(Json<apipb::DefinedSet>(R"({"name":"ps0"})"))));
  EXPECT_THAT(Sets(s, apipb::DefinedType::PREFIX, "nope"), IsEmpty());
  EXPECT_THAT(Sets(s, apipb::DefinedType::NEIGHBOR), IsEmpty());

  // Removing entries takes every equal one; the emptied set stays.
  ASSERT_TRUE(s.DeleteDefinedSet(DelSet(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24},
      {"ip_prefix":"172.16.0.0/12","mask_length_min":12,"mask_length_max":12}]})",
                                        false))
                  .ok());
  EXPECT_EQ(Sets(s, apipb::DefinedType::PREFIX, "ps1")[0].prefixes_size(), 4);
  ASSERT_TRUE(s.DeleteDefinedSet(DelSet(R"({"name":"ps0"})", true)).ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::PREFIX, "ps0"), IsEmpty());
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, PrefixSetErrors) {
  PolicyStore s;
  auto add = [&](const std::string& json) { return s.AddDefinedSet(AddSet(json)); };
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":30,"mask_length_max":20}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "invalid mask length range: 30..20"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":40}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "ipv4 mask length range outside scope :8..40"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"2001:db8::/32","mask_length_min":32,"mask_length_max":129}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "ipv6 mask length range outside scope :32..129"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"foo","mask_length_min":8,"mask_length_max":8}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "invalid CIDR address: foo"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0","mask_length_min":8,"mask_length_max":8}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "invalid CIDR address: 10.0.0.0"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0/33","mask_length_min":8,"mask_length_max":8}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "invalid CIDR address: 10.0.0.0/33"));
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8},
                                             {"ip_prefix":"2001:db8::/32","mask_length_min":32,"mask_length_max":32}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "multiple families"));
  EXPECT_THAT(
      add(R"({"name":"","prefixes":[]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "empty neighbor set name"));  // sic, gobgpd
  ASSERT_TRUE(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8}]})")
          .ok());
  EXPECT_THAT(
      add(R"({"name":"p","prefixes":[{"ip_prefix":"2001:db8::/32","mask_length_min":32,"mask_length_max":32}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "can't append different family"));
  EXPECT_THAT(s.AddDefinedSet(apipb::AddDefinedSetRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument, "nil request"));
  EXPECT_THAT(s.DeleteDefinedSet(DelSet(R"({"name":"nope"})", true)),
              StatusIs(absl::StatusCode::kNotFound, "not found defined-set: nope"));
  // Nothing of the failed requests stuck.
  ASSERT_EQ(Sets(s, apipb::DefinedType::PREFIX).size(), 1u);
  EXPECT_EQ(Sets(s, apipb::DefinedType::PREFIX)[0].prefixes_size(), 1);
}

TEST(PolicyStoreTest, DefinedSetTypes) {
  PolicyStore s;
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":2,"name":"t"})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid defined type"));
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":7,"name":"t"})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid defined type"));
  apipb::ListDefinedSetRequest req;
  req.set_defined_type(apipb::DefinedType::TAG);
  std::vector<apipb::ListDefinedSetResponse> out;
  EXPECT_THAT(s.ListDefinedSet(req, &out),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid defined-set type: 2"));
  req.set_defined_type(static_cast<apipb::DefinedType>(42));
  EXPECT_THAT(s.ListDefinedSet(req, &out),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid defined-set type: 42"));
  // One name may be used by sets of different types.
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":1,"name":"x","list":["10.0.0.1/32"]})")).ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"defined_type":4,"name":"x","list":["1:1"]})")).ok());
  EXPECT_EQ(Sets(s, apipb::DefinedType::NEIGHBOR).size(), 1u);
  EXPECT_EQ(Sets(s, apipb::DefinedType::COMMUNITY).size(), 1u);
}

TEST(PolicyStoreTest, NeighborSets) {
  PolicyStore s;
  ASSERT_TRUE(
      s.AddDefinedSet(
           AddSet(R"({"defined_type":1,"name":"ns1","list":["10.0.0.2/32","10.1.2.3/16"]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":1,"name":"ns1","list":["2001:db8::1/128"]})"))
          .ok());
  EXPECT_THAT(
      Sets(s, apipb::DefinedType::NEIGHBOR),
      ElementsAre(EqualsProto(Json<apipb::DefinedSet>(
          R"({"defined_type":1,"name":"ns1","list":["10.0.0.2/32","10.1.0.0/16","2001:db8::1/128"]})"))));
  // The API wants CIDRs (the gobgp CLI adds /32 itself).
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":1,"name":"ns1","list":["10.0.0.3"]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid address or prefix: 10.0.0.3"));
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":1,"name":"ns1","list":["foo"]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid address or prefix: foo"));
  ASSERT_TRUE(
      s.DeleteDefinedSet(DelSet(R"({"defined_type":1,"name":"ns1","list":["10.1.0.0/16"]})", false))
          .ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::NEIGHBOR)[0].list(),
              ElementsAre("10.0.0.2/32", "2001:db8::1/128"));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, AsPathSetsListSinglesFirstAndExpressionsAsCompiled) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"defined_type":3,"name":"as1","list":["_65001_","65003","^65002_","_6500[0-9]$"]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":3,"name":"as1","list":["^99999999999$","65004"]})"))
          .ok());
  // gobgpd: singles (in order), then expressions with '_' as GoBGP's boundary; an ASN
  // beyond 32 bits saturates (strconv.ParseUint).
  EXPECT_THAT(Sets(s, apipb::DefinedType::AS_PATH)[0].list(),
              ElementsAre("_65001_", "^65002_", "^4294967295$", "65003", "(^|[,{}() ]|$)6500[0-9]$",
                          "65004"));
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":3,"name":"as1","list":["("]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid regular expression: ("));
  ASSERT_TRUE(
      s.DeleteDefinedSet(
           DelSet(R"({"defined_type":3,"name":"as1","list":["^65002_","_6500[0-9]$"]})", false))
          .ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::AS_PATH)[0].list(),
              ElementsAre("_65001_", "^4294967295$", "65003", "65004"));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, CommunitySetsListTheirRegularExpressions) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"defined_type":4,"name":"cs1","list":["65001:100","100","no-export","NO_ADVERTISE","6500.:.*"]})"))
          .ok());
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"defined_type":5,"name":"es1","list":["rt:65001:100","soo:10.0.0.1:5","RT:4200000000:1","rt:.*:1"]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":6,"name":"ls1","list":["1:2:3","^1:.*"]})")).ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::COMMUNITY)[0].list(),
              ElementsAre("^65001:100$", "^0:100$", "^65535:65281$", "^65535:65282$", "6500.:.*"));
  EXPECT_THAT(Sets(s, apipb::DefinedType::EXT_COMMUNITY)[0].list(),
              ElementsAre("rt:^65001:100$", "soo:^10.0.0.1:5$", "rt:^4200000000:1$", "rt:.*:1"));
  EXPECT_THAT(Sets(s, apipb::DefinedType::LARGE_COMMUNITY)[0].list(),
              ElementsAre("^1:2:3$", "^1:.*"));

  EXPECT_THAT(
      s.AddDefinedSet(AddSet(R"({"defined_type":4,"name":"c","list":["["]})")),
      StatusIs(absl::StatusCode::kInvalidArgument, "error parsing regexp: missing closing ]: `[`"));
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":5,"name":"e","list":["xx:1"]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown ext-community subtype. rt, soo, encap, lb is supported"));
  EXPECT_THAT(s.AddDefinedSet(AddSet(R"({"defined_type":5,"name":"e","list":["rt"]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid ext-community format([rt|soo|encap|lb]:<value>)"));
  EXPECT_EQ(
      s.AddDefinedSet(AddSet(R"({"defined_type":5,"name":"e","list":["encap:vxlan"]})")).code(),
      absl::StatusCode::kUnimplemented);
  EXPECT_THAT(
      s.AddDefinedSet(AddSet(R"({"defined_type":6,"name":"l","list":["("]})")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "invalid large-community format: error parsing regexp: missing closing ): `(`"));

  // Entries are removed by the expression they stand for, the ext-community subtype too.
  ASSERT_TRUE(s.DeleteDefinedSet(
                   DelSet(R"({"defined_type":4,"name":"cs1","list":["no-export","0:100"]})", false))
                  .ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::COMMUNITY)[0].list(),
              ElementsAre("^65001:100$", "^65535:65282$", "6500.:.*"));
  ASSERT_TRUE(
      s
          .DeleteDefinedSet(DelSet(
              R"({"defined_type":5,"name":"es1","list":["soo:65001:100","rt:10.0.0.1:5"]})", false))
          .ok());
  EXPECT_EQ(Sets(s, apipb::DefinedType::EXT_COMMUNITY)[0].list_size(), 4);
  ASSERT_TRUE(s.DeleteDefinedSet(
                   DelSet(R"({"defined_type":5,"name":"es1","list":["rt:65001:100"]})", false))
                  .ok());
  EXPECT_THAT(Sets(s, apipb::DefinedType::EXT_COMMUNITY)[0].list(),
              ElementsAre("soo:^10.0.0.1:5$", "rt:^4200000000:1$", "rt:.*:1"));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, SetInUseCannotBeDeleted) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"name":"ps1","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8}]})"))
          .ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"defined_type":4,"name":"ps1","list":["1:1"]})")).ok());
  ASSERT_TRUE(
      s.AddStatement(AddStmt(R"({"name":"s1","conditions":{"prefix_set":{"name":"ps1"}}})")).ok());
  // A statement outside every policy does not hold its set.
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p1","statements":[{"name":"s1"}]})", true)).ok());
  EXPECT_THAT(
      s.DeleteDefinedSet(DelSet(R"({"name":"ps1"})", true)),
      StatusIs(absl::StatusCode::kFailedPrecondition, "can't delete. defined-set ps1 is in use"));
  // Entries may still go, and a set of another type with the same name is not in use.
  EXPECT_TRUE(
      s
          .DeleteDefinedSet(DelSet(
              R"({"name":"ps1","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8}]})",
              false))
          .ok());
  EXPECT_TRUE(s.DeleteDefinedSet(DelSet(R"({"defined_type":4,"name":"ps1"})", true)).ok());
  ExpectCompiles(s);
}

// ---- Statements ----

TEST(PolicyStoreTest, StatementsMergeAndListAsGobgpd) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"name":"ps1","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8}]})"))
          .ok());
  // The gobgp CLI's requests for:
  //   gobgp policy statement add st1
  //   gobgp policy statement st1 add condition prefix ps1
  //   ... add action med add 5 / as-prepend 0 0 / community replace
  //   ... add condition afi-safi-in ipv4-unicast l2vpn-evpn / route-type local / as-path-length 0
  //   eq
  //   ... add condition next-hop-in-list foo (ignored, as by gobgpd)
  for (
      const char* json : {
          R"({"name":"st1"})",
          R"({"name":"st1","conditions":{"prefix_set":{"name":"ps1"}}})",
          R"({"name":"st1","actions":{"med":{"type":0,"value":5}}})",
          R"({"name":"st1","actions":{"as_prepend":{"asn":0,"repeat":0}}})",
          R"({"name":"st1","actions":{"community":{"type":2}}})",
          R"({"name":"st1","conditions":{"afi_safi_in":[{"afi":1,"safi":1},{"afi":25,"safi":70}]}})",
          R"({"name":"st1","conditions":{"route_type":3}})",
          R"({"name":"st1","conditions":{"as_path_length":{"type":0,"length":0}}})",
          R"({"name":"st1","conditions":{"next_hop_in_list":["foo"]}})",
      }) {
    ASSERT_TRUE(s.AddStatement(AddStmt(json)).ok()) << json;
  }
  // gobgp -j policy statement st1 against gobgpd 3.10 after the same commands.
  EXPECT_THAT(Stmts(s, "st1"), ElementsAre(EqualsProto(Json<apipb::Statement>(R"({"name":"st1",
      "conditions":{"prefix_set":{"name":"ps1"},"as_path_length":{},"rpki_result":-1,"route_type":3,
                    "afi_safi_in":[{"afi":1,"safi":1},{"afi":25,"safi":70}]},
      "actions":{"med":{"value":5},"as_prepend":{}}})"))));

  auto add = [&](const std::string& json) { return s.AddStatement(AddStmt(json)); };
  EXPECT_THAT(add(R"({"name":"st1","conditions":{"prefix_set":{"name":"ps1"}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "condition 0 is already set"));
  EXPECT_THAT(add(R"({"name":"st1","actions":{"med":{"type":1,"value":5}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "action 3 is already set"));
  ASSERT_TRUE(add(R"({"name":"st1","actions":{"route_action":1}})").ok());
  EXPECT_THAT(add(R"({"name":"st1","actions":{"route_action":2}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "route action is already set"));

  auto del = [&](const std::string& json) { return s.DeleteStatement(DelStmt(json, false)); };
  EXPECT_THAT(del(R"({"name":"st1","actions":{"local_pref":{"value":5}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "action 6 is not set"));
  EXPECT_THAT(del(R"({"name":"st1","conditions":{"rpki_result":2}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "condition 6 is not set"));
  ASSERT_TRUE(
      del(R"({"name":"st1","actions":{"route_action":2}})").ok());  // the kind, not the value
  ASSERT_TRUE(
      del(R"({"name":"st1","conditions":{"prefix_set":{"name":"other"}},"actions":{"med":{}}})")
          .ok());
  EXPECT_THAT(Stmts(s, "st1"), ElementsAre(EqualsProto(Json<apipb::Statement>(R"({"name":"st1",
      "conditions":{"as_path_length":{},"rpki_result":-1,"route_type":3,
                    "afi_safi_in":[{"afi":1,"safi":1},{"afi":25,"safi":70}]},
      "actions":{"as_prepend":{}}})"))));
  EXPECT_THAT(s.DeleteStatement(DelStmt(R"({"name":"nope"})", true)),
              StatusIs(absl::StatusCode::kNotFound, "not found statement: nope"));
  ASSERT_TRUE(s.DeleteStatement(DelStmt(R"({"name":"st1"})", true)).ok());
  EXPECT_THAT(Stmts(s), IsEmpty());
}

TEST(PolicyStoreTest, StatementValuesAreNormalizedAsGobgpd) {
  PolicyStore s;
  ASSERT_TRUE(s.AddStatement(AddStmt(R"({"name":"a","actions":{
      "community":{"type":0,"communities":["65001:1","no-export","100"]},
      "ext_community":{"type":2,"communities":["rt:65001:100","SOO:10.0.0.1:5","rt:4200000000:1"]},
      "large_community":{"type":1,"communities":["1:2:3","^9:.*"]},
      "med":{"type":0,"value":0},
      "local_pref":{"value":0},
      "as_prepend":{"asn":65001,"repeat":258,"use_left_most":true},
      "nexthop":{"address":"SELF"}}})"))
                  .ok());
  ASSERT_TRUE(s.AddStatement(AddStmt(R"({"name":"b","conditions":{
      "next_hop_in_list":["10.0.0.1","10.1.2.3/16","2001:db8::1"],
      "as_path_length":{"type":4,"length":3},"rpki_result":7},
      "actions":{"route_action":9,"med":{"type":1,"value":-5},"community":{"type":1,"communities":["65001:100","no-export"]},
                 "nexthop":{"address":"2001:DB8::1"}}})"))
                  .ok());
  EXPECT_THAT(Stmts(s), ElementsAre(
                            // med MOD 0 lists as REPLACE 0 ("0"), a zero local-pref is no action,
                            // the prepend repeat is a uint8 and last-as drops the ASN.
                            EqualsProto(Json<apipb::Statement>(
                                R"({"name":"a","conditions":{"rpki_result":-1},"actions":{
          "community":{"type":0,"communities":["65001:1","65535:65281","0:100"]},
          "ext_community":{"type":2,"communities":["rt:65001:100","soo:10.0.0.1:5","rt:64086.59904:1"]},
          "large_community":{"type":1,"communities":["^1:2:3$","^9:.*"]},
          "med":{"type":1,"value":0},
          "as_prepend":{"asn":0,"repeat":2,"use_left_most":true},
          "nexthop":{"self":true}}})")),
                            // REPLACE -5 lists as MOD -5; an unknown route action rejects; an
                            // unknown RPKI result is no condition; "ge" (4) is GoBGP's GE (1).
                            EqualsProto(Json<apipb::Statement>(R"({"name":"b","conditions":{
          "next_hop_in_list":["10.0.0.1/32","10.1.0.0/16","2001:db8::1/128"],
          "as_path_length":{"type":1,"length":3},"rpki_result":-1},
          "actions":{"route_action":2,"med":{"type":0,"value":-5},
                     "community":{"type":1,"communities":["^65001:100$","^65535:65281$"]},
                     "nexthop":{"address":"2001:db8::1"}}})"))));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, StatementErrors) {
  PolicyStore s;
  auto add = [&](const std::string& json) { return s.AddStatement(AddStmt(json)); };
  EXPECT_THAT(add(R"({"name":""})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty statement name"));
  EXPECT_THAT(s.AddStatement(apipb::AddStatementRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument, "nil request"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"prefix_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found prefix set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"neighbor_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found neighbor set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"as_path_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found as path set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"community_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found community set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"ext_community_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found ext-community set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"large_community_set":{"name":"nope"}}})"),
              StatusIs(absl::StatusCode::kNotFound, "not found large-community set nope"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"prefix_set":{"name":"x","type":1}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid match type"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"community_set":{"name":"x","type":3}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid match type"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"route_type":4}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid route type: 4"));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"as_path_length":{"type":6,"length":2}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid as path length operator: "));
  EXPECT_THAT(add(R"({"name":"s","conditions":{"afi_safi_in":[{"afi":1,"safi":3}]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown afi-safi-in type value: afi:AFI_IP safi:3"));
  EXPECT_THAT(add(R"({"name":"s","actions":{"community":{"type":0,"communities":["foo"]}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "failed to parse foo as community"));
  EXPECT_THAT(
      add(R"({"name":"s","actions":{"community":{"type":1,"communities":["["]}}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "error parsing regexp: missing closing ]: `[`"));
  EXPECT_THAT(add(R"({"name":"s","actions":{"community":{"type":5,"communities":["1:1"]}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid option name: "));
  EXPECT_THAT(add(R"({"name":"s","actions":{"ext_community":{"type":0,"communities":["rt:1"]}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "failed to parse"));
  EXPECT_THAT(
      add(R"({"name":"s","actions":{"ext_community":{"type":0,"communities":["xx:1:1"]}}})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "invalid ext-community (rt|soo|encap|lb):<value> | valid | not-found | invalid"));
  EXPECT_THAT(add(R"({"name":"s","actions":{"large_community":{"type":0,"communities":["1:2"]}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid large community format"));
  EXPECT_THAT(add(R"({"name":"s","actions":{"nexthop":{"address":"1.2.3"}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid ip address format: 1.2.3"));
  EXPECT_THAT(Stmts(s), IsEmpty());
  // An empty set name is no condition, an unknown option with no values no action.
  ASSERT_TRUE(
      add(R"({"name":"s","conditions":{"prefix_set":{"name":""}},"actions":{"community":{"type":5}}})")
          .ok());
  EXPECT_THAT(Stmts(s), ElementsAre(EqualsProto(Json<apipb::Statement>(
                            R"({"name":"s","conditions":{"rpki_result":-1},"actions":{}})"))));
}

TEST(PolicyStoreTest, StatementInUseCannotBeDeleted) {
  PolicyStore s;
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p1","statements":[{"name":"s1"}]})", false)).ok());
  EXPECT_THAT(
      s.DeleteStatement(DelStmt(R"({"name":"s1"})", true)),
      StatusIs(absl::StatusCode::kFailedPrecondition, "can't delete. statement s1 is in use"));
}

// ---- Policies ----

TEST(PolicyStoreTest, PoliciesReferOrDefineStatements) {
  PolicyStore s;
  ASSERT_TRUE(s.AddStatement(AddStmt(R"({"name":"st1","actions":{"route_action":2}})")).ok());
  // gobgp policy add pa st1 nope: gobgpd reports the error and adds "pa" anyway.
  EXPECT_THAT(
      s.AddPolicy(AddPol(R"({"name":"pa","statements":[{"name":"st1"},{"name":"nope"}]})", true)),
      StatusIs(absl::StatusCode::kNotFound, "not found statement nope"));
  EXPECT_THAT(Policies(s), IsEmpty());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"pb"})", true)).ok());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"pb","statements":[{"name":"st1"}]})", true)).ok());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"pb","statements":[{"name":"st1"}]})", true)).ok());
  EXPECT_EQ(Policies(s, "pb")[0].statements_size(), 2);  // appended, as gobgpd does
  // New statements: unnamed ones are "<policy>_stmt<i>"; an existing name is an error.
  ASSERT_TRUE(
      s
          .AddPolicy(AddPol(
              R"({"name":"a0","statements":[{"actions":{"route_action":1}},{"name":"x"}]})", false))
          .ok());
  EXPECT_THAT(s.AddPolicy(AddPol(R"({"name":"a1","statements":[{"name":"st1"}]})", false)),
              StatusIs(absl::StatusCode::kAlreadyExists, "statement st1 already defined"));
  EXPECT_THAT(
      s.AddPolicy(AddPol(R"({"name":"a1","statements":[{"name":"y"},{"name":"y"}]})", false)),
      StatusIs(absl::StatusCode::kAlreadyExists, "statement y already defined"));
  EXPECT_THAT(s.AddPolicy(AddPol(R"({"name":""})", false)),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty policy name"));
  EXPECT_THAT(
      s.AddPolicy(AddPol(
          R"({"name":"a1","statements":[{"name":"z","conditions":{"prefix_set":{"name":"ps9"}}}]})",
          false)),
      StatusIs(absl::StatusCode::kNotFound, "not found prefix set ps9"));
  EXPECT_THAT(PolicyNames(s), ElementsAre("a0", "pb"));  // sorted, as gobgpd sorts
  EXPECT_THAT(StatementNames(s), ElementsAre("a0_stmt0", "st1", "x"));
  EXPECT_THAT(Policies(s, "a0"),
              ElementsAre(EqualsProto(Json<apipb::Policy>(R"({"name":"a0","statements":[
      {"name":"a0_stmt0","conditions":{"rpki_result":-1},"actions":{"route_action":1}},
      {"name":"x","conditions":{"rpki_result":-1},"actions":{}}]})"))));
  EXPECT_THAT(Policies(s, "pb")[0].statements(0), EqualsProto(Stmts(s, "st1")[0]));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, StatementChangesReachEveryPolicyUsingIt) {
  PolicyStore s;
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p1","statements":[{"name":"s1"}]})", false)).ok());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p2","statements":[{"name":"s1"}]})", true)).ok());
  ASSERT_TRUE(
      s.AddStatement(AddStmt(R"({"name":"s1","actions":{"local_pref":{"value":200}}})")).ok());
  absl::StatusOr<policy::PolicyConfig> c = s.Build();
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->policies.size(), 2u);
  for (const policy::PolicyDef& p : c->policies) {
    ASSERT_EQ(p.statements.size(), 1u);
    EXPECT_EQ(p.statements[0].actions.set_local_pref, 200u);
  }
}

TEST(PolicyStoreTest, DeletePolicy) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddPolicy(AddPol(
              R"({"name":"p1","statements":[{"name":"s1"},{"name":"s2"},{"name":"s3"}]})", false))
          .ok());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p2","statements":[{"name":"s3"}]})", true)).ok());
  ASSERT_TRUE(
      s.SetPolicyAssignment(Assign<apipb::SetPolicyAssignmentRequest>("global", 1, {"p2"})).ok());
  EXPECT_THAT(s.DeletePolicy(DelPol(R"({"name":"nope"})", true, true)),
              StatusIs(absl::StatusCode::kNotFound, "not found policy: nope"));
  // In use by the import assignment (gobgpd 3.10 looks at export only and deletes it).
  EXPECT_THAT(s.DeletePolicy(DelPol(R"({"name":"p2"})", true, false)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "can't delete. policy p2 is in use"));
  // gobgp policy del p1 s1: the statement leaves the policy and stays defined.
  ASSERT_TRUE(
      s.DeletePolicy(DelPol(R"({"name":"p1","statements":[{"name":"s1"}]})", false, false)).ok());
  EXPECT_EQ(Policies(s, "p1")[0].statements_size(), 2);
  EXPECT_THAT(StatementNames(s), ElementsAre("s1", "s2", "s3"));
  // The whole policy without preserve_statements: its statements no other policy uses go.
  ASSERT_TRUE(s.DeletePolicy(DelPol(R"({"name":"p1"})", true, false)).ok());
  EXPECT_THAT(PolicyNames(s), ElementsAre("p2"));
  EXPECT_THAT(StatementNames(s), ElementsAre("s1", "s3"));
  // With preserve_statements (the gobgp CLI) they stay.
  apipb::DeletePolicyAssignmentRequest all =
      Assign<apipb::DeletePolicyAssignmentRequest>("global", 1, {});
  all.set_all(true);
  ASSERT_TRUE(s.DeletePolicyAssignment(all).ok());
  ASSERT_TRUE(s.DeletePolicy(DelPol(R"({"name":"p2"})", true, true)).ok());
  EXPECT_THAT(StatementNames(s), ElementsAre("s1", "s3"));
  ExpectCompiles(s);
}

// ---- Assignments ----

TEST(PolicyStoreTest, GlobalAssignments) {
  PolicyStore s;
  for (const char* p : {"a0", "p1", "pb"}) {
    ASSERT_TRUE(s.AddPolicy(AddPol(absl::StrCat(R"({"name":")", p, R"("})"), false)).ok());
  }
  using Add = apipb::AddPolicyAssignmentRequest;
  using Del = apipb::DeletePolicyAssignmentRequest;
  using Set = apipb::SetPolicyAssignmentRequest;
  ASSERT_TRUE(s.AddPolicyAssignment(Assign<Add>("global", 2, {"a0", "p1"})).ok());
  EXPECT_EQ(Summary(s, "global", 2), "a0,p1/ACCEPT");
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("global", 2, {"a0"})),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicated policy a0"));
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("global", 2, {"pb", "pb"})),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicated policy pb"));
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("global", 2, {"p9"})),
              StatusIs(absl::StatusCode::kNotFound, "not found policy p9"));
  ASSERT_TRUE(s.AddPolicyAssignment(Assign<Add>("global", 2, {"pb"}, /*REJECT*/ 2)).ok());
  EXPECT_EQ(Summary(s, "global", 2), "a0,p1,pb/REJECT");
  ASSERT_TRUE(s.DeletePolicyAssignment(Assign<Del>("global", 2, {"p1"})).ok());
  EXPECT_EQ(Summary(s, "global", 2), "a0,pb/REJECT");
  EXPECT_THAT(s.DeletePolicyAssignment(Assign<Del>("global", 2, {"p9"})),
              StatusIs(absl::StatusCode::kNotFound, "not found policy p9"));
  ASSERT_TRUE(s.SetPolicyAssignment(Assign<Set>("global", 1, {"pb", "a0"}, /*ACCEPT*/ 1)).ok());
  EXPECT_EQ(Summary(s, "global", 1), "pb,a0/ACCEPT");
  ASSERT_TRUE(s.SetPolicyAssignment(Assign<Set>("global", 1, {"p1"})).ok());  // default kept
  EXPECT_EQ(Summary(s, "global", 1), "p1/ACCEPT");
  // gobgp global policy import del: no policies and default NONE, which rejects.
  Del all = Assign<Del>("global", 1, {});
  all.set_all(true);
  ASSERT_TRUE(s.DeletePolicyAssignment(all).ok());
  EXPECT_EQ(Summary(s, "global", 1), "/NONE");
  absl::StatusOr<policy::PolicyConfig> c = s.Build();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->global.default_import, policy::Disposition::kReject);
  EXPECT_EQ(c->global.default_export, policy::Disposition::kReject);
  EXPECT_THAT(c->global.export_policies, ElementsAre("a0", "pb"));

  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("", 1, {})),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty table name"));
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("global", 0, {})),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid policy type"));
  EXPECT_THAT(s.AddPolicyAssignment(Add()),
              StatusIs(absl::StatusCode::kInvalidArgument, "nil request"));
  ExpectCompiles(s);
}

TEST(PolicyStoreTest, RouteServerClientAssignments) {
  PolicyStore s;
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p1"})", false)).ok());
  const IpAddress client = *IpAddress::Parse("10.0.0.3");
  const IpAddress peer = *IpAddress::Parse("10.0.0.4");
  using Add = apipb::AddPolicyAssignmentRequest;
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("10.0.0.3", 1, {"p1"})),
              StatusIs(absl::StatusCode::kNotFound, "not found peer 10.0.0.3"));
  // AddPeer of a route server client: its apply-policy; an unknown policy leaves that
  // direction unset and is reported.
  policy::AssignmentDef apply;
  apply.import_policies = {"p1"};
  apply.default_import = policy::Disposition::kReject;
  apply.export_policies = {"p9"};
  EXPECT_THAT(s.SetPeerPolicy(client, apply),
              StatusIs(absl::StatusCode::kNotFound, "not found policy p9"));
  EXPECT_EQ(Summary(s, "10.0.0.3", 1), "p1/REJECT");
  EXPECT_EQ(Summary(s, "10.0.0.3", 2), "/ACCEPT");
  ASSERT_TRUE(s.AddPolicyAssignment(Assign<Add>("10.0.0.3", 2, {"p1"})).ok());
  EXPECT_EQ(Summary(s, "10.0.0.3", 2), "p1/ACCEPT");

  PeerLookup peers = [&](const IpAddress& a) {
    return a == client ? PeerKind::kRouteServerClient
           : a == peer ? PeerKind::kPeer
                       : PeerKind::kUnknown;
  };
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("10.0.0.4", 1, {"p1"}), peers),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "non-rs-client peer 10.0.0.4 doesn't have per peer policy"));
  EXPECT_THAT(s.AddPolicyAssignment(Assign<Add>("10.0.0.9", 1, {"p1"}), peers),
              StatusIs(absl::StatusCode::kNotFound, "not found peer 10.0.0.9"));
  EXPECT_THAT(Assignments(s, "10.0.0.4", 1, peers).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "non-rs-client peer 10.0.0.4 doesn't have per peer policy"));

  auto all = Assignments(s, "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->at(2).name(), "10.0.0.3");
  EXPECT_EQ(all->at(2).direction(), apipb::PolicyDirection::EXPORT);

  absl::StatusOr<policy::PolicyConfig> c = s.Build();
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->route_server_clients.size(), 1u);
  EXPECT_EQ(c->route_server_clients[0].first, client);
  EXPECT_THAT(c->route_server_clients[0].second.import_policies, ElementsAre("p1"));
  EXPECT_EQ(c->route_server_clients[0].second.default_import, policy::Disposition::kReject);
  ExpectCompiles(s);

  EXPECT_THAT(s.DeletePolicy(DelPol(R"({"name":"p1"})", true, true)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "can't delete. policy p1 is in use"));
  s.RemovePeer(client);
  EXPECT_THAT(Assignments(s, "", 0).value(), ::testing::SizeIs(2));
  EXPECT_TRUE(s.DeletePolicy(DelPol(R"({"name":"p1"})", true, true)).ok());
}

// ---- The config file and SetPolicies ----

// The gobgpd.yml of the side-by-side run (what config::ToPolicyConfig makes of it).
policy::PolicyConfig SampleConfig() {
  policy::PolicyConfig c;
  const Prefix p10 = *Prefix::Parse("10.0.0.0/8");
  c.sets.prefix_sets.push_back({"ps1",
                                {{p10, 16, 24},
                                 policy::ExactPrefix(*Prefix::Parse("192.168.0.0/16")),
                                 policy::ExactPrefix(p10)}});
  c.sets.neighbor_sets.push_back(
      {"ns1", {*Prefix::Parse("10.0.0.2/32"), *Prefix::Parse("10.1.0.0/16")}});
  c.sets.community_sets.push_back({"cs1", {"65001:100", "100", "no-export", "6500.:.*"}});
  c.sets.ext_community_sets.push_back(
      {"es1", {"rt:65001:100", "soo:10.0.0.1:5", "rt:4200000000:1"}});
  c.sets.large_community_sets.push_back({"ls1", {"1:2:3", "^1:.*"}});
  c.sets.as_path_sets.push_back({"as1", {"_65001_", "^65002_", "65003", "_6500[0-9]$"}});

  policy::StatementDef s1;
  s1.name = "s1";
  s1.conditions.prefix_set = {"ps1", policy::MatchOption::kInvert};
  s1.conditions.community_set = {"cs1", policy::MatchOption::kAll};
  s1.conditions.as_path_length = {policy::Comparison::kGe, 3};
  s1.conditions.next_hop_in_list = {*Prefix::Parse("10.0.0.1/32"), *Prefix::Parse("10.1.0.0/16")};
  s1.conditions.afi_safi_in = {"ipv4-unicast"};
  s1.conditions.route_type = policy::RouteType::kExternal;
  s1.actions.disposition = policy::Disposition::kAccept;
  s1.actions.set_med = "+10";
  s1.actions.set_local_pref = 200;
  s1.actions.set_next_hop = "self";
  s1.actions.prepend_last_as = true;
  s1.actions.prepend_repeat = 2;
  s1.actions.set_community = {policy::CommunityOp::kAdd, {"65001:1", "no-export"}};
  s1.actions.set_ext_community = {policy::CommunityOp::kReplace, {"rt:65001:100"}};
  s1.actions.set_large_community = {policy::CommunityOp::kRemove, {"1:2:3"}};
  policy::StatementDef s1b;  // unnamed
  s1b.conditions.rpki = policy::RpkiState::kNotFound;
  s1b.actions.disposition = policy::Disposition::kReject;
  c.policies.push_back({"p1", {s1, s1b}});
  policy::StatementDef s2;
  s2.name = "s2";
  s2.actions.set_med = "0";
  c.policies.push_back({"a0", {s2}});
  c.global.import_policies = {"p1"};
  c.global.default_import = policy::Disposition::kReject;
  c.global.export_policies = {"a0", "p1"};
  return c;
}

// gobgp -j policy (and policy prefix ...) from gobgpd 3.10 started with that file.
constexpr char kGobgpdPolicies[] = R"([
  {"name":"a0","statements":[{"name":"s2","conditions":{"rpki_result":-1},"actions":{"med":{"type":1}}}]},
  {"name":"p1","statements":[
    {"name":"s1","conditions":{"prefix_set":{"type":2,"name":"ps1"},"as_path_length":{"type":1,"length":3},
       "community_set":{"type":1,"name":"cs1"},"rpki_result":-1,"route_type":2,
       "next_hop_in_list":["10.0.0.1/32","10.1.0.0/16"],"afi_safi_in":[{"afi":1,"safi":1}]},
     "actions":{"route_action":1,"community":{"communities":["65001:1","65535:65281"]},"med":{"value":10},
       "as_prepend":{"repeat":2,"use_left_most":true},"ext_community":{"type":2,"communities":["rt:65001:100"]},
       "nexthop":{"self":true},"local_pref":{"value":200},"large_community":{"type":1,"communities":["^^1:2:3$$"]}}},
    {"name":"p1_stmt1","conditions":{"rpki_result":1},"actions":{"route_action":2}}]}])";

TEST(PolicyStoreTest, FromConfigListsWhatGobgpdLists) {
  absl::StatusOr<PolicyStore> s = PolicyStore::FromConfig(SampleConfig());
  ASSERT_TRUE(s.ok()) << s.status();
  apipb::RoutingPolicy want =
      Json<apipb::RoutingPolicy>(absl::StrCat(R"({"policies":)", kGobgpdPolicies, "}"));
  std::vector<apipb::Policy> got = Policies(*s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(got[0], EqualsProto(want.policies(0)));
  EXPECT_THAT(got[1], EqualsProto(want.policies(1)));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::PREFIX),
              ElementsAre(EqualsProto(Json<apipb::DefinedSet>(R"({"name":"ps1","prefixes":[
      {"ip_prefix":"10.0.0.0/8","mask_length_min":16,"mask_length_max":24},
      {"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":8},
      {"ip_prefix":"192.168.0.0/16","mask_length_min":16,"mask_length_max":16}]})"))));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::NEIGHBOR),
              ElementsAre(EqualsProto(Json<apipb::DefinedSet>(
                  R"({"defined_type":1,"name":"ns1","list":["10.0.0.2/32","10.1.0.0/16"]})"))));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::COMMUNITY)[0].list(),
              ElementsAre("^65001:100$", "^0:100$", "^65535:65281$", "6500.:.*"));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::EXT_COMMUNITY)[0].list(),
              ElementsAre("rt:^65001:100$", "soo:^10.0.0.1:5$", "rt:^4200000000:1$"));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::LARGE_COMMUNITY)[0].list(),
              ElementsAre("^1:2:3$", "^1:.*"));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::AS_PATH)[0].list(),
              ElementsAre("_65001_", "^65002_", "65003", "(^|[,{}() ]|$)6500[0-9]$"));
  auto exp = Assignments(*s, "global", 2);
  ASSERT_TRUE(exp.ok());
  apipb::PolicyAssignment want_export;
  want_export.set_name("global");
  want_export.set_direction(apipb::PolicyDirection::EXPORT);
  want_export.set_default_action(apipb::RouteAction::ACCEPT);
  *want_export.add_policies() = want.policies(0);
  *want_export.add_policies() = want.policies(1);
  EXPECT_THAT(exp->at(0), EqualsProto(want_export));
  EXPECT_EQ(Summary(*s, "global", 1), "p1/REJECT");
  ExpectCompiles(*s);
}

TEST(PolicyStoreTest, FromConfigKeepsKbgpOnlyConditionsAndActions) {
  policy::PolicyConfig c;
  policy::StatementDef st;
  st.name = "s";
  st.conditions.community_count = {policy::Comparison::kGe, 2};
  st.conditions.med_eq = 5;
  st.conditions.local_pref_eq = 100;
  st.conditions.origin_eq = wire::Origin::kEgp;
  st.actions.set_origin = wire::Origin::kIncomplete;
  c.policies.push_back({"p", {st}});
  c.global.export_policies = {"p"};
  absl::StatusOr<PolicyStore> s = PolicyStore::FromConfig(c);
  ASSERT_TRUE(s.ok()) << s.status();
  // An API change elsewhere keeps them.
  ASSERT_TRUE(
      s->AddStatement(AddStmt(R"({"name":"s","actions":{"local_pref":{"value":7}}})")).ok());
  absl::StatusOr<policy::PolicyConfig> b = s->Build();
  ASSERT_TRUE(b.ok());
  const policy::StatementDef& got = b->policies.at(0).statements.at(0);
  EXPECT_EQ(got.conditions.community_count.op, policy::Comparison::kGe);
  EXPECT_EQ(got.conditions.med_eq, 5u);
  EXPECT_EQ(got.conditions.local_pref_eq, 100u);
  EXPECT_EQ(got.conditions.origin_eq, wire::Origin::kEgp);
  EXPECT_EQ(got.actions.set_origin, wire::Origin::kIncomplete);
  EXPECT_EQ(got.actions.set_local_pref, 7u);
  ExpectCompiles(*s);
}

TEST(PolicyStoreTest, FromConfigRefusesDuplicateStatementNames) {
  policy::PolicyConfig c;
  policy::StatementDef st;
  st.name = "s";
  c.policies.push_back({"p1", {st}});
  c.policies.push_back({"p2", {st}});
  EXPECT_THAT(PolicyStore::FromConfig(c).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "duplicated statement name. statement name must be unique"));
}

TEST(PolicyStoreTest, SetPoliciesReplacesAndKeepsAssignmentsByName) {
  absl::StatusOr<PolicyStore> s = PolicyStore::FromConfig(SampleConfig());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->AddStatement(AddStmt(R"({"name":"loose"})")).ok());
  apipb::SetPoliciesRequest req = Json<apipb::SetPoliciesRequest>(R"({
      "defined_sets":[{"defined_type":6,"name":"ls","list":["1:2:3"]},
                      {"defined_type":4,"name":"cs","list":["1:1"]},
                      {"defined_type":4,"name":"cs","list":["2:2"]}],
      "policies":[{"name":"a0","statements":[{"actions":{"large_community":{"type":1,"communities":["1:2:3"]}}}]}]})");
  ASSERT_TRUE(s->SetPolicies(req).ok());
  EXPECT_THAT(PolicyNames(*s), ElementsAre("a0"));
  EXPECT_THAT(StatementNames(*s), ElementsAre("a0_stmt0"));
  // Parsed twice, as gobgpd does (newConfigPolicyFromApiStruct, then reload).
  EXPECT_THAT(Stmts(*s)[0].actions().large_community().communities(), ElementsAre("^^1:2:3$$"));
  EXPECT_THAT(Sets(*s, apipb::DefinedType::COMMUNITY)[0].list(),
              ElementsAre("^2:2$"));  // the later one
  EXPECT_THAT(Sets(*s, apipb::DefinedType::PREFIX), IsEmpty());
  // Export named a0 and p1: p1 is gone, so it is emptied (accept); import (p1, reject) too.
  EXPECT_EQ(Summary(*s, "global", 2), "/ACCEPT");
  EXPECT_EQ(Summary(*s, "global", 1), "/ACCEPT");
  ExpectCompiles(*s);

  ASSERT_TRUE(
      s->SetPolicyAssignment(Assign<apipb::SetPolicyAssignmentRequest>("global", 2, {"a0"}, 2))
          .ok());
  ASSERT_TRUE(s->SetPolicies(req).ok());
  EXPECT_EQ(Summary(*s, "global", 2), "a0/REJECT");

  EXPECT_THAT(s->SetPolicies(
                  Json<apipb::SetPoliciesRequest>(R"({"policies":[{"name":"x"},{"name":"x"}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "duplicated policy name. policy name must be unique"));
  EXPECT_THAT(
      s->SetPolicies(Json<apipb::SetPoliciesRequest>(
          R"({"policies":[{"name":"x","statements":[{"conditions":{"prefix_set":{"name":"none"}}}]}]})")),
      StatusIs(absl::StatusCode::kNotFound, "not found prefix set none"));
  EXPECT_THAT(s->SetPolicies(Json<apipb::SetPoliciesRequest>(R"({"defined_sets":[{"name":""}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty neighbor set name"));
  EXPECT_THAT(PolicyNames(*s), ElementsAre("a0"));  // failed requests changed nothing
}

// ---- Building and rolling back ----

TEST(PolicyStoreTest, BuildEvaluatesLikeGobgpd) {
  PolicyStore s;
  ASSERT_TRUE(
      s
          .AddDefinedSet(AddSet(
              R"({"name":"ps","prefixes":[{"ip_prefix":"10.0.0.0/8","mask_length_min":8,"mask_length_max":24}]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":3,"name":"as","list":["_65001_","^6500[23]_"]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":4,"name":"cs","list":["65001:100","no-export"]})"))
          .ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":5,"name":"es","list":["rt:65001:100"]})")).ok());
  ASSERT_TRUE(s.AddDefinedSet(AddSet(R"({"defined_type":6,"name":"ls","list":["1:2:3"]})")).ok());
  ASSERT_TRUE(
      s.AddDefinedSet(AddSet(R"({"defined_type":1,"name":"ns","list":["10.0.0.0/24"]})")).ok());
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p","statements":[{"name":"s",
      "conditions":{"prefix_set":{"name":"ps","type":2},"neighbor_set":{"name":"ns"},"as_path_set":{"name":"as","type":1},
                    "community_set":{"name":"cs"},"ext_community_set":{"name":"es"},"large_community_set":{"name":"ls"},
                    "as_path_length":{"type":2,"length":4},"route_type":2,"rpki_result":1,
                    "next_hop_in_list":["192.0.2.1"],"afi_safi_in":[{"afi":2,"safi":1}]},
      "actions":{"route_action":1,"community":{"type":1,"communities":["no-export"]},
                 "ext_community":{"type":0,"communities":["soo:65001:1"]},
                 "large_community":{"type":2,"communities":["9:9:9"]},
                 "med":{"type":0,"value":-3},"local_pref":{"value":50},
                 "as_prepend":{"asn":65000,"repeat":3},"nexthop":{"unchanged":true}}}]})",
                                 false))
                  .ok());
  ASSERT_TRUE(
      s.AddPolicyAssignment(Assign<apipb::AddPolicyAssignmentRequest>("global", 1, {"p"})).ok());
  absl::StatusOr<policy::PolicyConfig> c = s.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  const policy::StatementDef& d = c->policies.at(0).statements.at(0);
  EXPECT_EQ(d.conditions.prefix_set.option, policy::MatchOption::kInvert);
  EXPECT_EQ(d.conditions.as_path_set.option, policy::MatchOption::kAll);
  EXPECT_EQ(d.conditions.as_path_length.op, policy::Comparison::kLe);
  EXPECT_EQ(d.conditions.route_type, policy::RouteType::kExternal);
  EXPECT_EQ(d.conditions.rpki, policy::RpkiState::kNotFound);
  EXPECT_THAT(d.conditions.afi_safi_in, ElementsAre("ipv6-unicast"));
  EXPECT_THAT(d.conditions.next_hop_in_list, ElementsAre(*Prefix::Parse("192.0.2.1/32")));
  EXPECT_EQ(d.actions.set_med, "-3");
  EXPECT_EQ(d.actions.prepend_as, 65000u);
  EXPECT_EQ(d.actions.prepend_repeat, 3);
  EXPECT_EQ(d.actions.set_next_hop, "unchanged");
  EXPECT_EQ(d.actions.set_community.op, policy::CommunityOp::kRemove);
  EXPECT_THAT(d.actions.set_community.values, ElementsAre("^65535:65281$"));
  EXPECT_THAT(d.actions.set_ext_community.values, ElementsAre("soo:65001:1"));
  EXPECT_EQ(c->sets.prefix_sets.at(0).entries.at(0).max_length, 24);
  policy::PolicyEngine engine;
  ASSERT_TRUE(engine.Load(*c).ok());
  EXPECT_TRUE(engine.has_import());
}

TEST(PolicyStoreTest, UpdateRollsBackWhenTheServerRefuses) {
  PolicyStore s;
  ASSERT_TRUE(s.AddPolicy(AddPol(R"({"name":"p"})", false)).ok());
  int commits = 0;
  auto refuse = [&](const policy::PolicyConfig&) {
    ++commits;
    return absl::InternalError("server says no");
  };
  auto accept = [&](const policy::PolicyConfig& c) {
    ++commits;
    return policy::PolicyEngine().Load(c);
  };
  auto add_assignment = [](PolicyStore& st) {
    return st.AddPolicyAssignment(Assign<apipb::AddPolicyAssignmentRequest>("global", 1, {"p"}));
  };
  EXPECT_THAT(s.Update(add_assignment, refuse),
              StatusIs(absl::StatusCode::kInternal, "server says no"));
  EXPECT_EQ(Summary(s, "global", 1), "/ACCEPT");
  // An operation that fails never reaches the server.
  EXPECT_FALSE(
      s.Update([](PolicyStore& st) { return st.AddPolicy(AddPol(R"({"name":""})", false)); },
               accept)
          .ok());
  EXPECT_EQ(commits, 1);
  ASSERT_TRUE(s.Update(add_assignment, accept).ok());
  EXPECT_EQ(Summary(s, "global", 1), "p/ACCEPT");
  EXPECT_EQ(commits, 2);
}

TEST(PolicyStoreTest, ErrorsAreUserErrorsNeverCrashes) {
  // Requests with every field at odd values: each either works or fails with a user error,
  // and what is left always builds and compiles.
  PolicyStore s;
  const char* requests[] = {
      R"({"name":"p","prefixes":[{"ip_prefix":"::ffff:10.0.0.0/104","mask_length_min":104,"mask_length_max":128}]})",
      R"({"name":"q","prefixes":[{"ip_prefix":"0.0.0.0/0"}]})",
      R"({"name":"r","prefixes":[{"ip_prefix":"/8","mask_length_min":8,"mask_length_max":8}]})",
      R"({"defined_type":1,"name":"n","list":["::/0","",":::/1"]})",
      R"({"defined_type":3,"name":"a","list":["","_","^_","^$","\\"]})",
      R"({"defined_type":4,"name":"c","list":["","4294967296","-1","+1"]})",
      R"({"defined_type":5,"name":"e","list":[":",":x","rt:","soo:\\"]})",
      R"({"defined_type":6,"name":"l","list":["","::",":1:2:3"]})",
  };
  for (const char* r : requests) {
    absl::Status st = s.AddDefinedSet(AddSet(r));
    EXPECT_TRUE(st.ok() || IsUserError(st)) << r << ": " << st;
  }
  const char* statements[] = {
      R"({"name":"s1","conditions":{"next_hop_in_list":["",":","::/200"]},"actions":{"as_prepend":{"repeat":4000000000}}})",
      R"({"name":"s2","actions":{"community":{"type":0,"communities":["","65536:1"]}}})",
      R"({"name":"s3","actions":{"ext_community":{"type":0,"communities":["rt:1.2.3.4.5:1"]}}})",
      R"({"name":"s4","actions":{"med":{"type":1,"value":-9223372036854775807}}})",
      R"({"name":"s5","actions":{"nexthop":{"address":"::ffff:1.2.3.4"}}})",
      R"({"name":"s6","actions":{"large_community":{"type":1,"communities":["\\"]}}})",
  };
  for (const char* r : statements) {
    absl::Status st = s.AddStatement(AddStmt(r));
    EXPECT_TRUE(st.ok() || IsUserError(st)) << r << ": " << st;
    if (!st.ok()) continue;
    // The server refuses what kbgp's policy module cannot run (and the store stays as it
    // was); everything else compiles.
    const std::string name = AddStmt(r).statement().name();
    const auto req = AddPol(
        absl::StrCat(R"({"name":"P)", name, R"(","statements":[{"name":")", name, R"("}]})"), true);
    absl::Status u =
        s.Update([&](PolicyStore& next) { return next.AddPolicy(req); },
                 [](const policy::PolicyConfig& c) { return policy::PolicyEngine().Load(c); });
    EXPECT_TRUE(u.ok() || IsUserError(u)) << r << ": " << u;
  }
  ExpectCompiles(s);
}

}  // namespace
}  // namespace kbgp::api_server
