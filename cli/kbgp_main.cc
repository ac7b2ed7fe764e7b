// kbgp: the CLI. GoBGP's `gobgp` grammar and output, against any GoBGP-API daemon (kbgpd or
// gobgpd). See cli/README.md.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/attribute.pb.h"
#include "api/gobgp.grpc.pb.h"
#include "api/kbgp.grpc.pb.h"
#include "cli/completion.h"
#include "cli/gojson.h"
#include "cli/parse.h"
#include "cli/render.h"
#include "daemon/api_server/convert.h"
#include "daemon/mrt/mrt.h"

namespace kbgp::cli {
namespace {

struct Flags {
  std::string host = "127.0.0.1";
  int port = 50051;
  std::string target;
  bool json = false;
  bool quiet = false;
  bool tls = false;
  std::string ca_file;
  std::string family;  // -a
  bool current = false;
  std::string reason;
  // mrt inject
  int64_t mrt_count = 0, mrt_skip = 0;
  int64_t batch = 16;
  bool only_best = false, no_v4 = false, no_v6 = false;
  std::string mrt_nexthop;
};

Flags g;
std::string out;  // stdout buffer; written in large blocks

void Flush() {
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::write(1, out.data() + off, out.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  out.clear();
}

// Errors as GoBGP prints them (to stdout, "{"error":..}" with -j), exit status 1.
[[noreturn]] void Fail(const std::string& msg) {
  if (g.json) {
    out.append("{\"error\":");
    AppendJsonString(msg, &out);
    out.append("}\n");
  } else {
    absl::StrAppend(&out, msg, "\n");
  }
  Flush();
  std::exit(1);
}
// kbgp's own usage errors (unknown command, bad prefix, unreachable daemon): one line on stderr
// that says what to do.
[[noreturn]] void Usage(const std::string& msg) {
  Flush();
  std::fprintf(stderr, "kbgp: %s\n", msg.c_str());
  std::exit(2);
}

const char* GoCode(grpc::StatusCode c) {
  switch (c) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "Canceled";
    case grpc::UNKNOWN:
      return "Unknown";
    case grpc::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::NOT_FOUND:
      return "NotFound";
    case grpc::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::ABORTED:
      return "Aborted";
    case grpc::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::INTERNAL:
      return "Internal";
    case grpc::UNAVAILABLE:
      return "Unavailable";
    case grpc::DATA_LOSS:
      return "DataLoss";
    case grpc::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

std::string TargetName() {
  if (!g.target.empty()) return g.target;
  if (g.host.find(':') != std::string::npos) return absl::StrCat("[", g.host, "]:", g.port);
  return absl::StrCat(g.host, ":", g.port);
}

void Check(const grpc::Status& s) {
  if (s.ok()) return;
  if (s.error_code() == grpc::UNAVAILABLE) {
    Usage(absl::StrCat("cannot reach the BGP daemon at ", TargetName(), " (", s.error_message(),
                       "): start kbgpd or gobgpd, or point kbgp at it with -u HOST -p PORT "
                       "or --target unix:///PATH"));
  }
  Fail(absl::StrCat("rpc error: code = ", GoCode(s.error_code()), " desc = ", s.error_message()));
}

std::unique_ptr<apipb::GobgpApi::Stub> stub;
// kbgpd's own additions (api/kbgp.proto); gobgpd answers UNIMPLEMENTED.
std::unique_ptr<kbgp::KbgpApi::Stub> kbgp_stub;

void Connect() {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (g.tls) {
    grpc::SslCredentialsOptions o;
    if (!g.ca_file.empty()) {
      std::ifstream f(g.ca_file);
      if (!f)
        Usage(absl::StrCat("cannot read the CA file ", g.ca_file, ": give --tls-ca-file PATH"));
      std::stringstream ss;
      ss << f.rdbuf();
      o.pem_root_certs = ss.str();
    }
    creds = grpc::SslCredentials(o);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  std::string target = TargetName();
  if (!g.target.empty() && !absl::StartsWith(g.target, "unix:")) target = g.target;
  auto channel = grpc::CreateCustomChannel(target, creds, args);
  // As gobgp (grpc.WithBlock, 1 s): fail early and clearly when nothing listens.
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(2))) {
    Usage(absl::StrCat("cannot reach the BGP daemon at ", TargetName(),
                       ": start kbgpd or gobgpd, or point kbgp at it with -u HOST -p PORT or "
                       "--target unix:///PATH"));
  }
  stub = apipb::GobgpApi::NewStub(channel);
  kbgp_stub = kbgp::KbgpApi::NewStub(channel);
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

apipb::Family V4() {
  apipb::Family f;
  f.set_afi(apipb::Family::AFI_IP);
  f.set_safi(apipb::Family::SAFI_UNICAST);
  return f;
}

apipb::Family FamilyOr(const apipb::Family& def) {
  absl::StatusOr<apipb::Family> f = ParseFamily(g.family, def);
  if (!f.ok()) Fail(std::string(f.status().message()));
  return *f;
}

// ---- neighbors

std::vector<apipb::Peer> GetNeighbors(const std::string& address, bool adv) {
  grpc::ClientContext ctx;
  apipb::ListPeerRequest req;
  req.set_address(address);
  req.set_enableadvertised(adv);
  auto reader = stub->ListPeer(&ctx, req);
  std::vector<apipb::Peer> l;
  apipb::ListPeerResponse r;
  while (reader->Read(&r)) l.push_back(r.peer());
  Check(reader->Finish());
  if (!address.empty() && l.empty()) Fail(absl::StrCat("not found neighbor ", address));
  return l;
}

void ShowNeighbors() {
  std::vector<apipb::Peer> l = GetNeighbors("", false);
  if (g.json) {
    out.push_back('[');
    for (size_t i = 0; i < l.size(); ++i) {
      if (i) out.push_back(',');
      AppendGoJson(l[i], &out);
    }
    out.append("]\n");
    return;
  }
  RenderNeighbors(std::move(l), g.family.empty() ? "" : FamilyName(FamilyOr(V4())), Now(), g.quiet,
                  &out);
}

void ShowNeighbor(const std::string& addr) {
  std::vector<apipb::Peer> l = GetNeighbors(addr, true);
  if (g.json) {
    AppendGoJson(l[0], &out);
    out.push_back('\n');
    return;
  }
  RenderNeighbor(l[0], g.family.empty() ? "" : FamilyName(FamilyOr(V4())), Now(), &out);
}

// ---- RIB listings

struct SortKey {
  unsigned char addr[16];
  uint8_t len;
};

void ShowRib(const std::string& resource, const std::string& name, std::vector<std::string> args) {
  RouteTableOptions o;
  apipb::Family def;
  apipb::TableType t = apipb::GLOBAL;
  if (resource == "global") {
    def = V4();
    o.show_best = true;
  } else {
    def.set_afi(name.find(':') != std::string::npos ? apipb::Family::AFI_IP6
                                                    : apipb::Family::AFI_IP);
    def.set_safi(apipb::Family::SAFI_UNICAST);
    if (resource == "local") {
      t = apipb::LOCAL;
      o.show_best = true;
    } else if (resource == "adj-in") {
      t = apipb::ADJ_IN;
      o.show_id = RouteTableOptions::Id::kReceive;
    } else {
      t = apipb::ADJ_OUT;
      o.show_age = false;
      o.show_id = RouteTableOptions::Id::kSend;
    }
  }
  apipb::Family family = FamilyOr(def);
  apipb::ListPathRequest req;
  req.set_table_type(t);
  *req.mutable_family() = family;
  req.set_name(name);
  req.set_sort_type(apipb::ListPathRequest::PREFIX);
  if (!args.empty()) {
    const std::string& target = args[0];
    if (!IsPrefixOrAddress(target)) {
      Usage(absl::StrCat("bad prefix or address \"", target,
                         "\": give one like 10.0.0.0/24, 10.0.0.1 or 2001:db8::/32"));
    }
    apipb::TableLookupPrefix* p = req.add_prefixes();
    p->set_prefix(target);
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "longer-prefixes") {
        p->set_type(apipb::TableLookupPrefix::LONGER);
      } else if (args[i] == "shorter-prefixes") {
        p->set_type(apipb::TableLookupPrefix::SHORTER);
      } else {
        Fail("invalid format for route filtering");
      }
    }
  }
  int64_t now = Now();
  RouteTable table(o);
  std::vector<SortKey> keys;  // one per row
  std::vector<JsonDestination> jdsts;
  // Paths with the same attributes (most of a big table: attribute sets are shared) are
  // decoded once; the key is the attributes' bytes as they came.
  absl::flat_hash_map<std::string, PathText> cache;
  std::string key;
  PathText text;
  std::string err;
  size_t ndst = 0;
  bool sorted = true;
  SortKey last{};
  auto decode = [&](const apipb::Path& p, bool json) -> const PathText& {
    key.clear();
    for (const auto& a : p.pattrs()) {
      absl::StrAppend(&key, a.type_url().size(), ":", a.type_url(), a.value().size(), ":",
                      a.value());
    }
    auto it = cache.find(key);
    if (it == cache.end()) {
      if (cache.size() > 100000) cache.clear();
      if (!DecodeAttrs(p.pattrs(), json, &text, &err)) Fail(err);
      it = cache.emplace(key, std::move(text)).first;  // DecodeAttrs refills every field
    }
    PathText& cached = it->second;
    if (!DecodeNlri(p.nlri(), &cached.nlri)) Fail("cannot decode the NLRI " + p.nlri().type_url());
    return cached;
  };
  auto add = [&](const apipb::Destination& d) {
    ++ndst;
    if (g.json) {
      JsonDestination jd;
      jd.prefix = d.prefix();
      jd.paths_json.push_back('[');
      for (int i = 0; i < d.paths_size(); ++i) {
        const PathText& pt = decode(d.paths(i), true);
        if (i) jd.paths_json.push_back(',');
        AppendPathJson(d.paths(i), pt, &jd.paths_json);
      }
      jd.paths_json.push_back(']');
      jdsts.push_back(std::move(jd));
      return;
    }
    SortKey k{};
    {
      const std::string& pfx = d.prefix();
      size_t slash = pfx.find('/');
      char buf[64];
      size_t n = std::min(slash == std::string::npos ? pfx.size() : slash, sizeof(buf) - 1);
      std::memcpy(buf, pfx.data(), n);
      buf[n] = 0;
      if (inet_pton(AF_INET, buf, k.addr) != 1) inet_pton(AF_INET6, buf, k.addr);
    }
    if (ndst > 1 && std::memcmp(k.addr, last.addr, 16) < 0) sorted = false;
    last = k;
    for (const apipb::Path& p : d.paths()) {
      table.Add(p, decode(p, false), now);
      keys.push_back(k);
    }
  };
  // kbgpd's ListPathBatched sends the destinations ListPath sends, thousands per message, which
  // saves gRPC's per-message cost on a big table; a daemon without it (gobgpd) answers
  // UNIMPLEMENTED before sending anything, and the listing goes through ListPath.
  bool listed = false;
  {
    grpc::ClientContext ctx;
    auto reader = kbgp_stub->ListPathBatched(&ctx, req);
    kbgp::ListPathBatchedResponse batch;
    bool any = false;
    while (reader->Read(&batch)) {
      any = true;
      for (const apipb::Destination& d : batch.destinations()) add(d);
    }
    grpc::Status st = reader->Finish();
    if (any || st.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      Check(st);
      listed = true;
    }
  }
  if (!listed) {
    grpc::ClientContext ctx;
    auto reader = stub->ListPath(&ctx, req);
    apipb::ListPathResponse r;
    while (reader->Read(&r)) add(r.destination());
    Check(reader->Finish());
  }
  if (ndst == 0 && resource != "global") {
    std::vector<apipb::Peer> l = GetNeighbors(name, false);
    if (l[0].state().session_state() != apipb::PeerState::ESTABLISHED) {
      Fail(absl::StrCat("neighbor ", name, "'s BGP session is not established"));
    }
  }
  if (g.json) {
    RenderDestinationsJson(jdsts, &out);
    return;
  }
  if (table.size() == 0) {
    out.append("Network not in table\n");
    return;
  }
  if (!sorted) {  // GoBGP sorts by the prefix's address bytes
    std::vector<uint32_t> idx(table.size());
    for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {
      return std::memcmp(keys[a].addr, keys[b].addr, 16) < 0;
    });
    table.Reorder(idx);
  }
  table.Render(&out);
}

void ShowRibSummary(const std::string& resource, const std::string& name) {
  apipb::Family def = V4();
  if (resource != "global" && name.find(':') != std::string::npos) {
    def.set_afi(apipb::Family::AFI_IP6);
  }
  apipb::Family family = FamilyOr(def);
  apipb::GetTableRequest req;
  req.set_table_type(resource == "global"   ? apipb::GLOBAL
                     : resource == "local"  ? apipb::LOCAL
                     : resource == "adj-in" ? apipb::ADJ_IN
                                            : apipb::ADJ_OUT);
  *req.mutable_family() = family;
  req.set_name(name);
  grpc::ClientContext ctx;
  apipb::GetTableResponse rsp;
  Check(stub->GetTable(&ctx, req, &rsp));
  if (g.json) {
    AppendGoJson(rsp, &out);
    out.push_back('\n');
    return;
  }
  RenderTableSummary(family, rsp.num_destination(), rsp.num_path(), &out);
}

void ModPath(const std::string& op, const std::vector<std::string>& args) {
  apipb::Family family = FamilyOr(V4());
  if (op == "del" && args.size() == 1 && args[0] == "all") {
    grpc::ClientContext ctx;
    apipb::DeletePathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_family() = family;
    google::protobuf::Empty e;
    Check(stub->DeletePath(&ctx, req, &e));
    return;
  }
  if (!args.empty() && args[0].find('/') != std::string::npos && !ParsePrefix(args[0]).ok()) {
    Usage(absl::StrCat("bad prefix \"", args[0], "\": give one like 10.0.0.0/24 or 2001:db8::/48"));
  }
  absl::StatusOr<apipb::Path> path = ParsePath(family, args);
  if (!path.ok()) {
    Fail(absl::StrCat(path.status().message(), "\nusage: kbgp global rib -a ",
                      family.afi() == apipb::Family::AFI_IP6 ? "ipv6" : "ipv4", " ", op,
                      " <PREFIX> [identifier <VALUE>] [origin { igp | egp | incomplete }] "
                      "[aspath <ASPATH>] [nexthop <ADDRESS>] [med <NUM>] [local-pref <NUM>] "
                      "[community <COMMUNITY>] [large-community <LARGE_COMMUNITY>] "
                      "[aggregator <AS>:<ADDRESS>] [rt <RT>...]"));
  }
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  if (op == "add") {
    apipb::AddPathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_path() = *path;
    apipb::AddPathResponse rsp;
    Check(stub->AddPath(&ctx, req, &rsp));
  } else {
    apipb::DeletePathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_path() = *path;
    Check(stub->DeletePath(&ctx, req, &e));
  }
}

// ---- global

void ShowGlobal() {
  grpc::ClientContext ctx;
  apipb::GetBgpResponse r;
  Check(stub->GetBgp(&ctx, apipb::GetBgpRequest(), &r));
  if (g.json) {
    AppendGoJson(r.global(), &out);
    out.push_back('\n');
    return;
  }
  RenderGlobal(r.global(), &out);
}

void ModGlobal(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: kbgp global as <VALUE> router-id <VALUE> [use-multipath] [listen-port <VALUE>] "
      "[listen-addresses <VALUE>...]";
  std::string key;
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& a : args) {
    if (a == "as" || a == "router-id" || a == "listen-port" || a == "listen-addresses" ||
        a == "use-multipath") {
      key = a;
      m[key];
    } else {
      m[key].push_back(a);
    }
  }
  if (m["as"].size() != 1 || m["router-id"].size() != 1 || !m[""].empty() ||
      (m.count("listen-port") && m["listen-port"].size() != 1) ||
      (m.count("use-multipath") && !m["use-multipath"].empty()) ||
      (m.count("listen-addresses") && m["listen-addresses"].empty())) {
    Fail(usage);
  }
  uint32_t asn;
  if (!absl::SimpleAtoi(m["as"][0], &asn)) Fail(absl::StrCat("invalid AS number: ", m["as"][0]));
  unsigned char buf[4];
  if (inet_pton(AF_INET, m["router-id"][0].c_str(), buf) != 1) Fail("invalid router-id format");
  uint32_t port = 0;
  if (m.count("listen-port") && (!absl::SimpleAtoi(m["listen-port"][0], &port) || port > 65535)) {
    Fail(absl::StrCat("invalid listen-port: ", m["listen-port"][0]));
  }
  apipb::StartBgpRequest req;
  apipb::Global* gl = req.mutable_global();
  gl->set_asn(asn);
  gl->set_router_id(m["router-id"][0]);
  gl->set_listen_port(static_cast<int32_t>(port));
  for (const auto& a : m["listen-addresses"]) gl->add_listen_addresses(a);
  gl->set_use_multiple_paths(m.count("use-multipath") > 0);
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  Check(stub->StartBgp(&ctx, req, &e));
}

// ---- policy assignments

void ShowAssignment(const std::string& name, const std::string& dir, int indent) {
  apipb::ListPolicyAssignmentRequest req;
  req.set_name(name.empty() ? "global" : name);
  req.set_direction(dir == "import" ? apipb::IMPORT : apipb::EXPORT);
  grpc::ClientContext ctx;
  auto reader = stub->ListPolicyAssignment(&ctx, req);
  apipb::ListPolicyAssignmentResponse r;
  apipb::PolicyAssignment a;
  if (reader->Read(&r)) a = r.assignment();
  while (reader->Read(&r)) {
  }
  Check(reader->Finish());
  if (g.json) {
    AppendGoJson(a, &out);
    out.push_back('\n');
    return;
  }
  RenderAssignment(dir, indent, a, &out);
}

void ModAssignment(const std::string& name, const std::string& dir, const std::string& op,
                   std::vector<std::string> args) {
  apipb::PolicyAssignment a;
  a.set_name(name.empty() ? "global" : name);
  a.set_direction(dir == "import" ? apipb::IMPORT : apipb::EXPORT);
  std::string usage = name.empty()
                          ? absl::StrCat("usage: kbgp global policy ", dir, " ", op)
                          : absl::StrCat("usage: kbgp neighbor ", name, " policy ", dir, " ", op);
  if (op == "add" || op == "set") {
    if (args.empty()) Fail(absl::StrCat(usage, " <policy name>... [default {accept|reject}]"));
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] != "default") continue;
      if (i + 1 >= args.size()) Fail("specify default action [accept|reject]");
      std::string v = args[i + 1];
      std::transform(v.begin(), v.end(), v.begin(), ::tolower);
      if (v == "accept")
        a.set_default_action(apipb::ACCEPT);
      else if (v == "reject")
        a.set_default_action(apipb::REJECT);
      else
        Fail("invalid default action");
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      break;
    }
  }
  for (const auto& n : args) a.add_policies()->set_name(n);
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  if (op == "add") {
    apipb::AddPolicyAssignmentRequest req;
    *req.mutable_assignment() = a;
    Check(stub->AddPolicyAssignment(&ctx, req, &e));
  } else if (op == "set") {
    apipb::SetPolicyAssignmentRequest req;
    *req.mutable_assignment() = a;
    Check(stub->SetPolicyAssignment(&ctx, req, &e));
  } else {
    apipb::DeletePolicyAssignmentRequest req;
    *req.mutable_assignment() = a;
    req.set_all(args.empty());
    Check(stub->DeletePolicyAssignment(&ctx, req, &e));
  }
}

// ---- command words (GoBGP's cobra takes any unique prefix of a subcommand)

std::string Match(const std::string& word, const std::vector<std::string>& cmds,
                  const std::string& where) {
  for (const auto& c : cmds) {
    if (c == word) return c;
  }
  std::string found;
  for (const auto& c : cmds) {
    if (absl::StartsWith(c, word)) {
      if (!found.empty()) {
        Usage(absl::StrCat("ambiguous command \"", word, "\" for \"", where,
                           "\"; one of: ", absl::StrJoin(cmds, ", ")));
      }
      found = c;
    }
  }
  if (found.empty()) {
    Usage(absl::StrCat("unknown command \"", word, "\" for \"", where,
                       "\"; one of: ", absl::StrJoin(cmds, ", "), " (kbgp --help)"));
  }
  return found;
}

void CmdGlobal(std::vector<std::string> a) {
  if (a.empty()) return ShowGlobal();
  if (a[0] == "as" || a[0] == "router-id") return ModGlobal(a);
  std::string c = Match(a[0], {"rib", "policy", "del"}, "kbgp global");
  a.erase(a.begin());
  if (c == "rib") {
    if (!a.empty() && (a[0] == "add" || a[0] == "del")) {
      std::string op = a[0];
      a.erase(a.begin());
      return ModPath(op, a);
    }
    if (!a.empty() && a[0] == "summary") return ShowRibSummary("global", "");
    return ShowRib("global", "", a);
  }
  if (c == "policy") {
    if (a.empty()) {
      ShowAssignment("", "import", 4);
      ShowAssignment("", "export", 4);
      return;
    }
    std::string dir = Match(a[0], {"import", "export"}, "kbgp global policy");
    if (a.size() == 1) return ShowAssignment("", dir, 0);
    std::string op = Match(a[1], {"add", "del", "set"}, "kbgp global policy " + dir);
    return ModAssignment("", dir, op, std::vector<std::string>(a.begin() + 2, a.end()));
  }
  if (c == "del") {
    if (a.size() != 1 || a[0] != "all") Usage("usage: kbgp global del all (stops BGP)");
    grpc::ClientContext ctx;
    google::protobuf::Empty e;
    Check(stub->StopBgp(&ctx, apipb::StopBgpRequest(), &e));
  }
}

void CmdNeighbor(std::vector<std::string> a) {
  if (a.empty()) return ShowNeighbors();
  if (a[0] == "add" || a[0] == "del") {
    absl::StatusOr<apipb::Peer> p =
        ParseNeighbor(a[0], std::vector<std::string>(a.begin() + 1, a.end()));
    if (!p.ok()) Fail(std::string(p.status().message()));
    grpc::ClientContext ctx;
    google::protobuf::Empty e;
    if (a[0] == "add") {
      apipb::AddPeerRequest req;
      *req.mutable_peer() = *p;
      Check(stub->AddPeer(&ctx, req, &e));
    } else {
      apipb::DeletePeerRequest req;
      req.set_address(p->conf().neighbor_address());
      Check(stub->DeletePeer(&ctx, req, &e));
    }
    return;
  }
  if (a.size() == 1) return ShowNeighbor(a[0]);
  std::string addr = a[0];
  std::string c = Match(a[1],
                        {"local", "adj-in", "adj-out", "reset", "softreset", "softresetin",
                         "softresetout", "shutdown", "enable", "disable", "policy"},
                        "kbgp neighbor " + addr);
  std::vector<std::string> rest(a.begin() + 2, a.end());
  bool all = addr == "all" && (c == "reset" || c == "softreset" || c == "softresetin" ||
                               c == "softresetout" || c == "shutdown");
  if (!all) addr = GetNeighbors(addr, false)[0].state().neighbor_address();
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  if (c == "local" || c == "adj-in" || c == "adj-out") {
    if (!rest.empty() && rest[0] == "summary") return ShowRibSummary(c, addr);
    return ShowRib(c, addr, rest);
  }
  if (c == "reset" || c == "softreset" || c == "softresetin" || c == "softresetout") {
    if (g.reason.size() > 128) Fail("too long reason for shutdown communication (max 128 bytes)");
    apipb::ResetPeerRequest req;
    req.set_address(addr);
    req.set_soft(c != "reset");
    if (c == "reset") req.set_communication(g.reason);
    req.set_direction(c == "softresetin"    ? apipb::ResetPeerRequest::IN
                      : c == "softresetout" ? apipb::ResetPeerRequest::OUT
                                            : apipb::ResetPeerRequest::BOTH);
    return Check(stub->ResetPeer(&ctx, req, &e));
  }
  if (c == "shutdown") {
    out.append("WARNING: command `shutdown` is deprecated. use `disable` instead\n");
    apipb::ShutdownPeerRequest req;
    req.set_address(addr);
    req.set_communication(g.reason);
    return Check(stub->ShutdownPeer(&ctx, req, &e));
  }
  if (c == "enable") {
    apipb::EnablePeerRequest req;
    req.set_address(addr);
    return Check(stub->EnablePeer(&ctx, req, &e));
  }
  if (c == "disable") {
    apipb::DisablePeerRequest req;
    req.set_address(addr);
    return Check(stub->DisablePeer(&ctx, req, &e));
  }
  // policy
  if (rest.empty()) {
    ShowAssignment(addr, "import", 4);
    ShowAssignment(addr, "export", 4);
    return;
  }
  std::string dir = Match(rest[0], {"import", "export"}, "kbgp neighbor ADDR policy");
  if (rest.size() == 1) return ShowAssignment(addr, dir, 0);
  std::string op = Match(rest[1], {"add", "del", "set"}, "kbgp neighbor ADDR policy " + dir);
  ModAssignment(addr, dir, op, std::vector<std::string>(rest.begin() + 2, rest.end()));
}

// ---- policy

template <typename Msg>
void JsonList(const std::vector<Msg>& l) {
  out.push_back('[');
  for (size_t i = 0; i < l.size(); ++i) {
    if (i) out.push_back(',');
    AppendGoJson(l[i], &out);
  }
  out.append("]\n");
}

void ShowDefinedSets(const std::string& type, const std::vector<std::string>& args) {
  apipb::ListDefinedSetRequest req;
  std::string head;
  if (type == "prefix") {
    req.set_defined_type(apipb::PREFIX);
    head = "PREFIX";
  } else if (type == "neighbor") {
    req.set_defined_type(apipb::NEIGHBOR);
    head = "ADDRESS";
  } else if (type == "as-path") {
    req.set_defined_type(apipb::AS_PATH);
    head = "AS-PATH";
  } else if (type == "community") {
    req.set_defined_type(apipb::COMMUNITY);
    head = "COMMUNITY";
  } else if (type == "ext-community") {
    req.set_defined_type(apipb::EXT_COMMUNITY);
    head = "EXT-COMMUNITY";
  } else {
    req.set_defined_type(apipb::LARGE_COMMUNITY);
    head = "LARGE-COMMUNITY";
  }
  if (!args.empty()) req.set_name(args[0]);
  grpc::ClientContext ctx;
  auto reader = stub->ListDefinedSet(&ctx, req);
  std::vector<apipb::DefinedSet> l;
  apipb::ListDefinedSetResponse r;
  while (reader->Read(&r)) l.push_back(r.defined_set());
  Check(reader->Finish());
  if (g.json) return JsonList(l);
  if (g.quiet) {
    for (const auto& s : l) absl::StrAppend(&out, s.name(), "\n");
    return;
  }
  RenderDefinedSets(l, head, &out);
}

void ShowPolicies(const std::vector<std::string>& args) {
  grpc::ClientContext ctx;
  auto reader = stub->ListPolicy(&ctx, apipb::ListPolicyRequest());
  std::vector<apipb::Policy> l;
  apipb::ListPolicyResponse r;
  while (reader->Read(&r)) l.push_back(r.policy());
  Check(reader->Finish());
  if (!args.empty()) {
    std::vector<apipb::Policy> m;
    for (const auto& p : l) {
      if (p.name() == args[0]) {
        m.push_back(p);
        break;
      }
    }
    if (m.empty()) Fail(absl::StrCat("not found ", args[0]));
    l.swap(m);
  }
  if (g.json) return JsonList(l);
  for (const auto& p : l) {
    if (g.quiet) {
      absl::StrAppend(&out, p.name(), "\n");
      continue;
    }
    absl::StrAppend(&out, "Name ", p.name(), ":\n");
    RenderPolicy(4, p, &out);
  }
}

void ShowStatements(const std::vector<std::string>& args) {
  grpc::ClientContext ctx;
  auto reader = stub->ListStatement(&ctx, apipb::ListStatementRequest());
  std::vector<apipb::Statement> l;
  apipb::ListStatementResponse r;
  while (reader->Read(&r)) l.push_back(r.statement());
  Check(reader->Finish());
  if (!args.empty()) {
    std::vector<apipb::Statement> m;
    for (const auto& s : l) {
      if (s.name() == args[0]) {
        m.push_back(s);
        break;
      }
    }
    if (m.empty()) Fail(absl::StrCat("not found ", args[0]));
    l.swap(m);
  }
  if (g.json) return JsonList(l);
  for (const auto& s : l) {
    if (g.quiet)
      absl::StrAppend(&out, s.name(), "\n");
    else
      RenderStatement(0, s, &out);
  }
}

void AddOrDelStatement(const std::string& op, const apipb::Statement& st, bool all) {
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  if (op == "add") {
    apipb::AddStatementRequest req;
    *req.mutable_statement() = st;
    Check(stub->AddStatement(&ctx, req, &e));
  } else {
    apipb::DeleteStatementRequest req;
    *req.mutable_statement() = st;
    req.set_all(all);
    Check(stub->DeleteStatement(&ctx, req, &e));
  }
}

void CmdPolicy(std::vector<std::string> a) {
  static const std::vector<std::string> kSets = {"prefix",    "neighbor",      "as-path",
                                                 "community", "ext-community", "large-community"};
  if (a.empty()) return ShowPolicies(a);
  if (a[0] == "add" || a[0] == "del") {
    if (a.size() < 2)
      Fail(absl::StrCat("usage: kbgp policy ", a[0], " <name> [<statement name>...]"));
    apipb::Policy p;
    p.set_name(a[1]);
    for (size_t i = 2; i < a.size(); ++i) p.add_statements()->set_name(a[i]);
    grpc::ClientContext ctx;
    google::protobuf::Empty e;
    if (a[0] == "add") {
      apipb::AddPolicyRequest req;
      *req.mutable_policy() = p;
      req.set_refer_existing_statements(true);
      return Check(stub->AddPolicy(&ctx, req, &e));
    }
    apipb::DeletePolicyRequest req;
    *req.mutable_policy() = p;
    req.set_all(a.size() == 2);
    req.set_preserve_statements(true);
    return Check(stub->DeletePolicy(&ctx, req, &e));
  }
  for (const auto& s : kSets) {
    if (a[0] != s) continue;
    if (a.size() >= 2 && (a[1] == "add" || a[1] == "del")) {
      if (a.size() < 3)
        Fail(absl::StrCat("usage: kbgp policy ", s, " ", a[1], " <name> [<item>...]"));
      std::vector<std::string> rest(a.begin() + 2, a.end());
      absl::StatusOr<apipb::DefinedSet> d = ParseDefinedSet(s, rest);
      if (!d.ok()) Fail(std::string(d.status().message()));
      grpc::ClientContext ctx;
      google::protobuf::Empty e;
      if (a[1] == "add") {
        apipb::AddDefinedSetRequest req;
        *req.mutable_defined_set() = *d;
        return Check(stub->AddDefinedSet(&ctx, req, &e));
      }
      apipb::DeleteDefinedSetRequest req;
      *req.mutable_defined_set() = *d;
      req.set_all(rest.size() < 2);
      return Check(stub->DeleteDefinedSet(&ctx, req, &e));
    }
    return ShowDefinedSets(s, std::vector<std::string>(a.begin() + 1, a.end()));
  }
  if (a[0] == "statement") {
    a.erase(a.begin());
    if (!a.empty() && (a[0] == "add" || a[0] == "del")) {
      if (a.size() < 2) Fail(absl::StrCat("usage: kbgp policy statement ", a[0], " <name>"));
      apipb::Statement st;
      st.set_name(a[1]);
      return AddOrDelStatement(a[0], st, true);
    }
    if (a.size() < 2) return ShowStatements(a);
    std::string name = a[0];
    std::string op = Match(a[1], {"add", "del"}, "kbgp policy statement " + name);
    if (a.size() < 3)
      Fail(absl::StrCat("usage: kbgp policy statement ", name, " ", op,
                        " { condition | action } ..."));
    std::string what = Match(a[2], {"condition", "action"}, "kbgp policy statement NAME " + op);
    std::vector<std::string> rest(a.begin() + 3, a.end());
    absl::StatusOr<apipb::Statement> st =
        what == "condition" ? ParseCondition(name, op, rest) : ParseAction(name, op, rest);
    if (!st.ok()) Fail(std::string(st.status().message()));
    return AddOrDelStatement(op, *st, false);
  }
  return ShowPolicies(a);
}

// ---- monitor

std::string Rfc3339Now() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void CmdMonitor(std::vector<std::string> a) {
  if (a.empty()) Usage("usage: kbgp monitor { global rib | neighbor [ADDR] } [--current]");
  std::string c = Match(a[0], {"global", "neighbor"}, "kbgp monitor");
  apipb::WatchEventRequest req;
  if (c == "global") {
    if (a.size() < 2 || Match(a[1], {"rib"}, "kbgp monitor global") != "rib") {
      Usage("usage: kbgp monitor global rib [--current]");
    }
    FamilyOr(V4());
    auto* f = req.mutable_table()->add_filters();
    f->set_type(apipb::WatchEventRequest::Table::Filter::BEST);
    f->set_init(g.current);
  } else {
    req.mutable_peer();
  }
  std::string name = c == "neighbor" && a.size() > 1 ? a[1] : "";
  grpc::ClientContext ctx;
  auto reader = stub->WatchEvent(&ctx, req);
  apipb::WatchEventResponse r;
  PathText text;
  std::string err;
  while (reader->Read(&r)) {
    if (r.has_table() && c == "global") {
      if (g.json) {
        out.push_back('[');
        for (int i = 0; i < r.table().paths_size(); ++i) {
          if (!DecodePath(r.table().paths(i), true, &text, &err)) Fail(err);
          if (i) out.push_back(',');
          AppendPathJson(r.table().paths(i), text, &out);
        }
        out.append("]\n");
      } else {
        std::string now = Rfc3339Now();
        for (const auto& p : r.table().paths()) {
          if (!DecodePath(p, false, &text, &err)) Fail(err);
          RenderMonitorPath(now, p.is_withdraw(), text, &out);
        }
      }
    } else if (r.has_peer() && c == "neighbor" &&
               r.peer().type() == apipb::WatchEventResponse::PeerEvent::STATE) {
      const apipb::Peer& s = r.peer().peer();
      // GoBGP prints only the named neighbor; kbgp prints every neighbor when none is named.
      if (!name.empty() && s.conf().neighbor_address() != name) continue;
      if (g.json) {
        AppendGoJson(s, &out);
        out.push_back('\n');
      } else {
        std::string addr = s.conf().neighbor_address();
        if (!s.conf().neighbor_interface().empty()) {
          absl::StrAppend(&addr, "(", s.conf().neighbor_interface(), ")");
        }
        absl::StrAppend(&out, Rfc3339Now(), " [NEIGH] ", addr,
                        " fsm: ", apipb::PeerState::SessionState_Name(s.state().session_state()),
                        " admin: ", apipb::PeerState::AdminState_Name(s.state().admin_state()),
                        "\n");
      }
    }
    Flush();  // a monitor prints each event as it comes
  }
  Check(reader->Finish());
}

// ---- mrt inject

void CmdMrt(std::vector<std::string> a) {
  if (a.size() < 3 || Match(a[0], {"inject"}, "kbgp mrt") != "inject" ||
      Match(a[1], {"global"}, "kbgp mrt inject") != "global") {
    Usage(
        "usage: kbgp mrt inject global FILE [--count N] [--skip N] [--only-best] "
        "[--no-ipv4] [--no-ipv6] [--nexthop ADDR]");
  }
  std::string file = a[2];
  if (a.size() > 3 && !absl::SimpleAtoi(a[3], &g.mrt_count)) Usage("bad count: " + a[3]);
  if (a.size() > 4 && !absl::SimpleAtoi(a[4], &g.mrt_skip)) Usage("bad skip: " + a[4]);
  auto reader = mrt::FileReader::Open(file);
  if (!reader.ok()) Usage(absl::StrCat("cannot open the MRT file: ", reader.status().message()));
  std::optional<IpAddress> nexthop;
  if (!g.mrt_nexthop.empty()) {
    auto nh = IpAddress::Parse(g.mrt_nexthop);
    if (!nh.ok()) Usage("bad --nexthop address: " + g.mrt_nexthop);
    nexthop = *nh;
  }
  grpc::ClientContext ctx;
  google::protobuf::Empty rsp;
  auto writer = stub->AddPathStream(&ctx, &rsp);
  mrt::Decoder dec;
  mrt::RawRecord raw;
  int64_t idx = 0;
  apipb::AddPathStreamRequest req;
  req.set_table_type(apipb::GLOBAL);
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&raw);
    if (!more.ok()) Fail(absl::StrCat("failed to read: ", more.status().message()));
    if (!*more) break;
    absl::StatusOr<mrt::Record> rec = dec.Decode(raw);
    if (!rec.ok()) {
      absl::StrAppend(&out, "failed to parse: ", rec.status().message(), "\n");
      continue;
    }
    const mrt::Rib* rib = std::get_if<mrt::Rib>(&*rec);
    if (rib == nullptr) continue;
    bool v6 = rib->prefix.addr().is_v6();
    if ((v6 && g.no_v6) || (!v6 && g.no_v4)) continue;
    if (idx++ < g.mrt_skip) continue;
    for (const mrt::RibEntry& e : rib->entries) {
      std::optional<api_server::NextHop> nh;
      if (e.attrs.mp_reach) {
        nh = api_server::NextHop{e.attrs.mp_reach->next_hop, e.attrs.mp_reach->link_local_next_hop};
      } else if (e.attrs.next_hop) {
        nh = api_server::NextHop{*e.attrs.next_hop, std::nullopt};
      }
      if (nexthop) nh = api_server::NextHop{*nexthop, std::nullopt};
      apipb::Path* p = req.add_paths();
      api_server::AttributesToApi(e.attrs, rib->prefix, nh, false, p->mutable_pattrs());
      api_server::PrefixToApi(rib->prefix, p->mutable_nlri());
      api_server::AfiSafiToApi(rib->family, p->mutable_family());
      p->mutable_age()->set_seconds(e.originated_time);
      p->set_source_asn(e.peer.asn);
      p->set_source_id(IpAddress::V4(e.peer.bgp_id).ToString());
      if (g.only_best) break;
    }
    if (req.paths_size() >= 1000) {
      if (!writer->Write(req)) break;
      req.clear_paths();
    }
    if (g.mrt_count > 0 && idx >= g.mrt_count + g.mrt_skip) break;
  }
  if (req.paths_size() > 0) writer->Write(req);
  writer->WritesDone();
  Check(writer->Finish());
}

// ---- log-level

void CmdLogLevel(const std::vector<std::string>& a) {
  if (a.empty())
    Usage("usage: kbgp log-level { panic | fatal | error | warn | info | debug | trace }");
  std::string l =
      Match(a[0], {"panic", "fatal", "error", "warn", "info", "debug", "trace"}, "kbgp log-level");
  apipb::SetLogLevelRequest req;
  req.set_level(l == "panic"   ? apipb::SetLogLevelRequest::PANIC
                : l == "fatal" ? apipb::SetLogLevelRequest::FATAL
                : l == "error" ? apipb::SetLogLevelRequest::ERROR
                : l == "warn"  ? apipb::SetLogLevelRequest::WARN
                : l == "info"  ? apipb::SetLogLevelRequest::INFO
                : l == "debug" ? apipb::SetLogLevelRequest::DEBUG
                               : apipb::SetLogLevelRequest::TRACE);
  grpc::ClientContext ctx;
  google::protobuf::Empty e;
  Check(stub->SetLogLevel(&ctx, req, &e));
}

const char kHelp[] =
    "kbgp: the CLI of kbgpd (and of any GoBGP-API daemon), with gobgp's commands and tables\n"
    "\n"
    "usage: kbgp [flags] COMMAND ...\n"
    "  global                                   show AS, router id, listen port\n"
    "  global as N router-id ID [listen-port P] [listen-addresses A...] [use-multipath]\n"
    "  global rib [-a ipv4|ipv6] [PREFIX|ADDR [longer-prefixes|shorter-prefixes]]\n"
    "  global rib summary [-a ipv4|ipv6]\n"
    "  global rib [-a ...] add|del PREFIX [identifier N] [origin igp|egp|incomplete]\n"
    "        [aspath A,B] [nexthop ADDR] [med N] [local-pref N] [community C,..]\n"
    "        [large-community A:B:C,..] [aggregator AS:ADDR] [rt RT...]\n"
    "  global rib del all [-a ...]\n"
    "  global policy [import|export [add|set|del POLICY... [default accept|reject]]]\n"
    "  global del all                           stop BGP\n"
    "  neighbor                                 list neighbors\n"
    "  neighbor ADDR                            detail\n"
    "  neighbor ADDR adj-in|adj-out|local [PREFIX [longer-prefixes|shorter-prefixes]|summary]\n"
    "  neighbor add ADDR as N [local-as N] [family ipv4-unicast,ipv6-unicast]\n"
    "        [route-reflector-client [ID]] [route-server-client] [allow-own-as N]\n"
    "        [remove-private-as all|replace] [replace-peer-as] [ebgp-multihop-ttl N]\n"
    "  neighbor del ADDR\n"
    "  neighbor ADDR reset|softreset|softresetin|softresetout|shutdown|enable|disable\n"
    "  neighbor ADDR policy [import|export [add|set|del POLICY... [default accept|reject]]]\n"
    "  policy [NAME] | policy add|del NAME [STATEMENT...]\n"
    "  policy prefix|neighbor|as-path|community|ext-community|large-community [add|del NAME ...]\n"
    "  policy statement [NAME] | policy statement add|del NAME\n"
    "  policy statement NAME add|del condition|action ...\n"
    "  monitor global rib [--current] | monitor neighbor [ADDR]\n"
    "  mrt inject global FILE [COUNT [SKIP]] [--only-best] [--no-ipv4] [--no-ipv6] [--nexthop A]\n"
    "  log-level panic|fatal|error|warn|info|debug|trace\n"
    "  completion bash|zsh                      print a completion script\n"
    "\n"
    "flags: -u HOST (127.0.0.1)  -p PORT (50051)  --target unix:///PATH  -j (JSON)  -q (quiet)\n"
    "       --tls  --tls-ca-file FILE  -a FAMILY  --current  --reason TEXT  --version\n";

int Run(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      size_t eq = a.find('=');
      if (absl::StartsWith(a, "--") && eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) Usage(absl::StrCat("flag ", flag, " needs a value (kbgp --help)"));
      return argv[++i];
    };
    auto is = [&](const char* s, const char* l) {
      return a == s || a == l || (absl::StartsWith(a, std::string(l) + "="));
    };
    if (a == "--version") {
      std::printf("kbgp version 0.1.0 (GoBGP 3.10 CLI grammar)\n");
      return 0;
    } else if (a == "-h" || a == "--help" || a == "help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (is("-u", "--host")) {
      g.host = value("-u");
    } else if (is("-p", "--port")) {
      std::string v = value("-p");
      if (!absl::SimpleAtoi(v, &g.port) || g.port <= 0 || g.port > 65535) {
        Usage("bad port \"" + v + "\": give -p 1-65535");
      }
    } else if (is("--target", "--target")) {
      g.target = value("--target");
    } else if (a == "-j" || a == "--json") {
      g.json = true;
    } else if (a == "-q" || a == "--quiet") {
      g.quiet = true;
    } else if (a == "-d" || a == "--debug") {
    } else if (a == "--tls") {
      g.tls = true;
    } else if (is("--tls-ca-file", "--tls-ca-file")) {
      g.ca_file = value("--tls-ca-file");
    } else if (is("-a", "--address-family")) {
      g.family = value("-a");
    } else if (a == "--current") {
      g.current = true;
    } else if (is("--reason", "--reason")) {
      g.reason = value("--reason");
    } else if (a == "--only-best") {
      g.only_best = true;
    } else if (a == "--no-ipv4") {
      g.no_v4 = true;
    } else if (a == "--no-ipv6") {
      g.no_v6 = true;
    } else if (is("--nexthop", "--nexthop")) {
      g.mrt_nexthop = value("--nexthop");
    } else if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (std::isdigit(a[1]) != 0))) {
      Usage(absl::StrCat("unknown flag ", a, " (kbgp --help)"));
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  std::string c =
      Match(args[0], {"global", "neighbor", "policy", "monitor", "mrt", "log-level", "completion"},
            "kbgp");
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (c == "completion") {
    if (rest.size() != 1 || (rest[0] != "bash" && rest[0] != "zsh")) {
      Usage("usage: kbgp completion bash|zsh");
    }
    if (rest[0] == "zsh") std::fputs(kZshCompletionHeader, stdout);
    std::fputs(kBashCompletion, stdout);
    return 0;
  }
  Connect();
  if (c == "global")
    CmdGlobal(rest);
  else if (c == "neighbor")
    CmdNeighbor(rest);
  else if (c == "policy")
    CmdPolicy(rest);
  else if (c == "monitor")
    CmdMonitor(rest);
  else if (c == "mrt")
    CmdMrt(rest);
  else if (c == "log-level")
    CmdLogLevel(rest);
  Flush();
  return 0;
}

}  // namespace
}  // namespace kbgp::cli

int main(int argc, char** argv) { return kbgp::cli::Run(argc, argv); }
