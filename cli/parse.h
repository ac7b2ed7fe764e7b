// kbgp's argument parsers: GoBGP's `gobgp` grammar turned into API requests. Pure functions,
// unit-tested in cli/parse_test.cc.
#ifndef KBGP_CLI_PARSE_H_
#define KBGP_CLI_PARSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/gobgp.pb.h"

namespace kbgp::cli {

// "-a" values: ipv4|v4|4, ipv6|v6|6 (the unicast families kbgp lists). Errors for others.
absl::StatusOr<apipb::Family> ParseFamily(absl::string_view name, const apipb::Family& def);

// A prefix "10.0.0.0/24" (host bits allowed, as Go's ParseCIDR allows them): the network
// address as Go prints it and the length. `family_v6` says which family it must be.
struct ParsedPrefix {
  std::string address;  // network address, canonical text
  uint32_t length = 0;
  bool v6 = false;
};
absl::StatusOr<ParsedPrefix> ParsePrefix(absl::string_view s);
// An address or a prefix, as GoBGP's parseCIDRorIP accepts for route lookups.
bool IsPrefixOrAddress(absl::string_view s);

// A community: "65000:1", a 32-bit number, or a well-known name ("no-export").
absl::StatusOr<uint32_t> ParseCommunity(absl::string_view s);

// `global rib add|del PREFIX [identifier N] [origin ..] [aspath ..] [nexthop ..] [med ..]
// [local-pref ..] [community ..] [large-community ..] [aggregator ..] [rt ...]` into a Path
// whose attributes are in type order (as GoBGP's parsePath sorts them).
absl::StatusOr<apipb::Path> ParsePath(const apipb::Family& family, std::vector<std::string> args);

// `neighbor add|del ADDR as N [local-as N] [family LIST] [route-reflector-client [ID]]
// [route-server-client] [allow-own-as N] [remove-private-as all|replace] [replace-peer-as]
// [ebgp-multihop-ttl N] [vrf NAME]` (cmd "add" or "del").
absl::StatusOr<apipb::Peer> ParseNeighbor(absl::string_view cmd,
                                          const std::vector<std::string>& args);

// `policy TYPE add|del NAME [ITEMS...]` for TYPE prefix, neighbor, as-path, community,
// ext-community, large-community.
absl::StatusOr<apipb::DefinedSet> ParseDefinedSet(absl::string_view type,
                                                  const std::vector<std::string>& args);

// `policy statement NAME add|del condition ...` / `... action ...`.
absl::StatusOr<apipb::Statement> ParseCondition(absl::string_view name, absl::string_view op,
                                                std::vector<std::string> args);
absl::StatusOr<apipb::Statement> ParseAction(absl::string_view name, absl::string_view op,
                                             std::vector<std::string> args);

}  // namespace kbgp::cli

#endif  // KBGP_CLI_PARSE_H_
