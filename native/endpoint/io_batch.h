// The data path across the WebAssembly boundary: datagrams in and transmits /
// events out travel as packed little-endian records in one buffer, many per
// call, so no per-packet JSON or per-packet crossing is needed.
//
// Input record  (24-byte header, payload padded to 4):
//   u16 payload_len | u16 socket | u8 family (4/6) | u8 0 | u16 port | u8 ip[16]
// Output record (32-byte header, payload padded to 4):
//   u8 kind | u8 family | u16 socket | u16 port | u16 code | u32 id | u32 payload_len | u8 ip[16]
//   kind 1 = transmit (payload = datagram, address = destination)
//   kind 2 = event    (code = event type, id = object/request id, address = event-specific,
//                      payload = event-specific bytes)
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/socket_address.h"

namespace wasmrtc::io {

constexpr size_t kInputHeaderSize = 24;
constexpr size_t kOutputHeaderSize = 32;
constexpr uint8_t kKindTransmit = 1;
constexpr uint8_t kKindEvent = 2;

inline size_t pad4(size_t n) { return (n + 3) & ~size_t(3); }

struct InputDatagram {
  uint16_t socket = 0;
  SocketAddress from;
  ByteView data;
};

// Walks a packed input buffer. Malformed framing stops iteration (ok() false).
class InputBatchReader {
 public:
  InputBatchReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool next(InputDatagram& out);
  bool ok() const { return ok_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// Appends one input record (used by native tests and the scenario harness).
void append_input(std::vector<uint8_t>& buf, uint16_t socket, const SocketAddress& from, ByteView data);

struct OutputRecord {
  uint8_t kind = 0;
  uint16_t socket = 0;
  uint16_t code = 0;
  uint32_t id = 0;
  SocketAddress address;
  ByteView payload;
};

// Writes records into a caller-provided buffer; refuses (returns false) when
// a record does not fit so the caller can keep it for the next poll.
class OutputBatchWriter {
 public:
  OutputBatchWriter(uint8_t* data, size_t capacity) : data_(data), cap_(capacity) {}
  bool write(const OutputRecord& r);
  size_t size() const { return size_; }
  static size_t record_size(size_t payload) { return kOutputHeaderSize + pad4(payload); }

 private:
  uint8_t* data_;
  size_t cap_;
  size_t size_ = 0;
};

bool read_output(const uint8_t*& p, const uint8_t* end, OutputRecord& out);

}  // namespace wasmrtc::io
