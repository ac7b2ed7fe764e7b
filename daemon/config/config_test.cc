#include "daemon/config/config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kbgp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kGlobal =
    "global:\n"
    "  config:\n"
    "    as: 64512\n"
    "    router-id: 192.0.2.1\n";

Config MustLoad(absl::string_view yaml) {
  absl::StatusOr<Config> c = LoadString(yaml, "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status() << "\n" << yaml;
  return c.ok() ? *c : Config();
}

IpAddress Ip(absl::string_view s) { return *IpAddress::Parse(s); }

// Load -> print -> load gives the same Config, and printing again gives the same text.
void ExpectRoundTrip(const Config& c) {
  std::string text = Print(c);
  absl::StatusOr<Config> again = LoadString(text, "printed.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << text;
  EXPECT_TRUE(*again == c) << text;
  EXPECT_EQ(Print(*again), text);
}

// ------------------------------------------------------------------ global

TEST(ConfigGlobal, MinimalGetsGobgpdDefaults) {
  Config c = MustLoad(kGlobal);
  EXPECT_EQ(c.global.as, 64512u);
  EXPECT_EQ(c.global.router_id, Ip("192.0.2.1"));
  EXPECT_EQ(c.global.port, 179);
  EXPECT_THAT(c.global.local_address_list, ElementsAre(Ip("0.0.0.0"), Ip("::")));
  EXPECT_EQ(c.global.afi_safis.size(), KnownAfiSafiNames().size());
  EXPECT_TRUE(c.neighbors.empty());
  ExpectRoundTrip(c);
}

TEST(ConfigGlobal, AllSections) {
  Config c = MustLoad(R"(
global:
  config:
    as: 4200000001
    router-id: 10.0.0.1
    port: -1
    local-address-list: [10.0.0.1, "2001:db8::1"]
  route-selection-options:
    config:
      always-compare-med: true
      external-compare-router-id: true
  default-route-distance:
    config: {external-route-distance: 20, internal-route-distance: 200}
  confederation:
    config: {enabled: true, identifier: 65000, member-as-list: [65001, 65002]}
  use-multiple-paths:
    config: {enabled: true}
    ebgp: {config: {allow-multiple-as: true, maximum-paths: 8}}
  graceful-restart:
    config: {enabled: true, restart-time: 120}
  afi-safis:
    - config: {afi-safi-name: ipv4-unicast}
  apply-policy:
    config:
      import-policy-list: [p1]
      default-import-policy: reject-route
      default-export-policy: accept-route
policy-definitions:
  - name: p1
    statements:
      - actions: {route-disposition: accept-route}
)");
  const Global& g = c.global;
  EXPECT_EQ(g.as, 4200000001u);
  EXPECT_EQ(g.port, -1);
  EXPECT_THAT(g.local_address_list, ElementsAre(Ip("10.0.0.1"), Ip("2001:db8::1")));
  EXPECT_TRUE(g.route_selection_options.always_compare_med);
  EXPECT_TRUE(g.route_selection_options.external_compare_router_id);
  EXPECT_FALSE(g.route_selection_options.ignore_as_path_length);
  EXPECT_EQ(g.external_route_distance, 20);
  EXPECT_EQ(g.internal_route_distance, 200);
  EXPECT_THAT(g.confederation.member_as_list, ElementsAre(65001u, 65002u));
  EXPECT_TRUE(g.use_multiple_paths.enabled);
  EXPECT_EQ(g.use_multiple_paths.ebgp_maximum_paths, 8u);
  EXPECT_EQ(g.graceful_restart.restart_time, 120);
  ASSERT_EQ(g.afi_safis.size(), 1u);
  EXPECT_EQ(g.afi_safis[0].afi_safi_name, "ipv4-unicast");
  EXPECT_THAT(g.apply_policy.import_policy_list, ElementsAre("p1"));
  EXPECT_EQ(g.apply_policy.default_import_policy, DefaultPolicy::kRejectRoute);
  EXPECT_EQ(g.apply_policy.default_export_policy, DefaultPolicy::kAcceptRoute);
  ExpectRoundTrip(c);
}

TEST(ConfigGlobal, KeysAreCaseInsensitiveAndValuesWeaklyTyped) {
  // gobgpd (viper) lower-cases keys; mapstructure reads "64512" as a number.
  Config c = MustLoad("Global:\n  Config:\n    AS: \"64512\"\n    Router-ID: 192.0.2.1\n    port: 0\n");
  EXPECT_EQ(c.global.as, 64512u);
  EXPECT_EQ(c.global.port, 179);
}

// ------------------------------------------------------------------ neighbors

TEST(ConfigNeighbor, DefaultsAsGobgpd) {
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65001}
  - config: {neighbor-address: "2001:db8::2", peer-as: 64512}
)"));
  ASSERT_EQ(c.neighbors.size(), 2u);
  const Neighbor& n = c.neighbors[0];
  EXPECT_EQ(n.config.local_as, 64512u);
  EXPECT_EQ(n.config.peer_type, PeerType::kExternal);
  EXPECT_EQ(n.timers.connect_retry, 120);
  EXPECT_EQ(n.timers.hold_time, 90);
  EXPECT_EQ(n.timers.keepalive_interval, 30);
  EXPECT_EQ(n.timers.idle_hold_time_after_reset, 30);
  EXPECT_TRUE(n.treat_as_withdraw);
  EXPECT_EQ(n.transport.local_address, Ip("0.0.0.0"));
  ASSERT_EQ(n.afi_safis.size(), 1u);
  EXPECT_EQ(n.afi_safis[0].afi_safi_name, "ipv4-unicast");
  EXPECT_TRUE(n.afi_safis[0].enabled);
  const Neighbor& v6 = c.neighbors[1];
  EXPECT_EQ(v6.config.peer_type, PeerType::kInternal);
  EXPECT_EQ(v6.transport.local_address, Ip("::"));
  ASSERT_EQ(v6.afi_safis.size(), 1u);
  EXPECT_EQ(v6.afi_safis[0].afi_safi_name, "ipv6-unicast");
  EXPECT_EQ(NeighborKey(v6), "2001:db8::2");
  ExpectRoundTrip(c);
}

TEST(ConfigNeighbor, EverySection) {
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
neighbors:
  - config:
      neighbor-address: 192.0.2.2
      peer-as: 65001
      local-as: 65100
      auth-password: s3cret
      description: upstream
      admin-down: true
      remove-private-as: all
      send-community: both
    timers:
      config: {connect-retry: 5, hold-time: 9, keepalive-interval: 3,
               minimum-advertisement-interval: 1, idle-hold-time-after-reset: 2.5}
    transport:
      config: {passive-mode: true, local-address: 192.0.2.1, remote-port: 1179, ttl: 64}
    ebgp-multihop:
      config: {enabled: true, multihop-ttl: 3}
    route-reflector:
      config: {route-reflector-client: false}
    route-server:
      config: {route-server-client: true}
    add-paths:
      config: {receive: true, send-max: 4}
    as-path-options:
      config: {allow-own-as: 1, replace-peer-as: true}
    graceful-restart:
      config: {enabled: true, notification-enabled: true, long-lived-enabled: true, helper-only: true}
    afi-safis:
      - config: {afi-safi-name: ipv4-unicast}
        prefix-limit: {config: {max-prefixes: 1000, shutdown-threshold-pct: 80}}
        mp-graceful-restart: {config: {enabled: true}}
        long-lived-graceful-restart: {config: {enabled: true, restart-time: 100000}}
      - config: {afi-safi-name: ipv6-unicast, enabled: false}
        add-paths: {config: {send-max: 2}}
    apply-policy:
      config:
        import-policy-list: [p]
        default-import-policy: reject-route
policy-definitions:
  - name: p
    statements: [{name: s, actions: {route-disposition: accept-route}}]
)"));
  ASSERT_EQ(c.neighbors.size(), 1u);
  const Neighbor& n = c.neighbors[0];
  EXPECT_EQ(n.config.local_as, 65100u);
  EXPECT_EQ(n.config.auth_password, "s3cret");
  EXPECT_EQ(n.config.description, "upstream");
  EXPECT_TRUE(n.config.admin_down);
  EXPECT_EQ(n.config.remove_private_as, RemovePrivateAs::kAll);
  EXPECT_EQ(n.config.send_community, CommunityType::kBoth);
  EXPECT_EQ(n.timers.hold_time, 9);
  EXPECT_EQ(n.timers.keepalive_interval, 3);
  EXPECT_EQ(n.timers.idle_hold_time_after_reset, 2.5);
  EXPECT_TRUE(n.transport.passive_mode);
  EXPECT_EQ(n.transport.local_address, Ip("192.0.2.1"));
  EXPECT_EQ(n.transport.remote_port, 1179);
  EXPECT_EQ(n.transport.ttl, 64);
  EXPECT_EQ(n.ebgp_multihop.multihop_ttl, 3);
  EXPECT_TRUE(n.route_server.route_server_client);
  EXPECT_TRUE(n.as_path_options.replace_peer_as);
  // Graceful restart: restart-time defaults to the hold time, deferral-time to 360.
  EXPECT_EQ(n.graceful_restart.restart_time, 9);
  EXPECT_EQ(n.graceful_restart.deferral_time, 360);
  EXPECT_TRUE(n.graceful_restart.helper_only);
  ASSERT_EQ(n.afi_safis.size(), 2u);
  EXPECT_TRUE(n.afi_safis[0].enabled);
  EXPECT_EQ(n.afi_safis[0].prefix_limit.max_prefixes, 1000u);
  EXPECT_EQ(n.afi_safis[0].prefix_limit.shutdown_threshold_pct, 80);
  EXPECT_TRUE(n.afi_safis[0].mp_graceful_restart);
  EXPECT_EQ(n.afi_safis[0].long_lived_graceful_restart.restart_time, 100000u);
  // add-paths: inherited from the neighbor unless the afi-safi writes its own.
  EXPECT_TRUE(n.afi_safis[0].add_paths.receive);
  EXPECT_EQ(n.afi_safis[0].add_paths.send_max, 4);
  EXPECT_FALSE(n.afi_safis[1].enabled);
  EXPECT_TRUE(n.afi_safis[1].add_paths.receive);
  EXPECT_EQ(n.afi_safis[1].add_paths.send_max, 2);
  EXPECT_EQ(n.apply_policy.default_import_policy, DefaultPolicy::kRejectRoute);
  ExpectRoundTrip(c);
}

TEST(ConfigNeighbor, ExplicitZeroTimersStayZero) {
  // gobgpd applies a timer default only when the key is absent.
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65001}
    timers: {config: {hold-time: 0, connect-retry: 0}}
)"));
  EXPECT_EQ(c.neighbors[0].timers.hold_time, 0);
  EXPECT_EQ(c.neighbors[0].timers.connect_retry, 0);
  EXPECT_EQ(c.neighbors[0].timers.keepalive_interval, 0);
  ExpectRoundTrip(c);
}

TEST(ConfigNeighbor, TtlSecurityAndRouteReflector) {
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65001}
    ttl-security: {config: {enabled: true}}
  - config: {neighbor-address: 192.0.2.3, peer-as: 64512}
    route-reflector:
      config: {route-reflector-client: true, route-reflector-cluster-id: 192.0.2.1}
  - config: {neighbor-address: 192.0.2.4, peer-as: 64512}
    error-handling: {config: {treat-as-withdraw: false}}
)"));
  EXPECT_TRUE(c.neighbors[0].ttl_security.enabled);
  EXPECT_EQ(c.neighbors[0].ttl_security.ttl_min, 255);
  EXPECT_TRUE(c.neighbors[1].route_reflector.route_reflector_client);
  EXPECT_EQ(c.neighbors[1].route_reflector.route_reflector_cluster_id, "192.0.2.1");
  EXPECT_FALSE(c.neighbors[2].treat_as_withdraw);
  ExpectRoundTrip(c);
}

TEST(ConfigNeighbor, BoolSpellingsGobgpdAccepts) {
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65001, admin-down: yes}
    transport: {config: {passive-mode: 1}}
    route-server: {config: {route-server-client: "true"}}
)"));
  EXPECT_TRUE(c.neighbors[0].config.admin_down);
  EXPECT_TRUE(c.neighbors[0].transport.passive_mode);
  EXPECT_TRUE(c.neighbors[0].route_server.route_server_client);
}

// ------------------------------------------------------------------ peer groups

TEST(ConfigPeerGroup, MembersInheritWhatTheyDoNotWrite) {
  Config c = MustLoad(absl::StrCat(kGlobal, R"(
peer-groups:
  - config: {peer-group-name: rr-clients, peer-as: 64512, auth-password: pw}
    timers: {config: {hold-time: 30}}
    transport: {config: {passive-mode: true}}
    route-reflector: {config: {route-reflector-client: true}}
    afi-safis:
      - config: {afi-safi-name: ipv4-unicast}
      - config: {afi-safi-name: ipv6-unicast}
neighbors:
  - config: {neighbor-address: 192.0.2.10, peer-group: rr-clients}
  - config: {neighbor-address: 192.0.2.11, peer-group: rr-clients, peer-as: 65999}
    timers: {config: {hold-time: 99}}
    transport: {config: {passive-mode: false}}
dynamic-neighbors:
  - config: {prefix: 192.0.2.128/25, peer-group: rr-clients}
)"));
  ASSERT_EQ(c.neighbors.size(), 2u);
  const Neighbor& a = c.neighbors[0];
  EXPECT_EQ(a.config.peer_as, 64512u);
  EXPECT_EQ(a.config.peer_type, PeerType::kInternal);
  EXPECT_EQ(a.config.auth_password, "pw");
  EXPECT_EQ(a.timers.hold_time, 30);
  EXPECT_EQ(a.timers.keepalive_interval, 10);
  EXPECT_TRUE(a.transport.passive_mode);
  EXPECT_TRUE(a.route_reflector.route_reflector_client);
  ASSERT_EQ(a.afi_safis.size(), 2u);
  EXPECT_TRUE(a.afi_safis[1].enabled);
  EXPECT_TRUE(a.treat_as_withdraw);
  const Neighbor& b = c.neighbors[1];
  EXPECT_EQ(b.config.peer_as, 64512u);  // gobgpd: the group's peer-as always wins
  EXPECT_EQ(b.timers.hold_time, 99);
  EXPECT_FALSE(b.transport.passive_mode);
  ASSERT_EQ(c.dynamic_neighbors.size(), 1u);
  EXPECT_EQ(c.dynamic_neighbors[0].prefix.ToString(), "192.0.2.128/25");
  ExpectRoundTrip(c);
}

// ------------------------------------------------------------------ defined sets, policy

constexpr absl::string_view kPolicyYaml = R"(
defined-sets:
  prefix-sets:
    - prefix-set-name: ps0
      prefix-list:
        - ip-prefix: 10.0.0.0/8
          masklength-range: 21..24
        - ip-prefix: 2001:db8::/32
  neighbor-sets:
    - neighbor-set-name: ns0
      neighbor-info-list: [192.168.10.2, 172.13.0.0/24]
  bgp-defined-sets:
    community-sets:
      - community-set-name: cs0
        community-list: ["100:100"]
    ext-community-sets:
      - ext-community-set-name: es0
        ext-community-list: ["rt:100:100", "soo:200:200"]
    as-path-sets:
      - as-path-set-name: as0
        as-path-list: ["^100", "200$"]
    large-community-sets:
      - large-community-set-name: ls0
        large-community-list: ["100:100:100"]
policy-definitions:
  - name: policy1
    statements:
      - name: s1
        conditions:
          match-prefix-set: {prefix-set: ps0, match-set-options: any}
          match-neighbor-set: {neighbor-set: ns0, match-set-options: invert}
          bgp-conditions:
            match-community-set: {community-set: cs0, match-set-options: all}
            match-ext-community-set: {ext-community-set: es0}
            match-as-path-set: {as-path-set: as0}
            match-large-community-set: {large-community-set: ls0, match-set-options: all}
            as-path-length: {operator: ge, value: 3}
            community-count: {operator: attribute-le, value: 2}
            route-type: external
            next-hop-in-list: [10.0.100.1/32]
            afi-safi-in-list: [ipv4-unicast]
            rpki-validation-result: valid
            med-eq: 5
            origin-eq: igp
        actions:
          route-disposition: accept-route
          bgp-actions:
            set-as-path-prepend: {as: last-as, repeat-n: 5}
            set-med: "+10"
            set-local-pref: 200
            set-next-hop: self
            set-route-origin: incomplete
            set-community:
              options: add
              set-community-method: {communities-list: ["100:200"]}
            set-ext-community:
              options: replace
              set-ext-community-method: {communities-list: ["rt:300:400"]}
            set-large-community:
              options: remove
              set-large-community-method: {communities-list: ["^200:"]}
      - conditions:
          bgp-conditions: {route-type: local}
        actions:
          bgp-actions:
            set-as-path-prepend: {as: "65005", repeat-n: 2}
            set-next-hop: 2001:DB8::1
            set-med: "100"
)";

TEST(ConfigPolicy, DefinedSetsAndStatements) {
  Config c = MustLoad(absl::StrCat(kGlobal, kPolicyYaml));
  const DefinedSets& ds = c.defined_sets;
  ASSERT_EQ(ds.prefix_sets.size(), 1u);
  ASSERT_EQ(ds.prefix_sets[0].prefix_list.size(), 2u);
  EXPECT_EQ(ds.prefix_sets[0].prefix_list[0].masklength_min, 21);
  EXPECT_EQ(ds.prefix_sets[0].prefix_list[0].masklength_max, 24);
  EXPECT_EQ(ds.prefix_sets[0].prefix_list[1].masklength_min, 32);
  EXPECT_EQ(ds.neighbor_sets[0].neighbor_info_list[0].ToString(), "192.168.10.2/32");
  EXPECT_THAT(ds.community_sets[0].list, ElementsAre("100:100"));
  EXPECT_THAT(ds.ext_community_sets[0].list, ElementsAre("rt:100:100", "soo:200:200"));
  EXPECT_THAT(ds.as_path_sets[0].list, ElementsAre("^100", "200$"));
  EXPECT_THAT(ds.large_community_sets[0].list, ElementsAre("100:100:100"));

  ASSERT_EQ(c.policy_definitions.size(), 1u);
  const PolicyDefinition& p = c.policy_definitions[0];
  ASSERT_EQ(p.statements.size(), 2u);
  const Statement& s = p.statements[0];
  EXPECT_EQ(s.conditions.match_prefix_set.set_name, "ps0");
  EXPECT_EQ(s.conditions.match_neighbor_set.match_set_options, MatchSetOptions::kInvert);
  EXPECT_EQ(s.conditions.match_community_set.match_set_options, MatchSetOptions::kAll);
  EXPECT_EQ(s.conditions.as_path_length.op, Comparison::kGe);
  EXPECT_EQ(s.conditions.as_path_length.value, 3u);
  EXPECT_EQ(s.conditions.community_count.op, Comparison::kLe);
  EXPECT_EQ(s.conditions.route_type, RouteType::kExternal);
  EXPECT_EQ(s.conditions.rpki_validation_result, RpkiValidationResult::kValid);
  EXPECT_EQ(s.conditions.origin_eq, Origin::kIgp);
  EXPECT_EQ(s.actions.route_disposition, RouteDisposition::kAcceptRoute);
  EXPECT_TRUE(s.actions.prepend_last_as);
  EXPECT_EQ(s.actions.prepend_repeat_n, 5);
  EXPECT_EQ(s.actions.set_med, "+10");
  EXPECT_EQ(s.actions.set_local_pref, 200u);
  EXPECT_EQ(s.actions.set_next_hop, "self");
  EXPECT_EQ(s.actions.set_community.options, SetCommunityOption::kAdd);
  EXPECT_THAT(s.actions.set_community.communities_list, ElementsAre("100:200"));
  EXPECT_EQ(s.actions.set_ext_community.options, SetCommunityOption::kReplace);
  EXPECT_EQ(s.actions.set_large_community.options, SetCommunityOption::kRemove);
  // Unnamed statements get gobgpd's name; no disposition is "none".
  const Statement& s2 = p.statements[1];
  EXPECT_EQ(s2.name, "policy1_stmt1");
  EXPECT_EQ(s2.actions.route_disposition, RouteDisposition::kNone);
  EXPECT_EQ(s2.actions.prepend_as, 65005u);
  EXPECT_EQ(s2.actions.set_next_hop, "2001:db8::1");
  ExpectRoundTrip(c);
}

// ------------------------------------------------------------------ errors

struct BadInput {
  const char* name;
  std::string yaml;
  const char* want;  // a substring of the error: "t.yaml:LINE: key.path: ..."
};

std::string WithGlobal(absl::string_view rest) { return absl::StrCat(kGlobal, rest); }
std::string OneNeighbor(absl::string_view extra) {
  return WithGlobal(absl::StrCat(
      "neighbors:\n  - config:\n      neighbor-address: 192.0.2.2\n      peer-as: 65001\n",
      extra));
}

class ConfigErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(ConfigErrorTest, NamesFileLineAndKey) {
  const BadInput& in = GetParam();
  absl::StatusOr<Config> c = LoadString(in.yaml, "t.yaml");
  ASSERT_FALSE(c.ok()) << in.yaml;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(in.want)) << in.yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ConfigErrorTest,
    ::testing::Values(
        BadInput{"PeerAsNotNumber",
                 WithGlobal("neighbors:\n  - config:\n      neighbor-address: 192.0.2.2\n"
                            "      peer-as: abc\n"),
                 "t.yaml:8: neighbors[0].config.peer-as: \"abc\" is not an AS number"},
        BadInput{"AsTooBig", "global:\n  config:\n    as: 4294967296\n    router-id: 1.1.1.1\n",
                 "t.yaml:3: global.config.as: \"4294967296\" is not an AS number"},
        BadInput{"AsZero", "global:\n  config:\n    as: 0\n    router-id: 1.1.1.1\n",
                 "t.yaml:3: global.config.as: is required"},
        BadInput{"NoGlobal", "neighbors: []\n", "t.yaml: global.config.as: is required"},
        BadInput{"RouterIdV6", "global:\n  config:\n    as: 1\n    router-id: \"::1\"\n",
                 "t.yaml:4: global.config.router-id: \"::1\" is not an IPv4 address"},
        BadInput{"UnknownTopLevel", WithGlobal("neighbours: []\n"),
                 "t.yaml:5: neighbours: unknown key"},
        BadInput{"CamelCase",
                 "global:\n  config:\n    as: 1\n    routerId: 1.1.1.1\n",
                 "t.yaml:4: global.config.routerId: unknown key; gobgpd spells it \"router-id\""},
        BadInput{"BadNeighborIp",
                 WithGlobal("neighbors:\n  - config:\n      neighbor-address: 10.0.0.300\n"
                            "      peer-as: 2\n"),
                 "t.yaml:7: neighbors[0].config.neighbor-address: \"10.0.0.300\" is not an IP "
                 "address"},
        BadInput{"NoNeighborAddress", WithGlobal("neighbors:\n  - config:\n      peer-as: 2\n"),
                 "t.yaml:6: neighbors[0].config: neighbor-address or neighbor-interface is "
                 "required"},
        BadInput{"PeerAsMissing",
                 WithGlobal("neighbors:\n  - config:\n      neighbor-address: 10.0.0.1\n"),
                 "t.yaml:6: neighbors[0].config.peer-as: is required"},
        BadInput{"DuplicateNeighbor",
                 WithGlobal("neighbors:\n"
                            "  - config: {neighbor-address: 10.0.0.1, peer-as: 2}\n"
                            "  - config: {neighbor-address: 10.0.0.1, peer-as: 3}\n"),
                 "t.yaml:7: neighbors[1].config: neighbor 10.0.0.1 is already defined as "
                 "neighbors[0]"},
        BadInput{"HoldTimeTooSmall", OneNeighbor("    timers: {config: {hold-time: 2}}\n"),
                 "t.yaml:9: neighbors[0].timers.config.hold-time: RFC 4271 §4.2"},
        BadInput{"HoldTimeNegative", OneNeighbor("    timers: {config: {hold-time: -5}}\n"),
                 "t.yaml:9: neighbors[0].timers.config.hold-time: \"-5\" is not a number of "
                 "seconds"},
        BadInput{"HoldTimeHuge", OneNeighbor("    timers: {config: {hold-time: 70000}}\n"),
                 "neighbors[0].timers.config.hold-time: \"70000\""},
        BadInput{"KeepaliveOverHold",
                 OneNeighbor("    timers: {config: {hold-time: 9, keepalive-interval: 10}}\n"),
                 "neighbors[0].timers.config.keepalive-interval: is longer than the hold time"},
        BadInput{"TtlOutOfRange",
                 OneNeighbor("    ebgp-multihop:\n      config: {enabled: true, multihop-ttl: "
                             "300}\n"),
                 "t.yaml:10: neighbors[0].ebgp-multihop.config.multihop-ttl: \"300\" is not a "
                 "TTL"},
        BadInput{"MultihopAndGtsm",
                 OneNeighbor("    ebgp-multihop: {config: {enabled: true}}\n"
                             "    ttl-security: {config: {enabled: true}}\n"),
                 "t.yaml:10: neighbors[0].ttl-security.config.enabled: ebgp-multihop and "
                 "ttl-security are mutually exclusive"},
        BadInput{"BadBool", OneNeighbor("    transport: {config: {passive-mode: \"yes\"}}\n"),
                 "t.yaml:9: neighbors[0].transport.config.passive-mode: \"yes\" is not true or "
                 "false"},
        BadInput{"UndefinedPeerGroup",
                 WithGlobal("neighbors:\n  - config:\n      neighbor-address: 10.0.0.1\n"
                            "      peer-group: nope\n"),
                 "t.yaml:8: neighbors[0].config.peer-group: peer group \"nope\" is not defined"},
        BadInput{"UndefinedPolicy",
                 OneNeighbor("    apply-policy:\n      config:\n        import-policy-list: "
                             "[missing]\n"),
                 "t.yaml:11: neighbors[0].apply-policy.config.import-policy-list[0]: policy "
                 "\"missing\" is not defined"},
        BadInput{"UndefinedGlobalPolicy",
                 "global:\n  config: {as: 1, router-id: 1.1.1.1}\n  apply-policy:\n    config:\n"
                 "      export-policy-list: [nope]\n",
                 "t.yaml:5: global.apply-policy.config.export-policy-list[0]: policy \"nope\""},
        BadInput{"BadDefaultPolicy",
                 "global:\n  config: {as: 1, router-id: 1.1.1.1}\n  apply-policy:\n    config:\n"
                 "      default-import-policy: drop\n",
                 "t.yaml:5: global.apply-policy.config.default-import-policy: \"drop\" is not one "
                 "of: accept-route, reject-route"},
        BadInput{"UndefinedPrefixSet",
                 WithGlobal("policy-definitions:\n  - name: p\n    statements:\n"
                            "      - conditions:\n          match-prefix-set: {prefix-set: "
                            "nope}\n"),
                 "t.yaml:9: policy-definitions[0].statements[0].conditions.match-prefix-set."
                 "prefix-set: prefix set \"nope\" is not defined"},
        BadInput{"MatchAllOnPrefixSet",
                 WithGlobal("policy-definitions:\n  - name: p\n    statements:\n"
                            "      - conditions:\n          match-prefix-set:\n"
                            "            prefix-set: x\n            match-set-options: all\n"),
                 "t.yaml:11: policy-definitions[0].statements[0].conditions.match-prefix-set."
                 "match-set-options: \"all\" is not one of: any, invert"},
        BadInput{"BadMaskRange",
                 WithGlobal("defined-sets:\n  prefix-sets:\n    - prefix-set-name: ps\n"
                            "      prefix-list:\n        - ip-prefix: 10.0.0.0/8\n"
                            "          masklength-range: 24..21\n"),
                 "t.yaml:10: defined-sets.prefix-sets[0].prefix-list[0].masklength-range: "
                 "\"24..21\" is not a range"},
        BadInput{"BadPrefix",
                 WithGlobal("defined-sets:\n  prefix-sets:\n    - prefix-set-name: ps\n"
                            "      prefix-list:\n        - ip-prefix: 10.0.0.0/33\n"),
                 "t.yaml:9: defined-sets.prefix-sets[0].prefix-list[0].ip-prefix: "
                 "\"10.0.0.0/33\" is not a prefix"},
        BadInput{"DuplicatePolicy",
                 WithGlobal("policy-definitions:\n  - name: p\n  - name: p\n"),
                 "t.yaml:7: policy-definitions[1].name: policy \"p\" is defined twice"},
        BadInput{"BadPrependAs",
                 WithGlobal("policy-definitions:\n  - name: p\n    statements:\n"
                            "      - actions:\n          bgp-actions:\n"
                            "            set-as-path-prepend: {as: first-as, repeat-n: 2}\n"),
                 "t.yaml:10: policy-definitions[0].statements[0].actions.bgp-actions."
                 "set-as-path-prepend.as: \"first-as\" is not an AS number or \"last-as\""},
        BadInput{"BadNextHop",
                 WithGlobal("policy-definitions:\n  - name: p\n    statements:\n"
                            "      - actions:\n          bgp-actions:\n"
                            "            set-next-hop: myself\n"),
                 "set-next-hop: \"myself\" is not an IP address, \"self\" or \"unchanged\""},
        BadInput{"BadMed",
                 WithGlobal("policy-definitions:\n  - name: p\n    statements:\n"
                            "      - actions:\n          bgp-actions:\n            set-med: x10\n"),
                 "t.yaml:10: policy-definitions[0].statements[0].actions.bgp-actions.set-med"},
        BadInput{"BadAfiSafi",
                 OneNeighbor("    afi-safis:\n      - config: {afi-safi-name: ipv4-foo}\n"),
                 "t.yaml:10: neighbors[0].afi-safis[0].config.afi-safi-name: \"ipv4-foo\" is "
                 "not an afi-safi name"},
        BadInput{"RemovePrivateAsIbgp",
                 WithGlobal("neighbors:\n  - config: {neighbor-address: 10.0.0.1, peer-as: "
                            "64512, remove-private-as: all}\n"),
                 "t.yaml:6: neighbors[0].config.remove-private-as: can't set remove-private-as "
                 "for an iBGP peer"},
        BadInput{"BadClusterId",
                 WithGlobal("neighbors:\n  - config: {neighbor-address: 10.0.0.1, peer-as: "
                            "64512}\n    route-reflector:\n      config:\n"
                            "        route-reflector-client: true\n"
                            "        route-reflector-cluster-id: foo\n"),
                 "t.yaml:10: neighbors[0].route-reflector.config.route-reflector-cluster-id: "
                 "\"foo\" is not an IPv4 address or a 32-bit number"},
        BadInput{"RepeatedKey",
                 WithGlobal("neighbors:\n  - config:\n      neighbor-address: 10.0.0.1\n"
                            "      peer-as: 2\n      peer-as: 3\n"),
                 "t.yaml:9: neighbors[0].config.peer-as: key is repeated (first on line 8)"},
        BadInput{"YamlSyntax", WithGlobal("neighbors:\n  - config: {neighbor-address: [\n"),
                 "t.yaml:7: YAML:"},
        BadInput{"ListExpected", WithGlobal("neighbors:\n  config: {}\n"),
                 "t.yaml:6: neighbors: expected a list"},
        BadInput{"MapExpected", "global: 5\n", "t.yaml:1: global: expected a mapping"},
        BadInput{"DynamicNeighborNoGroup",
                 WithGlobal("dynamic-neighbors:\n  - config: {prefix: 10.0.0.0/24, peer-group: "
                            "x}\n"),
                 "t.yaml:6: dynamic-neighbors[0].config.peer-group: peer group \"x\" is not "
                 "defined"},
        BadInput{"UnsupportedSection",
                 WithGlobal("zebra:\n  config: {enabled: true}\n"),
                 "t.yaml:6: zebra: this gobgpd setting is not supported by kbgpd yet"},
        BadInput{"CommunityOutOfRange",
                 WithGlobal("defined-sets:\n  bgp-defined-sets:\n    community-sets:\n"
                            "      - community-set-name: c\n        community-list: "
                            "[\"70000:1\"]\n"),
                 "t.yaml:9: defined-sets.bgp-defined-sets.community-sets[0].community-list[0]: "
                 "\"70000:1\" has a value out of range"},
        BadInput{"GrRestartTimeTooBig",
                 OneNeighbor("    graceful-restart:\n      config: {enabled: true, restart-time: "
                             "5000}\n"),
                 "t.yaml:10: neighbors[0].graceful-restart.config.restart-time: \"5000\" is not "
                 "a restart time"},
        BadInput{"PasswordTooLong",
                 OneNeighbor(absl::StrCat("      auth-password: ", std::string(81, 'x'), "\n")),
                 "t.yaml:9: neighbors[0].config.auth-password: is longer than the 80 bytes"}),
    [](const ::testing::TestParamInfo<BadInput>& p) { return std::string(p.param.name); });

TEST(ConfigLoad, OtherFormatsAreNotSupportedYet) {
  absl::StatusOr<Config> c = LoadFile("/nonexistent/gobgpd.toml", "toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("\"toml\" is not supported yet"));
  c = LoadFile("/nonexistent/gobgpd.json", "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("\"json\" is not supported yet"));
  c = LoadFile("/nonexistent/gobgpd.yaml", "yaml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

// ------------------------------------------------------------------ diff

TEST(ConfigDiff, NeighborsAddedRemovedChanged) {
  std::string base = WithGlobal(R"(
neighbors:
  - config: {neighbor-address: 10.0.0.1, peer-as: 65001}
  - config: {neighbor-address: 10.0.0.2, peer-as: 65002}
  - config: {neighbor-address: 10.0.0.3, peer-as: 65003}
  - config: {neighbor-address: 10.0.0.4, peer-as: 65004}
policy-definitions:
  - name: p
    statements: [{actions: {route-disposition: reject-route}}]
)");
  std::string next = WithGlobal(R"(
neighbors:
  - config: {neighbor-address: 10.0.0.1, peer-as: 65001}
  - config: {neighbor-address: 10.0.0.2, peer-as: 65002, description: renamed}
    apply-policy: {config: {import-policy-list: [p]}}
  - config: {neighbor-address: 10.0.0.3, peer-as: 65033}
  - config: {neighbor-address: 10.0.0.5, peer-as: 65005}
policy-definitions:
  - name: p
    statements: [{actions: {route-disposition: reject-route}}]
)");
  Config a = MustLoad(base);
  Config b = MustLoad(next);
  EXPECT_TRUE(Diff(a, a).empty());
  ConfigDiff d = Diff(a, b);
  EXPECT_FALSE(d.global_changed);
  EXPECT_FALSE(d.policies_changed);
  ASSERT_EQ(d.added_neighbors.size(), 1u);
  EXPECT_EQ(NeighborKey(d.added_neighbors[0]), "10.0.0.5");
  ASSERT_EQ(d.removed_neighbors.size(), 1u);
  EXPECT_EQ(NeighborKey(d.removed_neighbors[0]), "10.0.0.4");
  ASSERT_EQ(d.changed_neighbors.size(), 2u);
  EXPECT_EQ(NeighborKey(d.changed_neighbors[0].new_neighbor), "10.0.0.2");
  EXPECT_FALSE(d.changed_neighbors[0].needs_session_reset);  // description + policy only
  EXPECT_EQ(NeighborKey(d.changed_neighbors[1].new_neighbor), "10.0.0.3");
  EXPECT_TRUE(d.changed_neighbors[1].needs_session_reset);
  EXPECT_EQ(d.changed_neighbors[1].old_neighbor.config.peer_as, 65003u);
}

TEST(ConfigDiff, GlobalPolicyAndPeerGroups) {
  Config a = MustLoad(WithGlobal(R"(
peer-groups:
  - config: {peer-group-name: g1, peer-as: 65001}
  - config: {peer-group-name: g2, peer-as: 65002}
neighbors:
  - config: {neighbor-address: 10.0.0.1, peer-group: g1}
defined-sets:
  prefix-sets: [{prefix-set-name: ps, prefix-list: [{ip-prefix: 10.0.0.0/8}]}]
)"));
  Config b = a;
  b.global.route_selection_options.always_compare_med = true;
  b.defined_sets.prefix_sets[0].prefix_list[0].masklength_max = 24;
  b.peer_groups[0].timers.hold_time = 30;
  b.peer_groups.pop_back();
  b.peer_groups.push_back(PeerGroup{.config = {.peer_group_name = "g3"}});
  ConfigDiff d = Diff(a, b);
  EXPECT_TRUE(d.global_changed);
  EXPECT_FALSE(d.global_apply_policy_changed);
  EXPECT_TRUE(d.policies_changed);
  EXPECT_THAT(d.changed_peer_groups, ElementsAre("g1"));
  EXPECT_THAT(d.removed_peer_groups, ElementsAre("g2"));
  EXPECT_THAT(d.added_peer_groups, ElementsAre("g3"));
  EXPECT_TRUE(d.changed_neighbors.empty());  // the loader has already merged groups in

  // Reloading a file whose group changed changes its members.
  Config c = MustLoad(WithGlobal(R"(
peer-groups:
  - config: {peer-group-name: g1, peer-as: 65001}
    timers: {config: {hold-time: 30}}
  - config: {peer-group-name: g2, peer-as: 65002}
neighbors:
  - config: {neighbor-address: 10.0.0.1, peer-group: g1}
defined-sets:
  prefix-sets: [{prefix-set-name: ps, prefix-list: [{ip-prefix: 10.0.0.0/8}]}]
)"));
  ConfigDiff d2 = Diff(a, c);
  ASSERT_EQ(d2.changed_neighbors.size(), 1u);
  EXPECT_TRUE(d2.changed_neighbors[0].needs_session_reset);
  EXPECT_THAT(d2.changed_peer_groups, ElementsAre("g1"));
}

}  // namespace
}  // namespace kbgp::config
