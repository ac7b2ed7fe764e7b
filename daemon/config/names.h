// Private to config/: the YAML spellings of the config enums, indexed by enum value.
// They are gobgpd's strings (internal/pkg/config/bgp_configs.go).
#ifndef KBGP_DAEMON_CONFIG_NAMES_H_
#define KBGP_DAEMON_CONFIG_NAMES_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace kbgp::config::internal {

inline const std::vector<absl::string_view> kDefaultPolicyNames = {"", "accept-route",
                                                                   "reject-route"};
// gobgpd also spells "no disposition" as "none".
inline const std::vector<absl::string_view> kRouteDispositionNames = {"none", "accept-route",
                                                                      "reject-route"};
inline const std::vector<absl::string_view> kMatchSetOptionsNames = {"any", "all", "invert"};
// "attribute-eq" etc. are accepted as synonyms by the loader; printed as "eq".
inline const std::vector<absl::string_view> kComparisonNames = {"", "eq", "ge", "le"};
inline const std::vector<absl::string_view> kRouteTypeNames = {"none", "internal", "external",
                                                               "local"};
inline const std::vector<absl::string_view> kRpkiNames = {"none", "not-found", "valid",
                                                          "invalid"};
inline const std::vector<absl::string_view> kSetCommunityOptionNames = {"", "add", "remove",
                                                                        "replace"};
inline const std::vector<absl::string_view> kRemovePrivateAsNames = {"", "all", "replace"};
inline const std::vector<absl::string_view> kCommunityTypeNames = {"", "standard", "extended",
                                                                   "both", "none"};
inline const std::vector<absl::string_view> kPeerTypeNames = {"", "internal", "external"};
inline const std::vector<absl::string_view> kOriginNames = {"", "igp", "egp", "incomplete"};

}  // namespace kbgp::config::internal

#endif  // KBGP_DAEMON_CONFIG_NAMES_H_
