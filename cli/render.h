// kbgp's renderers: GoBGP 3.10's `gobgp` tables and JSON, from the API's messages.
//
// Every function here is pure (no I/O, no clock: `now` is passed in) so the golden tests in
// cli/render_test.cc pin each format. Texts follow cmd/gobgp of GoBGP 3.10 (neighbor.go,
// global.go, policy.go, monitor.go): column widths, padding and the Attrs column are those of
// Go's fmt on GoBGP's attribute String() methods; JSON is that of encoding/json on GoBGP's types
// (see gojson.h).
#ifndef KBGP_CLI_RENDER_H_
#define KBGP_CLI_RENDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "api/attribute.pb.h"
#include "api/gobgp.pb.h"

namespace kbgp::cli {

// "00:01:02" or "3d 04:05:06": GoBGP's formatTimedelta of now - t (seconds since the epoch).
std::string FormatTimedelta(int64_t now, int64_t t);

// One path, decoded the way GoBGP's CLI decodes it (apiutil.GetNativePathAttributes).
struct PathText {
  std::string nlri;        // "10.0.0.0/24"
  std::string next_hop;    // first NEXT_HOP or MP_REACH next hop, else "fictitious"
  std::string as_path;     // "65001 65002 {1,2}"
  std::string attrs;       // the Attrs column: "[{Origin: i} {Med: 10}]"
  std::string attrs_json;  // "[{...},{...}]", filled only when asked
};
// Returns false (and sets *error) when an attribute or the NLRI cannot be decoded.
bool DecodePath(const apipb::Path& path, bool want_json, PathText* out, std::string* error);
// The same in two halves: the NLRI alone, and the attributes alone (next_hop, as_path, attrs,
// attrs_json), so a caller can reuse the second for paths with the same attributes.
bool DecodeNlri(const google::protobuf::Any& nlri, std::string* out);
bool DecodeAttrs(const google::protobuf::RepeatedPtrField<google::protobuf::Any>& pattrs,
                 bool want_json, PathText* out, std::string* error);

// The route table of `gobgp global rib` / `neighbor ADDR adj-in|adj-out|local`.
struct RouteTableOptions {
  bool show_age = true;
  bool show_best = false;  // the "*>" / "* " markers (global, local)
  enum class Id { kNone, kReceive, kSend } show_id = Id::kNone;  // adj-in, adj-out
};
// The rows of a route table, kept compact (one text buffer and offsets: a 1M-route table
// is about 100 bytes a row), rendered with GoBGP's widths.
class RouteTable {
 public:
  explicit RouteTable(const RouteTableOptions& o) : o_(o) {}
  // A row for `path`; `text` holds its decoded NLRI, next hop, AS path and Attrs column.
  void Add(const apipb::Path& path, const PathText& text, int64_t now);
  size_t size() const { return rows_.size(); }
  // Puts the rows in the order of `order` (a permutation of 0..size()-1).
  void Reorder(const std::vector<uint32_t>& order);
  // Appends the table: header and one line per row, widths as GoBGP's (20 at least, else
  // the longest value). With no rows it is the header only; GoBGP prints "Network not in
  // table" instead of a table then, which the caller does.
  void Render(std::string* out) const;

 private:
  enum Field { kMarker, kId, kNetwork, kNextHop, kAsPath, kAge, kAttrs, kFields };
  struct Row {
    uint64_t offset;
    uint32_t len[kFields];
  };
  absl::string_view Get(const Row& r, int f) const;
  RouteTableOptions o_;
  std::string text_;
  std::vector<Row> rows_;
  size_t width_[kFields] = {};
  int64_t last_age_ = 0;
  std::string last_age_text_;
};

// `-j` of a route listing: {"PREFIX":[path,...],...} with keys sorted.
struct JsonDestination {
  std::string prefix;
  std::string paths_json;  // "[...]"
};
void AppendPathJson(const apipb::Path& path, const PathText& text, std::string* out);
void RenderDestinationsJson(std::vector<JsonDestination>& dsts, std::string* out);

// `gobgp global`.
void RenderGlobal(const apipb::Global& g, std::string* out);
// `gobgp neighbor`: peers sorted as GoBGP sorts them (IPv4 first, then by address bits).
void RenderNeighbors(std::vector<apipb::Peer> peers, absl::string_view family, int64_t now,
                     bool quiet, std::string* out);
// `gobgp neighbor ADDR`.
void RenderNeighbor(const apipb::Peer& p, absl::string_view family, int64_t now, std::string* out);
// "ipv4-unicast" etc. (GoBGP's RouteFamily names); family "" means all in the counters.
std::string FamilyName(const apipb::Family& f);
// `gobgp global rib summary`.
void RenderTableSummary(const apipb::Family& f, uint64_t destinations, uint64_t paths,
                        std::string* out);
// `gobgp policy prefix|neighbor|...` (typ: "PREFIX", "ADDRESS", "AS-PATH", "COMMUNITY",
// "EXT-COMMUNITY", "LARGE-COMMUNITY").
void RenderDefinedSets(const std::vector<apipb::DefinedSet>& sets, absl::string_view typ,
                       std::string* out);
void RenderStatement(int indent, const apipb::Statement& s, std::string* out);
void RenderPolicy(int indent, const apipb::Policy& p, std::string* out);
// `gobgp global policy import` (indent 0) or one half of `gobgp global policy` (indent 4).
void RenderAssignment(absl::string_view direction, int indent, const apipb::PolicyAssignment& a,
                      std::string* out);
// One line of `gobgp monitor global rib` (time: RFC 3339, UTC).
void RenderMonitorPath(absl::string_view time, bool withdraw, const PathText& text,
                       std::string* out);

}  // namespace kbgp::cli

#endif  // KBGP_CLI_RENDER_H_
