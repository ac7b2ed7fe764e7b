// JSON as GoBGP's `gobgp -j` prints it: Go's encoding/json applied to the protoc-gen-go
// structs of the API (and, for paths, to GoBGP's own attribute types; see render.h).
//
// What encoding/json does with a protoc-gen-go struct, and so what this writer does:
//  - keys are the proto field names (the generated `json:"name,omitempty"` tags), in
//    declaration order;
//  - omitempty everywhere: a zero scalar, an empty string or bytes, an empty repeated field and
//    an unset message field are left out; a set but empty message is `{}`;
//  - enums are numbers, 64-bit integers are numbers, bytes are standard base64;
//  - google.protobuf.Any is {"type_url":..., "value": base64}, Timestamp {"seconds","nanos"};
//  - strings escape <, > and & as \u003c, \u003e, \u0026 (Go's HTML-safe default);
//  - maps are objects with the keys sorted.
#ifndef KBGP_CLI_GOJSON_H_
#define KBGP_CLI_GOJSON_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace kbgp::cli {

// Appends s as a JSON string literal with Go's escaping.
void AppendJsonString(absl::string_view s, std::string* out);
// Appends standard base64 (with padding) of bytes, as encoding/json writes []byte.
void AppendBase64(absl::string_view bytes, std::string* out);
// Appends a message as Go's encoding/json writes the protoc-gen-go struct.
void AppendGoJson(const google::protobuf::Message& m, std::string* out);
// A float64 as Go's encoding/json formats it.
void AppendGoFloat(double v, std::string* out);

}  // namespace kbgp::cli

#endif  // KBGP_CLI_GOJSON_H_
