// MRT (RFC 6396) routing information export format: a reader for plain and gzip files or a
// byte span, a stateful decoder for TABLE_DUMP, TABLE_DUMP_V2 (with RFC 8050 ADD-PATH) and
// BGP4MP / BGP4MP_ET records, and a TABLE_DUMP_V2 writer.
//
// What this module owns: MRT framing (the common header, the BGP4MP_ET microsecond field),
// the MRT-specific bodies (peer index table, RIB records, BGP4MP peer headers) and the choice
// of wire::CodecOptions per record subtype. BGP messages and path attributes are decoded and
// encoded by daemon/wire only.
//
// Invariants:
//  - Every read is bounded. A record whose length runs past the end of the input, or past
//    kMaxRecordLength, is an error naming the byte offset of its header; no allocation is
//    larger than kMaxRecordLength, whatever the header says. Framing errors end the stream
//    (the reader cannot resynchronise); a record whose body is malformed is an error from
//    Decoder::Decode only, and the caller may go on with the next record.
//  - RawRecord::body never includes the BGP4MP_ET microsecond field; RawRecord::microseconds
//    holds it (0 for other types).
//  - Decoded RIB entries always carry 4-octet AS numbers (TABLE_DUMP's 2-octet attributes are
//    widened by the wire decoder), and an MP_REACH_NLRI in a RIB entry is normalised to the
//    RFC 6396 §4.3.4 meaning: next hop(s) only, `family` set to the record's family, no NLRI
//    (some collectors write the full RFC 4760 form; both are accepted; a full-form one of a
//    family the wire codec does not decode is dropped, as it names no usable next hop).
//  - Prefixes are Prefix::Make'd: host bits past the length are cleared.
//  - The writer emits only what the decoder accepts, and Decode(Encode(x)) == x for every
//    TABLE_DUMP_V2 unicast Rib and PeerIndexTable (tested, and fuzzed in fuzz/fuzz_mrt.cc).
#ifndef KBGP_DAEMON_MRT_MRT_H_
#define KBGP_DAEMON_MRT_MRT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/wire/attributes.h"
#include "daemon/wire/message.h"

namespace kbgp::mrt {

// ---- Numbers (RFC 6396 §4, RFC 8050 §3-4) ----

inline constexpr size_t kHeaderLength = 12;
// No real record comes close (a full-table RIB record of one prefix is a few hundred KiB at
// most); anything larger is treated as a corrupt length field.
inline constexpr uint32_t kMaxRecordLength = 16u << 20;

enum RecordType : uint16_t {
  kTableDump = 12,
  kTableDumpV2 = 13,
  kBgp4mp = 16,
  kBgp4mpEt = 17,
};

namespace td2 {  // TABLE_DUMP_V2 subtypes
inline constexpr uint16_t kPeerIndexTable = 1;
inline constexpr uint16_t kRibIpv4Unicast = 2;
inline constexpr uint16_t kRibIpv4Multicast = 3;
inline constexpr uint16_t kRibIpv6Unicast = 4;
inline constexpr uint16_t kRibIpv6Multicast = 5;
inline constexpr uint16_t kRibGeneric = 6;
inline constexpr uint16_t kRibIpv4UnicastAddPath = 8;    // RFC 8050
inline constexpr uint16_t kRibIpv4MulticastAddPath = 9;
inline constexpr uint16_t kRibIpv6UnicastAddPath = 10;
inline constexpr uint16_t kRibIpv6MulticastAddPath = 11;
inline constexpr uint16_t kRibGenericAddPath = 12;
// Peer type bits in the peer index table (RFC 6396 §4.3.1).
inline constexpr uint8_t kPeerTypeIpv6 = 0x01;
inline constexpr uint8_t kPeerTypeAs4 = 0x02;
}  // namespace td2

namespace bgp4mp {  // BGP4MP / BGP4MP_ET subtypes
inline constexpr uint16_t kStateChange = 0;
inline constexpr uint16_t kMessage = 1;
inline constexpr uint16_t kMessageAs4 = 4;
inline constexpr uint16_t kStateChangeAs4 = 5;
inline constexpr uint16_t kMessageLocal = 6;
inline constexpr uint16_t kMessageAs4Local = 7;
inline constexpr uint16_t kMessageAddPath = 8;  // RFC 8050
inline constexpr uint16_t kMessageAs4AddPath = 9;
inline constexpr uint16_t kMessageLocalAddPath = 10;
inline constexpr uint16_t kMessageAs4LocalAddPath = 11;
}  // namespace bgp4mp

// ---- Raw records ----

struct RawRecord {
  uint32_t timestamp = 0;
  uint16_t type = 0;
  uint16_t subtype = 0;
  uint32_t microseconds = 0;  // BGP4MP_ET only
  uint64_t offset = 0;        // of the header in the (uncompressed) stream
  Bytes body;                 // without the ET microsecond field
  friend bool operator==(const RawRecord&, const RawRecord&) = default;
};

// Appends `r` in wire form (header, ET microseconds for type 17, body).
absl::Status EncodeRawRecord(const RawRecord& r, Bytes* out);

// Records from a byte span (the whole uncompressed stream in memory).
class SpanReader {
 public:
  explicit SpanReader(ByteSpan data) : data_(data) {}
  // true: *out holds the next record; false: clean end of input; error: framing is broken
  // (the reader then stays at the bad record, and every later call fails the same way).
  absl::StatusOr<bool> Next(RawRecord* out);
  uint64_t offset() const { return offset_; }

 private:
  ByteSpan data_;
  uint64_t offset_ = 0;
};

// Records from a file, plain or gzip (zlib detects which).
class FileReader {
 public:
  static absl::StatusOr<std::unique_ptr<FileReader>> Open(const std::string& path);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // As SpanReader::Next; errors name the file and the offset.
  absl::StatusOr<bool> Next(RawRecord* out);
  uint64_t offset() const { return offset_; }

 private:
  FileReader(std::string path, void* gz) : path_(std::move(path)), gz_(gz) {}
  // Reads up to n bytes; returns how many (fewer only at end of file) or an error.
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n);

  std::string path_;
  void* gz_;  // gzFile
  uint64_t offset_ = 0;
  absl::Status sticky_;  // the first framing error, returned again by later calls
};

// ---- Decoded records ----

struct Header {
  uint32_t timestamp = 0;
  uint32_t microseconds = 0;
  uint16_t type = 0;
  uint16_t subtype = 0;
  friend bool operator==(const Header&, const Header&) = default;
};

struct Peer {
  uint32_t bgp_id = 0;
  IpAddress address;
  uint32_t asn = 0;
  // Whether the peer index table stores the AS in 4 octets (type bit 1). The writer picks it
  // from the AS number value when the table is built by MakePeer.
  bool as4 = true;
  friend bool operator==(const Peer&, const Peer&) = default;
};
Peer MakePeer(uint32_t bgp_id, const IpAddress& address, uint32_t asn);

struct PeerIndexTable {  // RFC 6396 §4.3.1
  Header header;
  uint32_t collector_bgp_id = 0;
  std::string view_name;
  std::vector<Peer> peers;
  friend bool operator==(const PeerIndexTable&, const PeerIndexTable&) = default;
};

// One path for the prefix of a Rib record.
struct RibEntry {
  uint16_t peer_index = 0;  // into the peer index table (TABLE_DUMP: 0)
  Peer peer;                // resolved from the table (TABLE_DUMP: from the record)
  uint32_t originated_time = 0;
  uint32_t path_id = 0;     // RFC 8050 ADD-PATH subtypes only
  wire::PathAttributes attrs;
  friend bool operator==(const RibEntry&, const RibEntry&) = default;
};

// A TABLE_DUMP_V2 RIB record (RFC 6396 §4.3.2), or a TABLE_DUMP record (§4.2) as a Rib of
// one entry with its view and status.
struct Rib {
  Header header;
  uint32_t sequence = 0;
  wire::AfiSafi family = wire::kIPv4Unicast;
  bool add_path = false;
  Prefix prefix;
  std::vector<RibEntry> entries;
  uint16_t view = 0;   // TABLE_DUMP only
  uint8_t status = 0;  // TABLE_DUMP only
  friend bool operator==(const Rib&, const Rib&) = default;
};

// BGP4MP_MESSAGE* (RFC 6396 §4.4.2-4.4.5, RFC 8050 §4).
struct Bgp4mpMessage {
  Header header;
  uint32_t peer_as = 0;
  uint32_t local_as = 0;
  uint16_t interface_index = 0;
  IpAddress peer_address;
  IpAddress local_address;
  bool as4 = false;
  bool local = false;     // *_LOCAL: sent by the collector, not received
  bool add_path = false;  // *_ADDPATH
  wire::Message message;
  friend bool operator==(const Bgp4mpMessage&, const Bgp4mpMessage&) = default;
};

// BGP4MP_STATE_CHANGE(_AS4) (RFC 6396 §4.4.1, §4.4.4).
struct StateChange {
  Header header;
  uint32_t peer_as = 0;
  uint32_t local_as = 0;
  uint16_t interface_index = 0;
  IpAddress peer_address;
  IpAddress local_address;
  uint16_t old_state = 0;
  uint16_t new_state = 0;
  bool as4 = false;
  friend bool operator==(const StateChange&, const StateChange&) = default;
};

// A record of a type or subtype this module does not decode (kept as bytes).
struct Unsupported {
  Header header;
  Bytes body;
  friend bool operator==(const Unsupported&, const Unsupported&) = default;
};

using Record = std::variant<PeerIndexTable, Rib, Bgp4mpMessage, StateChange, Unsupported>;

// The CodecOptions a BGP4MP subtype implies: four_octet_as for the AS4 subtypes, ADD-PATH for
// RFC 8050's, extended messages always (collectors dump what they received).
wire::CodecOptions Bgp4mpCodecOptions(uint16_t subtype);
// The options for the attributes of a RIB entry of `family`.
wire::CodecOptions RibCodecOptions(wire::AfiSafi family, bool four_octet_as);

// Turns raw records into decoded ones. Stateful: remembers the last PEER_INDEX_TABLE, which
// TABLE_DUMP_V2 RIB records refer to.
class Decoder {
 public:
  // Errors are about this record only (malformed body, RIB before any peer index table,
  // peer index out of range, a BGP message the wire codec rejects).
  absl::StatusOr<Record> Decode(const RawRecord& raw);
  const PeerIndexTable* peer_index_table() const {
    return peers_ ? &*peers_ : nullptr;
  }

 private:
  std::optional<PeerIndexTable> peers_;
};

// ---- TABLE_DUMP_V2 writer ----

// Whole records (header included) in TABLE_DUMP_V2 form. EncodeRib writes RIB_IPV4_UNICAST /
// RIB_IPV6_UNICAST or the ADD-PATH subtypes from `rib.family` and `rib.add_path`; each
// entry's peer_index must be valid in the table the reader will have seen. Path attributes
// are written with 4-octet AS numbers and, for IPv6, the abbreviated MP_REACH_NLRI.
absl::Status EncodePeerIndexTable(const PeerIndexTable& t, Bytes* out);
absl::Status EncodeRib(const Rib& rib, Bytes* out);

// Writes records to a file, gzip-compressed or plain.
class FileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<FileWriter>> Open(const std::string& path, bool gzip);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  absl::Status WritePeerIndexTable(const PeerIndexTable& t);
  // The peer index table must have been written first; entries are checked against it.
  absl::Status WriteRib(const Rib& rib);
  // Flushes and closes; also done by the destructor (which cannot report errors).
  absl::Status Close();

 private:
  FileWriter(std::string path, void* gz, void* file)
      : path_(std::move(path)), gz_(gz), file_(file) {}
  absl::Status WriteBytes(const Bytes& b);

  std::string path_;
  void* gz_;    // gzFile, when compressing
  void* file_;  // FILE*, otherwise
  size_t peer_count_ = 0;
  bool have_peers_ = false;
};

}  // namespace kbgp::mrt

#endif  // KBGP_DAEMON_MRT_MRT_H_
