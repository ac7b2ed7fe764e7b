// Wire compatibility of kbgp's api/*.proto with GoBGP 3.10's own protos.
//
// kbgp writes its own .proto files (api/gobgp.proto, attribute.proto, capability.proto) and
// promises that they are interchangeable on the wire with GoBGP's: gobgp's CLI and any other
// GoBGP client must be able to talk to kbgpd. This test loads GoBGP's files, as installed by
// Debian's golang-github-osrg-gobgp-dev, with protobuf's own parser and compares them with the
// descriptors compiled into this binary:
//   - every kbgp message and enum exists upstream under the same full name;
//   - messages have the same fields: name, number, type, label, message/enum type, oneof,
//     packing; a field missing on either side is a difference;
//   - enums have the same values (names and numbers);
//   - the GobgpApi service has the same methods, types and streaming flags;
//   - every message reachable from the service's requests and replies is defined by kbgp.
// Upstream definitions kbgp does not have yet are listed, not failed.

#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/attribute.pb.h"
#include "api/capability.pb.h"
#include "api/gobgp.grpc.pb.h"
#include "api/gobgp.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/compiler/importer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"

namespace kbgp::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::compiler::DiskSourceTree;
using google::protobuf::compiler::Importer;
using google::protobuf::compiler::MultiFileErrorCollector;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kService[] = "apipb.GobgpApi";
// kbgp's files as compiled in, and GoBGP's files by their names in the upstream directory.
const std::vector<std::string> kKbgpFiles = {"api/gobgp.proto", "api/attribute.proto",
                                             "api/capability.proto"};
const std::vector<std::string> kUpstreamFiles = {"gobgp.proto", "attribute.proto",
                                                 "capability.proto"};

// Links the generated code in (a static library member nobody references is dropped) and
// returns kbgp's files from the generated pool.
std::vector<const FileDescriptor*> KbgpFiles() {
  const Descriptor* anchors[] = {apipb::Path::descriptor(), apipb::OriginAttribute::descriptor(),
                                 apipb::MultiProtocolCapability::descriptor()};
  (void)anchors;
  std::vector<const FileDescriptor*> files;
  for (const std::string& name : kKbgpFiles) {
    files.push_back(DescriptorPool::generated_pool()->FindFileByName(name));
  }
  return files;
}

class CollectErrors : public MultiFileErrorCollector {
 public:
  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    errors.push_back(absl::StrCat(filename, ":", line + 1, ":", column + 1, ": ", message));
  }
  std::vector<std::string> errors;
};

// GoBGP's protos parsed from disk, once per process.
struct Upstream {
  DiskSourceTree tree;
  CollectErrors errors;
  Importer importer{&tree, &errors};
  std::vector<const FileDescriptor*> files;
  std::string failure;  // why loading failed; empty on success

  const DescriptorPool& pool() const { return *importer.pool(); }
};

const Upstream& LoadUpstream() {
  static const Upstream* const upstream = [] {
    auto* u = new Upstream;
    const std::filesystem::path dir = KBGP_GOBGP_PROTO_DIR;
    if (!std::filesystem::exists(dir / "gobgp.proto")) {
      u->failure = absl::StrCat("GoBGP's protos are not in ", dir.string(),
                                ": install golang-github-osrg-gobgp-dev (run scripts/deps.sh)");
      return u;
    }
    // GoBGP's files import each other as "gobgp.proto" and google's as
    // "google/protobuf/any.proto"; both roots map to the empty virtual path.
    u->tree.MapPath("", dir.string());
    u->tree.MapPath("", KBGP_PROTOBUF_INCLUDE_DIR);
    for (const std::string& name : kUpstreamFiles) {
      const FileDescriptor* f = u->importer.Import(name);
      if (f == nullptr) {
        u->failure = absl::StrCat("cannot parse ", (dir / name).string(), ": ",
                                  absl::StrJoin(u->errors.errors, "; "));
        return u;
      }
      u->files.push_back(f);
    }
    return u;
  }();
  return *upstream;
}

template <typename Fn>
void ForEachMessage(const Descriptor* d, const Fn& fn) {
  fn(d);
  for (int i = 0; i < d->nested_type_count(); ++i) ForEachMessage(d->nested_type(i), fn);
}

// fn(const Descriptor*) for every message of the file, nested ones (map entries too) included.
template <typename Fn>
void ForEachMessage(const FileDescriptor* f, const Fn& fn) {
  for (int i = 0; i < f->message_type_count(); ++i) ForEachMessage(f->message_type(i), fn);
}

// fn(const EnumDescriptor*) for every enum of the file, top-level and nested.
template <typename Fn>
void ForEachEnum(const FileDescriptor* f, const Fn& fn) {
  for (int i = 0; i < f->enum_type_count(); ++i) fn(f->enum_type(i));
  ForEachMessage(f, [&](const Descriptor* d) {
    for (int i = 0; i < d->enum_type_count(); ++i) fn(d->enum_type(i));
  });
}

std::string TypeName(const FieldDescriptor* f) {
  if (f->message_type() != nullptr) return f->message_type()->full_name();
  if (f->enum_type() != nullptr) return f->enum_type()->full_name();
  return "";
}

std::string OneofName(const FieldDescriptor* f) {
  return f->containing_oneof() != nullptr ? f->containing_oneof()->name() : "";
}

// Everything about a field that the encoding or the generated accessors depend on.
void CompareField(const FieldDescriptor* ours, const FieldDescriptor* theirs,
                  std::vector<std::string>* diffs) {
  const std::string where = ours->full_name();
  auto check = [&](absl::string_view what, const auto& a, const auto& b) {
    if (a != b) diffs->push_back(absl::StrCat(where, ": ", what, " ", a, ", upstream ", b));
  };
  check("number", ours->number(), theirs->number());
  check("type", std::string(ours->type_name()), std::string(theirs->type_name()));
  check("label", static_cast<int>(ours->label()), static_cast<int>(theirs->label()));
  check("type name", TypeName(ours), TypeName(theirs));
  check("oneof", OneofName(ours), OneofName(theirs));
  check("packed", int{ours->is_packed()}, int{theirs->is_packed()});
  check("presence", int{ours->has_presence()}, int{theirs->has_presence()});
  check("map", int{ours->is_map()}, int{theirs->is_map()});
}

void CompareMessage(const Descriptor* ours, const Descriptor* theirs,
                    std::vector<std::string>* diffs) {
  for (int i = 0; i < theirs->field_count(); ++i) {
    const FieldDescriptor* t = theirs->field(i);
    const FieldDescriptor* o = ours->FindFieldByName(t->name());
    if (o == nullptr) {
      diffs->push_back(absl::StrCat(t->full_name(), " = ", t->number(), ": missing in kbgp"));
    } else {
      CompareField(o, t, diffs);
    }
  }
  for (int i = 0; i < ours->field_count(); ++i) {
    const FieldDescriptor* o = ours->field(i);
    if (theirs->FindFieldByName(o->name()) == nullptr) {
      diffs->push_back(absl::StrCat(o->full_name(), " = ", o->number(), ": not upstream"));
    }
  }
}

void CompareEnum(const EnumDescriptor* ours, const EnumDescriptor* theirs,
                 std::vector<std::string>* diffs) {
  for (int i = 0; i < theirs->value_count(); ++i) {
    const auto* t = theirs->value(i);
    const auto* o = ours->FindValueByName(t->name());
    if (o == nullptr) {
      diffs->push_back(absl::StrCat(t->full_name(), " = ", t->number(), ": missing in kbgp"));
    } else if (o->number() != t->number()) {
      diffs->push_back(absl::StrCat(o->full_name(), ": number ", o->number(), ", upstream ",
                                    t->number()));
    }
  }
  for (int i = 0; i < ours->value_count(); ++i) {
    const auto* o = ours->value(i);
    if (theirs->FindValueByName(o->name()) == nullptr) {
      diffs->push_back(absl::StrCat(o->full_name(), " = ", o->number(), ": not upstream"));
    }
  }
}

void CompareService(const ServiceDescriptor* ours, const ServiceDescriptor* theirs,
                    std::vector<std::string>* diffs) {
  for (int i = 0; i < theirs->method_count(); ++i) {
    const MethodDescriptor* t = theirs->method(i);
    const MethodDescriptor* o = ours->FindMethodByName(t->name());
    if (o == nullptr) {
      diffs->push_back(absl::StrCat(t->full_name(), ": missing in kbgp"));
      continue;
    }
    auto check = [&](absl::string_view what, const auto& a, const auto& b) {
      if (a != b) {
        diffs->push_back(absl::StrCat(o->full_name(), ": ", what, " ", a, ", upstream ", b));
      }
    };
    check("input", o->input_type()->full_name(), t->input_type()->full_name());
    check("output", o->output_type()->full_name(), t->output_type()->full_name());
    check("client_streaming", int{o->client_streaming()}, int{t->client_streaming()});
    check("server_streaming", int{o->server_streaming()}, int{t->server_streaming()});
  }
  for (int i = 0; i < ours->method_count(); ++i) {
    if (theirs->FindMethodByName(ours->method(i)->name()) == nullptr) {
      diffs->push_back(absl::StrCat(ours->method(i)->full_name(), ": not upstream"));
    }
  }
}

// Every difference between one of kbgp's files and the upstream definitions of the same
// names. Definitions upstream has and the file lacks are not differences here.
std::vector<std::string> DiffFile(const FileDescriptor* ours, const DescriptorPool& upstream) {
  std::vector<std::string> diffs;
  if (ours->package() != "apipb") {
    diffs.push_back(absl::StrCat(ours->name(), ": package ", ours->package()));
  }
  if (ours->syntax() != FileDescriptor::SYNTAX_PROTO3) {
    diffs.push_back(absl::StrCat(ours->name(), ": not proto3"));
  }
  ForEachMessage(ours, [&](const Descriptor* o) {
    const Descriptor* t = upstream.FindMessageTypeByName(o->full_name());
    if (t == nullptr) {
      diffs.push_back(absl::StrCat("message ", o->full_name(), ": not upstream"));
    } else {
      CompareMessage(o, t, &diffs);
    }
  });
  ForEachEnum(ours, [&](const EnumDescriptor* o) {
    const EnumDescriptor* t = upstream.FindEnumTypeByName(o->full_name());
    if (t == nullptr) {
      diffs.push_back(absl::StrCat("enum ", o->full_name(), ": not upstream"));
    } else {
      CompareEnum(o, t, &diffs);
    }
  });
  for (int i = 0; i < ours->service_count(); ++i) {
    const ServiceDescriptor* o = ours->service(i);
    const ServiceDescriptor* t = upstream.FindServiceByName(o->full_name());
    if (t == nullptr) {
      diffs.push_back(absl::StrCat("service ", o->full_name(), ": not upstream"));
    } else {
      CompareService(o, t, &diffs);
    }
  }
  return diffs;
}

class ApiCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Upstream& u = LoadUpstream();
    ASSERT_TRUE(u.failure.empty()) << u.failure;
    upstream_ = &u.pool();
    upstream_files_ = u.files;
    kbgp_files_ = KbgpFiles();
    for (size_t i = 0; i < kbgp_files_.size(); ++i) {
      ASSERT_NE(kbgp_files_[i], nullptr) << kKbgpFiles[i] << " is not in the generated pool";
    }
  }

  const DescriptorPool* upstream_ = nullptr;
  std::vector<const FileDescriptor*> upstream_files_;
  std::vector<const FileDescriptor*> kbgp_files_;
};

TEST_F(ApiCompatTest, EveryDefinitionMatchesUpstream) {
  for (const FileDescriptor* f : kbgp_files_) {
    EXPECT_THAT(DiffFile(f, *upstream_), IsEmpty()) << "in " << f->name();
  }
}

TEST_F(ApiCompatTest, ServiceHasEveryUpstreamMethod) {
  const ServiceDescriptor* ours = DescriptorPool::generated_pool()->FindServiceByName(kService);
  const ServiceDescriptor* theirs = upstream_->FindServiceByName(kService);
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(theirs, nullptr);
  EXPECT_EQ(ours->file()->name(), "api/gobgp.proto");
  std::vector<std::string> diffs;
  CompareService(ours, theirs, &diffs);
  EXPECT_THAT(diffs, IsEmpty());
  EXPECT_EQ(ours->method_count(), theirs->method_count());
  // The generated stub serves the same method paths gobgp calls.
  EXPECT_STREQ(apipb::GobgpApi::service_full_name(), kService);
}

// Messages and enums a client can meet by following typed fields from the service's
// requests and replies (Any contents are not followed) must all be defined by kbgp.
TEST_F(ApiCompatTest, EverythingReachableFromTheServiceIsDefined) {
  const ServiceDescriptor* theirs = upstream_->FindServiceByName(kService);
  ASSERT_NE(theirs, nullptr);
  std::set<std::string> seen;
  std::vector<const Descriptor*> todo;
  auto visit = [&](const Descriptor* d) {
    if (seen.insert(d->full_name()).second) todo.push_back(d);
  };
  for (int i = 0; i < theirs->method_count(); ++i) {
    visit(theirs->method(i)->input_type());
    visit(theirs->method(i)->output_type());
  }
  std::set<std::string> enums;
  while (!todo.empty()) {
    const Descriptor* d = todo.back();
    todo.pop_back();
    for (int i = 0; i < d->field_count(); ++i) {
      if (d->field(i)->message_type() != nullptr) visit(d->field(i)->message_type());
      if (d->field(i)->enum_type() != nullptr) enums.insert(d->field(i)->enum_type()->full_name());
    }
  }
  const DescriptorPool* ours = DescriptorPool::generated_pool();
  std::vector<std::string> missing;
  for (const std::string& name : seen) {
    if (ours->FindMessageTypeByName(name) == nullptr) missing.push_back(name);
  }
  for (const std::string& name : enums) {
    if (ours->FindEnumTypeByName(name) == nullptr) missing.push_back(name);
  }
  EXPECT_THAT(missing, IsEmpty());
  EXPECT_GT(seen.size(), 100u);  // the walk did go somewhere
}

// Not a failure: kbgp may define upstream's Any payloads gradually. Prints what is left.
TEST_F(ApiCompatTest, ReportsUpstreamDefinitionsKbgpLacks) {
  const DescriptorPool* ours = DescriptorPool::generated_pool();
  std::vector<std::string> lacking;
  int total = 0;
  for (const FileDescriptor* f : upstream_files_) {
    ForEachMessage(f, [&](const Descriptor* d) {
      ++total;
      if (ours->FindMessageTypeByName(d->full_name()) == nullptr) {
        lacking.push_back(absl::StrCat(f->name(), ": message ", d->full_name()));
      }
    });
    ForEachEnum(f, [&](const EnumDescriptor* e) {
      ++total;
      if (ours->FindEnumTypeByName(e->full_name()) == nullptr) {
        lacking.push_back(absl::StrCat(f->name(), ": enum ", e->full_name()));
      }
    });
  }
  if (lacking.empty()) {
    std::cout << "kbgp defines all " << total << " upstream messages and enums\n";
  } else {
    std::cout << "upstream definitions kbgp does not have (" << lacking.size() << " of " << total
              << "):\n  " << absl::StrJoin(lacking, "\n  ") << "\n";
  }
}

// The checker itself: a copy of kbgp's gobgp.proto with one thing changed at a time, built
// into a private pool, must be reported, naming what changed.
class MutatedCopyTest : public ApiCompatTest {
 protected:
  // Builds `file` (with google's imports) into a fresh pool and diffs it against upstream.
  std::vector<std::string> Diff(const FileDescriptorProto& file) {
    DescriptorPool pool;
    for (const FileDescriptor* dep :
         {google::protobuf::Any::descriptor()->file(), google::protobuf::Empty::descriptor()->file(),
          google::protobuf::Timestamp::descriptor()->file()}) {
      FileDescriptorProto p;
      dep->CopyTo(&p);
      EXPECT_NE(pool.BuildFile(p), nullptr) << dep->name();
    }
    const FileDescriptor* built = pool.BuildFile(file);
    EXPECT_NE(built, nullptr);
    if (built == nullptr) return {"(did not build)"};
    return DiffFile(built, *upstream_);
  }

  FileDescriptorProto Original() {
    FileDescriptorProto p;
    kbgp_files_[0]->CopyTo(&p);
    return p;
  }

  static google::protobuf::DescriptorProto* Message(FileDescriptorProto* p,
                                                     absl::string_view name) {
    for (auto& m : *p->mutable_message_type()) {
      if (m.name() == name) return &m;
    }
    ADD_FAILURE() << "no message " << name;
    return nullptr;
  }

  static google::protobuf::FieldDescriptorProto* Field(FileDescriptorProto* p,
                                                       absl::string_view message,
                                                       absl::string_view field) {
    google::protobuf::DescriptorProto* m = Message(p, message);
    if (m == nullptr) return nullptr;
    for (auto& f : *m->mutable_field()) {
      if (f.name() == field) return &f;
    }
    ADD_FAILURE() << "no field " << message << "." << field;
    return nullptr;
  }
};

TEST_F(MutatedCopyTest, UnchangedCopyMatches) { EXPECT_THAT(Diff(Original()), IsEmpty()); }

TEST_F(MutatedCopyTest, FieldNumberChanged) {
  FileDescriptorProto p = Original();
  auto* f = Field(&p, "Path", "best");
  ASSERT_NE(f, nullptr);
  f->set_number(40);
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"), HasSubstr("apipb.Path.best: number 40, upstream 4"));
}

TEST_F(MutatedCopyTest, FieldTypeChanged) {
  FileDescriptorProto p = Original();
  auto* f = Field(&p, "Global", "asn");
  ASSERT_NE(f, nullptr);
  f->set_type(google::protobuf::FieldDescriptorProto::TYPE_UINT64);
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"), HasSubstr("apipb.Global.asn: type uint64"));
}

TEST_F(MutatedCopyTest, FieldLabelChanged) {
  FileDescriptorProto p = Original();
  auto* f = Field(&p, "Global", "listen_addresses");
  ASSERT_NE(f, nullptr);
  f->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"), HasSubstr("apipb.Global.listen_addresses: label"));
}

TEST_F(MutatedCopyTest, FieldRenamedOrDropped) {
  FileDescriptorProto p = Original();
  auto* f = Field(&p, "PeerConf", "admin_down");
  ASSERT_NE(f, nullptr);
  f->set_name("admin_is_down");
  const std::string diffs = absl::StrJoin(Diff(p), "\n");
  EXPECT_THAT(diffs, HasSubstr("apipb.PeerConf.admin_down = 15: missing in kbgp"));
  EXPECT_THAT(diffs, HasSubstr("apipb.PeerConf.admin_is_down = 15: not upstream"));
}

TEST_F(MutatedCopyTest, FieldMovedOutOfOneof) {
  FileDescriptorProto p = Original();
  google::protobuf::DescriptorProto* m = Message(&p, "WatchEventResponse");
  ASSERT_NE(m, nullptr);
  for (auto& f : *m->mutable_field()) {
    if (f.name() == "table") f.clear_oneof_index();
  }
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"),
              HasSubstr("apipb.WatchEventResponse.table: oneof , upstream event"));
}

TEST_F(MutatedCopyTest, EnumValueChanged) {
  FileDescriptorProto p = Original();
  for (auto& e : *p.mutable_enum_type()) {
    if (e.name() != "TableType") continue;
    for (auto& v : *e.mutable_value()) {
      if (v.name() == "ADJ_OUT") v.set_number(7);
    }
  }
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"), HasSubstr("apipb.ADJ_OUT: number 7, upstream 3"));
}

TEST_F(MutatedCopyTest, StreamingFlagChanged) {
  FileDescriptorProto p = Original();
  ASSERT_EQ(p.service_size(), 1);
  for (auto& method : *p.mutable_service(0)->mutable_method()) {
    if (method.name() == "ListPeer") method.set_server_streaming(false);
  }
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"),
              HasSubstr("apipb.GobgpApi.ListPeer: server_streaming 0, upstream 1"));
}

TEST_F(MutatedCopyTest, ExtraMessageReported) {
  FileDescriptorProto p = Original();
  p.add_message_type()->set_name("KbgpOnly");
  EXPECT_THAT(absl::StrJoin(Diff(p), "\n"), HasSubstr("message apipb.KbgpOnly: not upstream"));
}

}  // namespace
}  // namespace kbgp::api
