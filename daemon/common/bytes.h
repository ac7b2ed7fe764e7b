// Bounds-checked byte cursors: every byte kbgp reads from the network, an MRT file or
// the API goes through a Reader, whose reads fail (return false) instead of overrunning.
// A length-prefixed field is always parsed through a child Reader of exactly that length
// (ReadSub), so a bad inner length can never run past its outer container.
//
// Writer appends big-endian integers to a byte vector and back-patches length fields.
// Neither class allocates per read; both are cheap to copy.
#ifndef KBGP_DAEMON_COMMON_BYTES_H_
#define KBGP_DAEMON_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/types/span.h"

namespace kbgp {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;

class Reader {
 public:
  Reader() = default;
  explicit Reader(ByteSpan data) : data_(data) {}
  Reader(const uint8_t* data, size_t size) : data_(data, size) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  // The bytes not read yet.
  ByteSpan rest() const { return data_.subspan(pos_); }
  // Everything this reader covers, read or not.
  ByteSpan all() const { return data_; }

  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool ReadU32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
         (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* v) {
    uint32_t hi, lo;
    if (remaining() < 8) return false;
    ReadU32(&hi);
    ReadU32(&lo);
    *v = (uint64_t{hi} << 32) | lo;
    return true;
  }
  // Copies n bytes into out (which must hold n bytes).
  bool ReadInto(size_t n, uint8_t* out) {
    if (remaining() < n) return false;
    if (n != 0) std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // Points *out at the next n bytes without copying.
  bool ReadSpan(size_t n, ByteSpan* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A child reader over exactly the next n bytes; this reader moves past them.
  bool ReadSub(size_t n, Reader* out) {
    ByteSpan s;
    if (!ReadSpan(n, &s)) return false;
    *out = Reader(s);
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  bool PeekU8(uint8_t* v) const {
    if (remaining() < 1) return false;
    *v = data_[pos_];
    return true;
  }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}

  size_t size() const { return out_->size(); }
  void PutU8(uint8_t v) { out_->push_back(v); }
  void PutU16(uint16_t v) {
    out_->push_back(static_cast<uint8_t>(v >> 8));
    out_->push_back(static_cast<uint8_t>(v));
  }
  void PutU32(uint32_t v) {
    PutU16(static_cast<uint16_t>(v >> 16));
    PutU16(static_cast<uint16_t>(v));
  }
  void PutU64(uint64_t v) {
    PutU32(static_cast<uint32_t>(v >> 32));
    PutU32(static_cast<uint32_t>(v));
  }
  void PutBytes(ByteSpan b) { out_->insert(out_->end(), b.begin(), b.end()); }
  void PutZeros(size_t n) { out_->insert(out_->end(), n, 0); }

  // Reserves a length field of 1 or 2 bytes and returns its offset; PatchLength
  // later stores the number of bytes written after it.
  size_t ReserveU8() {
    out_->push_back(0);
    return out_->size() - 1;
  }
  size_t ReserveU16() {
    PutU16(0);
    return out_->size() - 2;
  }
  // Returns false when the length does not fit the field.
  bool PatchU8Length(size_t at) {
    size_t len = out_->size() - at - 1;
    if (len > 0xff) return false;
    (*out_)[at] = static_cast<uint8_t>(len);
    return true;
  }
  bool PatchU16Length(size_t at) {
    size_t len = out_->size() - at - 2;
    if (len > 0xffff) return false;
    (*out_)[at] = static_cast<uint8_t>(len >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(len);
    return true;
  }
  void SetU16At(size_t at, uint16_t v) {
    (*out_)[at] = static_cast<uint8_t>(v >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(v);
  }
  Bytes* bytes() { return out_; }

 private:
  Bytes* out_;
};

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_BYTES_H_
